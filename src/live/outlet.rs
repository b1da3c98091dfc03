//! Where a broadcast's media goes: the channel's hub, in cluster mode a [`Mirror`] that
//! carries it to the other instances, the recording's [`Tap`] when it is recorded, and its
//! restreams ([`Restreaming`]). The encoder's supervisor writes here and does not know
//! which of the two it feeds.

use std::sync::Arc;

use super::hub::{Hub, RungInfo};
use super::splitter::{Fragment, InitSegment};
use super::wire::StatusEvent;
use crate::recordings::recorder::Tap;
use crate::restream::Restreaming;

/// A copy of a channel's media for elsewhere, in the order it was published. Must not block.
pub trait Mirror: Send + Sync {
    /// Rung `rung`'s init segment of a run in `ladder`, named `epoch` (the same on every
    /// instance).
    fn init(
        &self,
        channel: &str,
        epoch: u64,
        rung: usize,
        ladder: &Arc<[RungInfo]>,
        init: &InitSegment,
    );
    /// Fragment `id` of `rung` of the current run, with the id viewers everywhere know it by.
    fn fragment(&self, channel: &str, rung: usize, id: u64, fragment: &Fragment);
    fn status(&self, channel: &str, status: &StatusEvent);
}

/// One broadcast's way out.
#[derive(Clone)]
pub struct Outlet {
    channel: String,
    hub: Arc<Hub>,
    mirror: Option<Arc<dyn Mirror>>,
    /// Where the top rung is recorded, when the broadcast is.
    recording: Option<Arc<Tap>>,
    /// Where the top rung is pushed to other platforms.
    restreaming: Option<Restreaming>,
}

impl Outlet {
    pub fn new(channel: &str, hub: Arc<Hub>, mirror: Option<Arc<dyn Mirror>>) -> Self {
        Self {
            channel: channel.to_string(),
            hub,
            mirror,
            recording: None,
            restreaming: None,
        }
    }

    /// The top rung also goes to `restreaming`, to be pushed to other platforms.
    pub fn restreamed_by(mut self, restreaming: Option<Restreaming>) -> Self {
        self.restreaming = restreaming;
        self
    }

    /// The top rung also goes to `tap`, to be recorded.
    pub fn recorded_by(mut self, tap: Option<Arc<Tap>>) -> Self {
        self.recording = tap;
        self
    }

    /// A new encoder run in `ladder`'s rungs; returns its epoch.
    pub fn begin_run(&self, ladder: Arc<[RungInfo]>) -> u64 {
        self.hub.begin_run(ladder)
    }

    /// `rung`'s init segment of the run begun as `epoch`.
    pub fn publish_init(&self, epoch: u64, rung: usize, init: &InitSegment) {
        self.hub.publish_rung_init(rung, init);
        if let (0, Some(tap)) = (rung, &self.recording) {
            tap.init(init);
        }
        if let (0, Some(restreaming)) = (rung, &self.restreaming) {
            restreaming.init(init);
        }
        if let Some(mirror) = &self.mirror {
            mirror.init(&self.channel, epoch, rung, &self.hub.ladder(), init);
            mirror.status(&self.channel, &self.hub.status());
        }
    }

    pub fn publish(&self, rung: usize, fragment: &Fragment) {
        let id = self.hub.publish_rung(rung, fragment);
        metrics::counter!("onair_fragments_published_total").increment(1);
        if let Some(produced_ms) = fragment.produced_ms {
            // How long after ffmpeg wrote it (its prft clock) the fragment reached the hub.
            let age = (crate::clock::now_ms() as f64 - produced_ms).max(0.0) / 1000.0;
            metrics::histogram!("onair_fragment_age_at_publish_seconds").record(age);
        }
        if let (Some(mirror), Some(id)) = (&self.mirror, id) {
            mirror.fragment(&self.channel, rung, id, fragment);
        }
        if let (0, Some(tap)) = (rung, &self.recording) {
            tap.fragment(fragment);
        }
        if let (0, Some(restreaming)) = (rung, &self.restreaming) {
            restreaming.fragment(fragment);
        }
    }

    pub fn go_offline(&self, reason: Option<String>) {
        self.hub.go_offline(reason);
        self.mirror_status();
    }

    pub fn go_reconnecting(&self, reason: String) {
        self.hub.go_reconnecting(reason);
        self.mirror_status();
    }

    fn mirror_status(&self) {
        if let Some(mirror) = &self.mirror {
            mirror.status(&self.channel, &self.hub.status());
        }
    }
}
