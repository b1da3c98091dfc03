//! The state every handler and server function shares.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio_util::sync::CancellationToken;

use super::Settings;
use super::thumbnail::Thumbnails;
use crate::channels::server::Channels;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub channels: Channels,
    /// Cancelled on shutdown: broadcasts stop and SSE streams end.
    pub shutdown: CancellationToken,
    pub thumbnails: Thumbnails,
}

impl AppState {
    pub fn new(settings: Settings) -> Self {
        Self {
            leptos_options: settings.leptos_options(),
            channels: Channels::new(settings.hub()),
            settings: Arc::new(settings),
            shutdown: CancellationToken::new(),
            thumbnails: Thumbnails::default(),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
