//! Accounts: who may broadcast. The rules for names and passwords, shared by the forms and the
//! server (`rules`); the server functions (`api`); and, on the server, password hashing
//! (`password`), the users table (`users`), sessions (`session`) and the throttle on failed
//! sign-ins (`throttle`).

pub mod api;
pub mod rules;

#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod throttle;
#[cfg(feature = "ssr")]
pub mod users;
