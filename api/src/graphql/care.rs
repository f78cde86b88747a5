//! Elderly care: profiles, consent, the access log, visits and data rights.
