//! Elderly care: profiles and their access log, care requests, visits and
//! the wristband's alarms.

mod access_log;
mod profiles;
mod requests;
mod visits;
mod wristbands;
