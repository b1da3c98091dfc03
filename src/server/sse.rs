//! `GET /live/{channel}/events`: one viewer's Server-Sent Events stream. It writes the hub's
//! pre-framed bytes as they are (keep-alive comments included), in gzip for a client that
//! accepts it (each media frame deflated once for all, see `live::deflate`), and ends when the
//! hub closes (server shutdown). One client holds at most `[live] max_streams_per_address`
//! open.
//!
//! A healthy stream is asked for its next bytes at least at every keep-alive beat. One that is
//! not asked for [`EventStreams::stalled_after`] has a reader that stopped reading (over
//! HTTP/2 a tab can keep its stream's window shut while the connection stays alive, so the
//! kernel's write timeout never sees it): it stops counting as a viewer then, and fails when it
//! is next asked, so the connection or stream is reset. Its place among its client's streams is
//! held until that happens.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::Extension;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures::Stream;
use serde::Deserialize;

use super::link::{Link, LinkReader};
use crate::channels::Channels;
use crate::live::audience::Seat;
use crate::live::frame;
use crate::live::hub::Viewer;
use crate::live::outbox::Outbox;
use crate::live::wire::Ask;
use crate::open_connections::{OpenConnections, Slot};

/// Live-event streams: how many are open per client, and when a reader counts as stalled.
#[derive(Clone)]
pub struct EventStreams {
    pub open: OpenConnections,
    /// A stream not asked for bytes this long has a reader that stopped reading.
    pub stalled_after: Duration,
}

impl EventStreams {
    /// Streams open now.
    pub fn total(&self) -> usize {
        self.open.total()
    }
}

#[derive(Deserialize)]
pub struct Params {
    /// For clients that cannot set the `Last-Event-ID` header (a fresh `EventSource`).
    last_event_id: Option<String>,
    /// The watching tab, so its reconnects count once.
    viewer: Option<String>,
    /// The last chat message the client already has: held chat after it is sent first.
    chat_after: Option<u64>,
    /// What the player asks of the rungs it is sent (see [`Ask`]; a query cannot carry it
    /// flattened, as its numbers arrive as text).
    max_height: Option<u32>,
    rung: Option<String>,
    start: Option<String>,
    /// `chat`: the channel's status and chat alone, no media, not counted as a viewer (a chat
    /// overlay, `/embed/{channel}/chat`).
    only: Option<String>,
    /// `1`: the owner's studio preview: everything, not counted as a viewer. Anyone may ask
    /// it; it only leaves the one asking out of the count.
    preview: Option<String>,
}

impl Params {
    /// A rung name longer than any a ladder makes is no name at all.
    fn ask(&self) -> Ask {
        Ask {
            max_height: self.max_height,
            pick: self.rung.clone().filter(|name| name.len() <= 16),
            start_low: self.start.as_deref() == Some("low"),
        }
    }
}

pub async fn live_events(
    State(channels): State<Channels>,
    State(streams): State<EventStreams>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    link: Option<Extension<Link>>,
    Path(channel): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let channel = match channels.find(&channel).await {
        Ok(Some(channel)) => channel,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such channel").into_response(),
        Err(err) => {
            tracing::error!(%err, "looking up a channel");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot look up the channel",
            )
                .into_response();
        }
    };
    let Some(slot) = streams.open.take(client.ip()) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many live streams open from your address: close some tabs and try again.",
        )
            .into_response();
    };
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(params.last_event_id.clone())
        .and_then(|id| id.trim().parse::<u64>().ok());
    let viewer = match params.only.as_deref() {
        Some("chat") => channel.hub.subscribe_chat(params.chat_after),
        Some(_) => {
            return (
                StatusCode::BAD_REQUEST,
                "`only` takes one value, `chat` (the chat without the picture).",
            )
                .into_response();
        }
        None => {
            let mut viewer = if params.preview.as_deref() == Some("1") {
                channel
                    .hub
                    .subscribe_preview(last_event_id, params.chat_after)
            } else {
                channel
                    .hub
                    .subscribe(last_event_id, params.viewer.as_deref(), params.chat_after)
            };
            viewer.set_ask(params.ask());
            viewer
        }
    };
    let link = link.map(|Extension(link)| link);
    let gzip = accepts_gzip(&headers);
    let outbox = if gzip {
        Outbox::gzip()
    } else {
        Outbox::plain()
    };
    let stream = viewer_stream(viewer, outbox, link, slot, streams.stalled_after);
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
            (header::VARY, "accept-encoding"),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    if gzip {
        response.headers_mut().insert(
            header::CONTENT_ENCODING,
            header::HeaderValue::from_static("gzip"),
        );
    }
    response
}

struct Connection {
    viewer: Viewer,
    /// Its TCP connection's measurements, which the viewer's rung is chosen by.
    link: Option<LinkReader>,
    pending: Outbox,
    /// Its last bytes were sent: nothing more comes.
    ended: bool,
    sent: Sent,
    /// How often it was asked for bytes, and whether it was found stalled.
    reading: Arc<Reading>,
    /// This stream's place among its client's; given back when the stream ends.
    _slot: Slot,
}

/// What the stall watch and the stream share.
struct Reading {
    /// Times the stream was asked for bytes (a counter costs less per event than a clock).
    asked: AtomicU64,
    stalled: AtomicBool,
    /// The viewer's place in the audience, given up when found stalled.
    seat: Mutex<Option<Seat>>,
}

