//! `GET /metrics`: the server's figures in Prometheus' text format (metrics-exporter-prometheus
//! renders what the `metrics` macros record across the crate). Off unless `[metrics] enabled`;
//! with a `token`, only a request carrying `Authorization: Bearer <token>` may read it, and
//! without one only this machine (loopback, not through a proxy) may.
//!
//! Counted where they happen: bytes and events sent to viewers and viewers skipped forward
//! (`sse`), fragments published and their age when published (`live::outlet`), encoder
//! restarts (`broadcasts::supervisor`), chat messages, failed sign-ins. Read when scraped:
//! viewers per channel, live broadcasts, open connections and event streams.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use subtle::ConstantTimeEq;

use super::serve::Proxied;
use super::state::AppState;

/// Who may read `/metrics`, and what renders it.
#[derive(Clone)]
pub struct MetricsAccess {
    handle: PrometheusHandle,
    /// Empty: loopback only.
    token: Arc<str>,
}

impl MetricsAccess {
    /// The process's recorder (installed by the first call; servers started later in the same
    /// process share it), readable with `token`. None if another recorder was installed first.
    pub fn new(token: &str) -> Option<Self> {
        static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
        let handle = HANDLE.get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .inspect_err(|err| tracing::error!(%err, "metrics are unavailable"))
                .ok()
        });
        Some(Self {
            handle: handle.clone()?,
            token: token.into(),
        })
    }

    fn allows(&self, client: SocketAddr, proxied: bool, headers: &HeaderMap) -> bool {
        if self.token.is_empty() {
            return client.ip().is_loopback() && !proxied;
        }
        let offered = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or("");
        bool::from(offered.as_bytes().ct_eq(self.token.as_bytes()))
    }
}

pub async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    proxied: Option<Extension<Proxied>>,
    headers: HeaderMap,
) -> Response {
    let Some(access) = &state.metrics else {
        return (StatusCode::NOT_FOUND, "metrics are off").into_response();
    };
    if !access.allows(client, proxied.is_some(), &headers) {
        return if access.token.is_empty() {
            (
                StatusCode::FORBIDDEN,
                "metrics are readable from this machine only",
            )
                .into_response()
        } else {
            (
                StatusCode::UNAUTHORIZED,
                "send the metrics token as `Authorization: Bearer <token>`",
            )
                .into_response()
        };
    }
    for channel in state.channels.all() {
        metrics::gauge!("onair_viewers", "channel" => channel.name.clone())
            .set(channel.hub.viewers_here() as f64);
        for rung in channel.hub.rung_figures() {
            let labels = [("channel", channel.name.clone()), ("rung", rung.name)];
            metrics::gauge!("onair_rung_viewers", &labels).set(rung.viewers as f64);
            metrics::counter!("onair_rung_bytes_sent_total", &labels).absolute(rung.bytes_sent);
            metrics::counter!("onair_rung_bytes_received_total", &labels)
                .absolute(rung.bytes_received);
        }
    }
    metrics::gauge!("onair_live_broadcasts").set(state.broadcasts.live_count() as f64);
    metrics::gauge!("onair_event_streams_open").set(state.event_streams.total() as f64);
    metrics::gauge!("onair_connections_open").set(state.connections.total() as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        access.handle.render(),
    )
        .into_response()
}
