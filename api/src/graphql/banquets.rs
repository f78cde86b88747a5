//! Banquets (红白喜事) in the canteen's venue.
