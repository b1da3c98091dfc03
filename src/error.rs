//! The one error type server functions return: messages a person can act on.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The call needs a signed-in user and there is none.
    #[error("Sign in first.")]
    SignInRequired,
    /// The signed-in user may not do this (for example, control someone else's channel).
    #[error("{0}")]
    Forbidden(String),
    /// What was sent cannot be used; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// Too many attempts; the message says when to try again.
    #[error("{0}")]
    TooManyAttempts(String),
    /// Something failed on the server; the details are in its log.
    #[error("The server could not do that: {0}")]
    Server(String),
    /// The request could not be carried (network, encoding, server failure).
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(%err, "database");
        AppError::Server("the database failed".into())
    }
}

#[cfg(feature = "ssr")]
impl From<tower_sessions::session::Error> for AppError {
    fn from(err: tower_sessions::session::Error) -> Self {
        tracing::error!(%err, "session store");
        AppError::Server("the session store failed".into())
    }
}
