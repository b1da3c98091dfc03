//! Going live: a publisher's first video puts its channel on air, or carries on the pushed
//! broadcast that waits for it. In a cluster, a broadcast of the channel another instance
//! holds while it waits for this publisher (reconnected here) is taken over.

use std::time::Duration;

use super::refusal::Refusal;
use super::registry::Publisher;
use super::state::Ingest;
use crate::broadcasts::BroadcastError;
use crate::broadcasts::feed::{self, ByteSender, Feed, IncomingSlot, PushHandle};
use crate::broadcasts::source::Source;

/// Taking a pushed broadcast over from another instance: tries, and the pause between them
/// (the other instance lets go once its ffmpeg has stopped).
const TAKE_OVER_TRIES: u32 = 20;
const TAKE_OVER_PAUSE: Duration = Duration::from_millis(250);

impl Ingest {
    /// The publisher's first video arrived: its bytes' way to ffmpeg, on air.
    pub(super) async fn go_live(
        &self,
        publisher: &Publisher,
    ) -> Result<(ByteSender, IncomingSlot), Refusal> {
        let channel = &publisher.channel;
        let (sender, stream) = feed::byte_stream(feed::QUEUED_BYTES);
        let waiting = self
            .lock()
            .get(channel)
            .and_then(|c| c.broadcast.clone())
            .filter(|(b, f)| !b.connections.is_closed() && *f == publisher.format)
            .map(|(b, _)| b);
        let handle = match waiting {
            // The broadcast waits for its publisher to come back: carry it on.
            Some(handle) => handle,
            None => match self.start_pushed(publisher).await {
                Ok(handle) => handle,
                Err(err) => return Err(self.refuse(channel, err.to_string())),
            },
        };
        if handle.connections.send(stream).await.is_err() {
            return Err(self.refuse(channel, "the broadcast ended as the stream arrived".into()));
        }
        let mut live = self.lock();
        let entry = live.entry(channel.clone()).or_default();
        entry.problem = None;
        let slot = handle.incoming.clone();
        entry.broadcast = Some((handle, publisher.format));
        Ok((sender, slot))
    }

    /// Puts the publisher's channel on air from its stream. In a cluster, a broadcast of the
    /// channel another instance holds while it waits for its publisher to come back (this
    /// publisher, reconnected elsewhere) is stopped there, and this instance takes over.
    async fn start_pushed(&self, publisher: &Publisher) -> Result<PushHandle, BroadcastError> {
        let channel = &publisher.channel;
        let title = self
            .inner
            .channels
            .find(channel)
            .await?
            .map(|c| c.title())
            .unwrap_or_default();
        let mut tries = TAKE_OVER_TRIES;
        loop {
            let (handle, feed) = Feed::pushed(self.inner.config.grace);
            let source = Source::Pushed {
                format: publisher.format,
                transcode: self.inner.config.transcode,
                announced: publisher.announced,
            };
            match self
                .inner
                .broadcasts
                .start_with(channel, title.clone(), source, feed)
                .await
            {
                Ok(()) => return Ok(handle),
                Err(elsewhere @ BroadcastError::LiveElsewhere(_)) if tries > 1 => {
                    if tries == TAKE_OVER_TRIES {
                        // Taken over only if it waits for this publisher.
                        if self
                            .inner
                            .broadcasts
                            .take_over_waiting(channel)
                            .await
                            .is_err()
                        {
                            return Err(elsewhere);
                        }
                        tracing::info!(%channel, "the publisher is back here: taking the broadcast over");
                    }
                    tracing::debug!(%channel, "waiting for the other instance to let go");
                    tries -= 1;
                    tokio::time::sleep(TAKE_OVER_PAUSE).await;
                }
                Err(err) => return Err(err),
            }
        }
    }
}
