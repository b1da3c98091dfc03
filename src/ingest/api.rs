//! The studio's server functions for streaming software: the server address and the stream
//! key to paste into OBS (the key only on request, only to the channel's owner), resetting
//! the key, and why the last stream was turned away.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The close code of the studio page's publish socket when the broadcaster presses Stop: the
/// broadcast ends at once. Any other end of the socket is a drop, which the broadcast waits a
/// grace period for the page to recover from. (4000–4999 are the application's own codes.)
pub const STOPPED_BY_BROADCASTER: u16 = 4000;

/// What the studio page sends from: its camera (with the microphone), or a screen. The publish
/// socket names it in its `source` parameter (`camera`, `screen`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Capture {
    Camera,
    Screen,
}

impl Capture {
    /// Its name in the publish socket's address.
    pub fn key(self) -> &'static str {
        match self {
            Capture::Camera => "camera",
            Capture::Screen => "screen",
        }
    }
}

/// What the studio shows for streaming software.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamDestination {
    /// The RTMP server address, e.g. `rtmp://example.org:1935/live`.
    pub server: String,
    /// Why the last stream with the right key was turned away, and when (Unix ms).
    pub problem: Option<(u64, String)>,
    /// The server's clock, for "2 min ago".
    pub now_ms: u64,
}

/// Where to stream to, and the latest refusal. Owner only.
#[server(endpoint = "stream_settings", input = Json)]
pub async fn stream_settings(channel: String) -> Result<StreamDestination, AppError> {
    crate::error::reply(async {
        let ingest = crate::error::state::<super::Ingest>()?;
        let host = super::address::studio_host(&request_host().await);
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        Ok(StreamDestination {
            server: ingest.server_url(&host),
            problem: ingest.problem(&channel),
            now_ms: crate::clock::now_ms(),
        })
    })
    .await
}

/// The channel's stream key (made on first use). Owner only; never logged.
#[server(endpoint = "stream_key", input = Json)]
pub async fn stream_key(channel: String) -> Result<String, AppError> {
    crate::error::reply(async {
        let ingest = crate::error::state::<super::Ingest>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        let key = ingest.key(&channel).await?;
        Ok(key.reveal().to_string())
    })
    .await
}

/// A new stream key: the old one is refused from now on and a stream using it is cut.
/// Owner only.
#[server(endpoint = "reset_stream_key", input = Json)]
pub async fn reset_stream_key(channel: String) -> Result<String, AppError> {
    crate::error::reply(async {
        let ingest = crate::error::state::<super::Ingest>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        let key = ingest.reset_key(&channel).await?;
        Ok(key.reveal().to_string())
    })
    .await
}

/// The Host the studio was opened with.
#[cfg(feature = "ssr")]
async fn request_host() -> String {
    leptos_axum::extract::<axum::http::HeaderMap>()
        .await
        .ok()
        .and_then(|headers| {
            headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::Capture;

    #[test]
    fn a_capture_is_read_back_from_the_name_the_page_puts_in_the_address() {
        for capture in [Capture::Camera, Capture::Screen] {
            let named = format!("\"{}\"", capture.key());
            assert_eq!(serde_json::from_str::<Capture>(&named).unwrap(), capture);
            assert_eq!(serde_json::to_string(&capture).unwrap(), named);
        }
    }
}
