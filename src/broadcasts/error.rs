//! [`BroadcastError`]: why a channel's broadcast cannot start or stop as asked. The cases
//! callers act on are told apart (ingest takes over a broadcast that waits for its publisher on
//! another instance; the demo's holder tries again); the rest is an [`AppError`]. Each reaches
//! a person as an [`AppError`] with the same words.

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BroadcastError {
    /// The channel is on air on this instance.
    #[error("{0} is already live. Stop it first to change the source.")]
    LiveHere(String),
    /// In a cluster, another instance runs the channel's broadcast.
    #[error("{0} is already live from another server of this site. Stop it first.")]
    LiveElsewhere(String),
    /// Nothing to stop: no instance runs the channel.
    #[error("{0} is not live.")]
    NotLive(String),
    #[error(transparent)]
    Other(#[from] AppError),
}

impl BroadcastError {
    /// Whether the channel is on air already, here or on another instance.
    pub fn is_live_already(&self) -> bool {
        matches!(
            self,
            BroadcastError::LiveHere(_) | BroadcastError::LiveElsewhere(_)
        )
    }
}

impl From<BroadcastError> for AppError {
    fn from(err: BroadcastError) -> Self {
        match err {
            BroadcastError::Other(err) => err,
            conflict => AppError::Invalid(conflict.to_string()),
        }
    }
}

impl From<sqlx::Error> for BroadcastError {
    fn from(err: sqlx::Error) -> Self {
        BroadcastError::Other(err.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_reaches_a_person_as_a_400_with_what_to_do() {
        let err = AppError::from(BroadcastError::LiveElsewhere("alice".into()));
        assert_eq!(
            err,
            AppError::Invalid(
                "alice is already live from another server of this site. Stop it first.".into()
            )
        );
        assert_eq!(err.status(), 400);
        let busy = AppError::Busy("full".into());
        assert_eq!(AppError::from(BroadcastError::from(busy.clone())), busy);
    }
}
