//! Accounts: who may broadcast. The rules for names, passwords and where a sign-in leads,
//! shared by the forms and the server (`rules`), and the colour a name takes in chat
//! (`name_colour`); the server functions (`api`); and, on the
//! server, the `Accounts` state that signs up and signs in (`state`), password hashing
//! (`password`), the refusal of leaked and guessable passwords (`guessable`), the users table
//! (`store`), sessions (`session`), the throttle on failed sign-ins (`throttle`) with the
//! browsers it trusts (`devices`), and the limit on sign-ups per address (`signup_limit`).

pub mod api;
pub mod name_colour;
pub mod rules;

#[cfg(feature = "ssr")]
pub mod devices;
#[cfg(feature = "ssr")]
mod guessable;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
mod signup_limit;
#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod throttle;

#[cfg(feature = "ssr")]
pub use state::{Accounts, Admitted, Named};
