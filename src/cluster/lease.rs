//! One origin per channel: a lease in the `origins` bucket, created by whoever comes first,
//! renewed by its holder every second, and gone [`super::LEASE_TTL`] after the last renewal
//! (the bucket's entries expire), so the holder's death frees it within seconds.

use async_nats::jetstream::kv::{CreateErrorKind, UpdateErrorKind};

use super::Cluster;

/// Who runs a channel, as far as this instance can tell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Holder {
    /// This instance, under the lease's revision.
    Me(u64),
    /// Another instance, whose lease is current.
    Other,
    /// NATS did not answer: nothing is known this time.
    Unknown,
}

impl Cluster {
    /// Renews the lease this instance holds for `channel` (at `held`, its revision), or takes
    /// it if nobody holds it.
    pub(super) async fn lease(&self, channel: &str, held: Option<u64>) -> Holder {
        let me = bytes::Bytes::from(self.instance.clone());
        match held {
            Some(revision) => match self.origins.update(channel, me.clone(), revision).await {
                Ok(revision) => Holder::Me(revision),
                // Lapsed (NATS was away longer than the lease): ours again if nobody took it.
                Err(err) if err.kind() == UpdateErrorKind::WrongLastRevision => {
                    match self.origins.create(channel, me).await {
                        Ok(revision) => Holder::Me(revision),
                        Err(_) => Holder::Other,
                    }
                }
                Err(err) => {
                    tracing::warn!(%err, %channel, "could not renew the origin lease");
                    Holder::Unknown
                }
            },
            None => match self.origins.create(channel, me).await {
                Ok(revision) => Holder::Me(revision),
                Err(err) if err.kind() == CreateErrorKind::AlreadyExists => Holder::Other,
                Err(err) => {
                    tracing::warn!(%err, %channel, "could not ask for the origin lease");
                    Holder::Unknown
                }
            },
        }
    }

    /// Whether any instance holds `channel`'s lease; None if NATS did not answer.
    pub(super) async fn has_origin(&self, channel: &str) -> Option<bool> {
        match self.origins.get(channel).await {
            Ok(entry) => Some(entry.is_some()),
            Err(err) => {
                tracing::debug!(%err, %channel, "could not read the origin lease");
                None
            }
        }
    }

    /// Gives the lease up at once (a clean stop), so another instance need not wait it out.
    pub(super) async fn release(&self, channel: &str) {
        if let Err(err) = self.origins.delete(channel).await {
            tracing::warn!(%err, %channel, "could not give up the origin lease");
        }
    }
}
