//! `Ingest`: who may publish to which channel, and the publishers connected now. A publisher
//! presents a stream key ([`super::keys`]); a valid one for a channel nobody else is
//! publishing to gets a [`Publisher`] ([`super::registry`]). Its first video puts the channel
//! on air, or, within the grace period after a drop, carries the same broadcast on
//! ([`super::going_live`]); a publisher turned away is told why, and so is the studio
//! ([`super::refusal`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::registry::ChannelIngest;
use crate::broadcasts::Broadcasts;
use crate::channels::Channels;
use crate::db::Db;

/// How RTMP ingest runs, from the server's settings.
#[derive(Clone, Debug)]
pub struct IngestConfig {
    /// How long a broadcast waits for its dropped publisher to reconnect.
    pub grace: Duration,
    /// Encode pushed streams again instead of remuxing them.
    pub transcode: bool,
    /// The RTMP address shown to broadcasters; empty: the studio's host and the bound port.
    pub public_url: String,
}

#[derive(Clone)]
pub struct Ingest {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) db: Db,
    pub(super) channels: Channels,
    pub(super) broadcasts: Broadcasts,
    pub(super) config: IngestConfig,
    /// Per channel: its connected publisher, its pushed broadcast, its last refusal.
    pub(super) live: Mutex<HashMap<String, ChannelIngest>>,
    pub(super) next_id: AtomicU64,
    /// Where the RTMP listener is bound, once it is.
    bound: OnceLock<SocketAddr>,
}

impl Ingest {
    pub fn new(db: Db, channels: Channels, broadcasts: Broadcasts, config: IngestConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                channels,
                broadcasts,
                config,
                live: Mutex::default(),
                next_id: AtomicU64::new(1),
                bound: OnceLock::new(),
            }),
        }
    }

    /// Remembers where the listener is bound (for the address shown in the studio).
    pub fn bound_to(&self, addr: SocketAddr) {
        let _ = self.inner.bound.set(addr);
    }

    /// The RTMP server address to paste into OBS, for a studio opened on `host`.
    pub fn server_url(&self, host: &str) -> String {
        let public = self.inner.config.public_url.trim();
        if !public.is_empty() {
            return public.to_string();
        }
        let port = self.inner.bound.get().map_or(1935, SocketAddr::port);
        format!("rtmp://{host}:{port}/live")
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ChannelIngest>> {
        self.inner.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}
