//! What the server holds: each capability's own state, side by side. Server functions get the
//! piece they need from context (`provide`), plain handlers through `FromRef`; nothing asks for
//! the whole.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;

use crate::accounts::Accounts;
use crate::broadcasts::Broadcasts;
use crate::channels::Channels;
use crate::channels::thumbnail::Thumbnails;
use crate::chat::Chat;
use crate::ingest::Ingest;
use crate::open_connections::OpenConnections;

use super::bodies::BodyLimits;
use super::site::Site;
use super::sse::EventStreams;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub accounts: Accounts,
    pub channels: Channels,
    pub broadcasts: Broadcasts,
    pub chat: Chat,
    pub thumbnails: Thumbnails,
    pub ingest: Ingest,
    /// Whether the database (and NATS) answer: `/health`.
    pub health: super::health::Health,
    /// Live-event streams open now, by client, and when their readers count as stalled.
    pub event_streams: EventStreams,
    /// The host names and scheme of this site (Host and Origin checks).
    pub site: Site,
    /// How request bodies are read.
    pub bodies: BodyLimits,
    /// HTTP connections open now, by client address (counted by `serve`).
    #[from_ref(skip)]
    pub connections: OpenConnections,
    /// Who may read `/metrics`; None when metrics are off.
    #[from_ref(skip)]
    pub metrics: Option<super::metrics::MetricsAccess>,
}

impl AppState {
    /// Puts each capability's state in the context of a request (server functions, pages).
    pub fn provide(&self) {
        provide_context(self.accounts.clone());
        provide_context(self.channels.clone());
        provide_context(self.broadcasts.clone());
        provide_context(self.chat.clone());
        provide_context(self.ingest.clone());
    }
}
