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
    /// The credentials a program presented (an API token) do not work; the message says why.
    #[error("{0}")]
    Unauthorized(String),
    /// The signed-in user may not do this (for example, control someone else's channel).
    #[error("{0}")]
    Forbidden(String),
    /// What was sent cannot be used; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// The thing is busy with something else that must end first (another publisher streams
    /// to the channel); the message says what.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; the message says when to try again.
    #[error("{0}")]
    TooManyAttempts(String),
    /// The request was larger than the server takes.
    #[error("{0}")]
    TooLarge(String),
    /// The request did not arrive in time; send it again.
    #[error("{0}")]
    TimedOut(String),
    /// The server is at a limit it keeps for everyone's sake; the message says which.
    #[error("{0}")]
    Busy(String),
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

impl AppError {
    /// The HTTP status this error answers with: 4xx for what the caller can change, 5xx only
    /// for our own faults.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 400,
            AppError::SignInRequired | AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::TimedOut(_) => 408,
            AppError::TooLarge(_) => 413,
            AppError::TooManyAttempts(_) => 429,
            AppError::Busy(_) => 503,
            AppError::Server(_) => 500,
            AppError::Transport(_) => 502,
        }
    }
}

/// Runs a server function's `work` and answers with its result: an error sets the response's
/// status to [`AppError::status`] (server functions otherwise answer every error with 500). A
/// plain HTML form post is left as leptos makes it, a redirect back to the form carrying the
/// error, so pages without JavaScript still show it.
///
/// The request's context is read before `work` first awaits, and `work` must read the state it
/// needs ([`state`]) before its own first await too: when a page's resource calls a server
/// function during server rendering, the part of the page that asked may already be rendered
/// and gone by the time the call resumes, and with it the way up to the request's context.
#[cfg(feature = "ssr")]
pub async fn reply<T>(work: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    use leptos::prelude::use_context;
    let form_post = use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    });
    let response = use_context::<leptos_axum::ResponseOptions>();
    let result = work.await;
    if let (Err(err), false, Some(response)) = (&result, form_post, response) {
        response.set_status(err.status_code());
    }
    result
}

#[cfg(feature = "ssr")]
impl AppError {
    /// [`AppError::status`] as axum's type.
    pub fn status_code(&self) -> axum::http::StatusCode {
        axum::http::StatusCode::from_u16(self.status())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// An error answered outside a server function (a request body refused, the browser ingest's
/// socket refused) as server functions answer it: its status, and itself as JSON.
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        (self.status_code(), axum::Json(self)).into_response()
    }
}

/// A capability's state (`Chat`, `Accounts`, …) for a server function. Read it before the
/// function's first await (see [`reply`]); missing, it is our fault, answered as such rather
/// than with a panic.
#[cfg(feature = "ssr")]
pub fn state<T: Clone + Send + Sync + 'static>() -> Result<T, AppError> {
    leptos::prelude::use_context::<T>().ok_or_else(|| {
        tracing::error!(
            state = std::any::type_name::<T>(),
            "missing from the request's context"
        );
        AppError::Server("it is not ready".into())
    })
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
