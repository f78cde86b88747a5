//! Love lunchboxes (爱心盒饭): the roster, delivery tasks, and notices.