/// The stream stopped: its reader stopped reading.
#[derive(Debug, thiserror::Error)]
#[error("the viewer stopped reading")]
struct Stalled;

/// The bytes one viewer is sent: `retry`, then whatever the hub owes it (keep-alive comments
/// included), as it comes, until the hub closes (server shutdown). The stream waits on one
/// thing only, the hub's wake-up; a separate watch notices when it is not asked for bytes.
fn viewer_stream(
    mut viewer: Viewer,
    mut pending: Outbox,
    link: Option<Link>,
    slot: Slot,
    stalled_after: Duration,
) -> impl Stream<Item = Result<Bytes, Stalled>> + Send {
    pending.push(Bytes::from_static(frame::RETRY));
    let reading = Arc::new(Reading {
        asked: AtomicU64::new(0),
        stalled: AtomicBool::new(false),
        seat: Mutex::new(viewer.take_seat()),
    });
    tokio::spawn(watch_for_stall(Arc::downgrade(&reading), stalled_after));
    let connection = Connection {
        viewer,
        link: link.map(LinkReader::new),
        pending,
        ended: false,
        sent: Sent::new(),
        reading,
        _slot: slot,
    };
    futures::stream::unfold(connection, |mut c| async move {
        c.reading.asked.fetch_add(1, Ordering::Relaxed);
        loop {
            if c.reading.stalled.load(Ordering::Relaxed) {
                return Some((Err(Stalled), c));
            }
            if c.ended {
                return None;
            }
            if c.viewer.hub().is_closed() {
                return c.end();
            }
            if let Some(bytes) = c.pending.pop() {
                c.sent.bytes.increment(bytes.len() as u64);
                c.sent.events.increment(1);
                return Some((Ok(bytes), c));
            }
            if let Some(reading) = c.link.as_mut().and_then(LinkReader::read) {
                c.viewer.link_carries(reading);
            }
            let skipped = c.viewer.catch_up(&mut c.pending, 1);
            if skipped > 0 {
                c.sent.skips.increment(1);
            }
            if c.pending.is_empty() && !c.viewer.changed().await {
                return c.end();
            }
            c.reading.asked.fetch_add(1, Ordering::Relaxed);
        }
    })
}

impl Connection {
    /// The stream's last bytes (in gzip, what is queued and gzip's end, which checks it);
    /// nothing after them.
    fn end(mut self) -> Option<(Result<Bytes, Stalled>, Self)> {
        self.ended = true;
        let mut last = BytesMut::new();
        if self.pending.is_gzip() {
            while let Some(bytes) = self.pending.pop() {
                last.extend_from_slice(&bytes);
            }
        }
        last.extend_from_slice(&self.pending.finish()?);
        Some((Ok(last.freeze()), self))
    }
}

/// Whether an `Accept-Encoding` header takes gzip (RFC 9110: a coding or `*` with a weight
/// above 0). Only the first 1 KiB of the header is read.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v[..v.len().min(1024)].split(','))
        .take(64)
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok());
            (name.eq_ignore_ascii_case("gzip")
                || name.eq_ignore_ascii_case("x-gzip")
                || name == "*")
                && weight.is_some_and(|w| w > 0.0)
        })
}

/// Checks a stream four times per `stalled_after`; once it has not been asked for bytes since
/// four checks ago (so for `stalled_after` at least, and at most a quarter more), it is marked
/// stalled and its viewer leaves the audience. Ends with the stream.
async fn watch_for_stall(reading: Weak<Reading>, stalled_after: Duration) {
    let every = (stalled_after / 4).max(Duration::from_millis(100));
    let (mut seen, mut unchanged) = (u64::MAX, 0u32);
    loop {
        tokio::time::sleep(every).await;
        let Some(reading) = reading.upgrade() else {
            return;
        };
        let asked = reading.asked.load(Ordering::Relaxed);
        unchanged = if asked == seen { unchanged + 1 } else { 0 };
        seen = asked;
        if unchanged >= 4 {
            reading.stalled.store(true, Ordering::Relaxed);
            let seat = reading
                .seat
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            drop(seat);
            tracing::debug!(
                ?stalled_after,
                "a viewer stopped reading: no longer counted"
            );
            return;
        }
    }
}

/// What viewers' streams send, for `/metrics` (handles made once per stream).
struct Sent {
    bytes: metrics::Counter,
    events: metrics::Counter,
    /// Times a viewer skipped forward to keep up.
    skips: metrics::Counter,
}

impl Sent {
    fn new() -> Self {
        Self {
            bytes: metrics::counter!("onair_viewer_bytes_sent_total"),
            events: metrics::counter!("onair_viewer_events_sent_total"),
            skips: metrics::counter!("onair_viewer_skips_total"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(value: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
        accepts_gzip(&headers)
    }

    #[test]
    fn gzip_is_sent_to_clients_that_accept_it() {
        assert!(accepts("gzip, deflate, br, zstd"));
        assert!(accepts("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts("*"));
        assert!(!accepts("identity"));
        assert!(!accepts("br, gzip;q=0"));
        assert!(!accepts("gzip;q=nonsense"));
        assert!(!accepts(&(",".repeat(2000) + "gzip")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
