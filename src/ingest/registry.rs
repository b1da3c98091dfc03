//! The publishers connected now, by channel: at most one per channel, admitted while the
//! channel is not live with another source; with each, the pushed broadcast it feeds (kept
//! while it waits for its publisher to come back) and the last refusal the studio shows.

use std::sync::atomic::Ordering;

use tokio_util::sync::CancellationToken;

use super::refusal::Refusal;
use super::state::Ingest;
use crate::broadcasts::feed::{ByteSender, IncomingSlot, PushHandle};
use crate::broadcasts::source::{Announced, PushFormat};

#[derive(Default)]
pub(super) struct ChannelIngest {
    /// The connection publishing now.
    pub(super) publisher: Option<Connected>,
    /// The pushed broadcast on air, while it lasts, and what its ffmpeg reads.
    pub(super) broadcast: Option<(PushHandle, PushFormat)>,
    /// The last time a publisher with the right key was turned away, and why.
    pub(super) problem: Option<(u64, String)>,
}

/// The connection publishing to a channel now.
#[derive(Clone)]
pub(super) struct Connected {
    id: u64,
    /// What it pushes.
    pub(super) format: PushFormat,
    /// Cancelled to cut it.
    pub(super) cut: CancellationToken,
    /// The studio page's recording it carries (the page's own random tag), if it is one.
    recording: Option<String>,
}

impl Ingest {
    /// A publisher for `channel` pushing `format` (its owner's browser, or software whose key
    /// was checked): refused while another publishes there, or while the channel is live with
    /// another source. A new socket of the studio page's same `recording` takes over from the
    /// old one at once (the page lowering its bitrate, or back from a network drop the server
    /// has not noticed yet); the old one is cut.
    pub fn admit(
        &self,
        channel: &str,
        format: PushFormat,
        cut: CancellationToken,
        recording: Option<&str>,
    ) -> Result<Publisher, Refusal> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut live = self.lock();
        let entry = live.entry(channel.to_string()).or_default();
        if let Some(current) = &entry.publisher {
            let same = recording.is_some() && current.recording.as_deref() == recording;
            if !same || current.format != format {
                drop(live);
                tracing::warn!(%channel, "second publisher refused");
                return Err(Refusal::AlreadyPublishing);
            }
            tracing::info!(%channel, "the recording's new socket takes over from its old one");
            current.cut.cancel();
            entry.publisher = None;
        }
        // A pushed broadcast waiting for its publisher takes it back only in the same format
        // (its ffmpeg reads that).
        let ours = entry
            .broadcast
            .as_ref()
            .is_some_and(|(b, f)| !b.connections.is_closed() && *f == format);
        if !ours && self.inner.broadcasts.is_on_air(channel) {
            drop(live);
            return Err(self.refuse(
                channel,
                "the channel is live with another source; stop it in the studio first".into(),
            ));
        }
        entry.publisher = Some(Connected {
            id,
            format,
            cut,
            recording: recording.map(str::to_string),
        });
        tracing::info!(%channel, "publisher accepted");
        Ok(Publisher {
            ingest: self.clone(),
            channel: channel.to_string(),
            format,
            announced: Announced::default(),
            id,
        })
    }

    pub(super) fn release(&self, channel: &str, id: u64) {
        let mut live = self.lock();
        if let Some(entry) = live.get_mut(channel) {
            if entry.publisher.as_ref().is_some_and(|p| p.id == id) {
                entry.publisher = None;
            }
            if entry
                .broadcast
                .as_ref()
                .is_some_and(|(b, _)| b.connections.is_closed())
            {
                entry.broadcast = None;
            }
        }
    }
}

/// A connection allowed to publish to `channel`; gives its place up when dropped.
pub struct Publisher {
    ingest: Ingest,
    pub channel: String,
    pub(super) format: PushFormat,
    /// What it said of its stream before sending it (see `Forwarder::metadata`).
    pub(super) announced: Announced,
    id: u64,
}

impl Publisher {
    /// Puts the channel on air (or back on air) with this publisher's bytes.
    pub async fn go_live(&self) -> Result<(ByteSender, IncomingSlot), Refusal> {
        self.ingest.go_live(self).await
    }

    /// What it says of its stream before sending it fits the ladder its broadcast is made in.
    pub fn announce(&mut self, announced: Announced) {
        self.announced = announced;
    }

    /// Turns this publisher away for an unsuitable stream; the studio shows why.
    pub fn unsuitable(&self, reason: String) -> Refusal {
        self.ingest.unsuitable(&self.channel, reason)
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.ingest.release(&self.channel, self.id);
    }
}
