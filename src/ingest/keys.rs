//! Stream keys: each channel's, made on first use, reset from the studio (which cuts the
//! publisher that came in with the old one), and checked when a publisher presents one.

use tokio_util::sync::CancellationToken;

use super::key::StreamKey;
use super::refusal::Refusal;
use super::registry::Publisher;
use super::state::Ingest;
use super::store;
use crate::broadcasts::source::PushFormat;
use crate::error::AppError;

impl Ingest {
    /// The channel's stream key, made on first use.
    pub async fn key(&self, channel: &str) -> Result<StreamKey, AppError> {
        if let Some(key) = store::key(&self.inner.db, channel).await? {
            return Ok(key);
        }
        let fresh =
            StreamKey::generate(channel).map_err(|err| AppError::Server(err.to_string()))?;
        Ok(store::key_or_insert(&self.inner.db, channel, &fresh).await?)
    }

    /// A new key for the channel; the old one stops working and its publisher is cut.
    pub async fn reset_key(&self, channel: &str) -> Result<StreamKey, AppError> {
        let fresh =
            StreamKey::generate(channel).map_err(|err| AppError::Server(err.to_string()))?;
        store::replace(&self.inner.db, channel, &fresh).await?;
        // Only a stream that came in with the key is cut (not the studio page's own).
        let publishing = self.lock().get(channel).and_then(|c| c.publisher.clone());
        if let Some(publishing) = publishing.filter(|p| p.format == PushFormat::Flv) {
            tracing::info!(%channel, "stream key reset: cutting its publisher");
            publishing.cut.cancel();
        }
        Ok(fresh)
    }

    /// Checks a presented stream key: the channel it opens, with the publisher's place in it.
    /// `cut` is cancelled when the publisher must go (key reset).
    pub async fn authorize(
        &self,
        presented: &str,
        cut: CancellationToken,
    ) -> Result<Publisher, Refusal> {
        let channel = StreamKey::claimed_channel(presented).ok_or(Refusal::WrongKey)?;
        let known = match store::key(&self.inner.db, channel).await {
            Ok(known) => known,
            Err(err) => {
                tracing::error!(%err, "cannot read stream keys");
                return Err(Refusal::CannotGoLive(
                    "the server cannot check keys now".into(),
                ));
            }
        };
        if !known.is_some_and(|key| key.matches(presented)) {
            // What an unauthenticated peer sent is logged escaped: no line of its making.
            tracing::warn!(claimed = %channel.escape_debug(), "publisher refused: wrong stream key");
            return Err(Refusal::WrongKey);
        }
        let channel = channel.to_string();
        if let Some(reason) = self.stopped_in_studio(&channel).await {
            return Err(self.refuse(&channel, reason));
        }
        self.admit(&channel, PushFormat::Flv, cut, None)
    }
}
