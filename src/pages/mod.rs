//! One file per route.

pub mod clip;
pub mod embed;
pub mod home;
pub mod not_found;
pub mod replay;
pub mod sign_in;
pub mod sign_up;
pub mod studio;
pub mod watch;
