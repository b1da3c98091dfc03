//! `Restream`: each channel's destinations (added, switched, removed) and, for a broadcast on
//! air here, its pushes ([`Restreaming`]) and how each is doing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use super::api::{DestinationSummary, PushState};
use super::destination::{self, hint};
use super::push::Restreaming;
use super::store;
use crate::child_process::ChildLimits;
use crate::clock::now_ms;
use crate::db::Db;
use crate::error::AppError;

/// How restreams run (`[restream]`).
#[derive(Clone, Debug)]
pub struct RestreamConfig {
    pub ffmpeg: String,
    pub limits: ChildLimits,
    /// Destinations a channel may have.
    pub max_destinations: usize,
    /// Whether destinations may be on loopback or private networks.
    pub allow_private: bool,
}

/// How each destination's push is doing, by destination id (while its broadcast is on air).
#[derive(Clone, Default)]
pub struct PushStates(Arc<Mutex<HashMap<i64, PushState>>>);

impl PushStates {
    pub fn set(&self, id: i64, state: PushState) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, state);
    }

    pub fn forget(&self, id: i64) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
    }

    fn get(&self, id: i64) -> Option<PushState> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()
    }
}

#[derive(Clone)]
pub struct Restream {
    db: Db,
    config: Arc<RestreamConfig>,
    states: PushStates,
    /// The restreams of broadcasts on air here, by channel.
    on_air: Arc<Mutex<HashMap<String, Restreaming>>>,
}

impl Restream {
    pub fn new(db: Db, config: RestreamConfig) -> Self {
        Self {
            db,
            config: Arc::new(config),
            states: PushStates::default(),
            on_air: Arc::default(),
        }
    }

    fn on_air(&self) -> std::sync::MutexGuard<'_, HashMap<String, Restreaming>> {
        self.on_air.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `channel` goes live here: its pushes to the destinations switched on (and to those
    /// switched on while it is live). They end with [`Restream::end`], or with `stop`.
    pub async fn begin(&self, channel: &str, stop: CancellationToken) -> Restreaming {
        let restreaming = Restreaming::new(self.config.clone(), self.states.clone(), stop);
        match store::list(&self.db, channel).await {
            Ok(rows) => {
                for row in rows.into_iter().filter(|r| r.enabled) {
                    restreaming.add(row.destination);
                }
            }
            Err(err) => tracing::error!(%err, %channel, "cannot read the restream destinations"),
        }
        self.on_air()
            .insert(channel.to_string(), restreaming.clone());
        restreaming
    }

    /// `channel`'s broadcast ended: its pushes end.
    pub async fn end(&self, channel: &str, restreaming: Restreaming) {
        self.on_air().remove(channel);
        restreaming.finish().await;
    }

    pub async fn list(&self, channel: &str) -> Result<Vec<DestinationSummary>, AppError> {
        Ok(store::list(&self.db, channel)
            .await?
            .into_iter()
            .map(|row| {
                let id = row.destination.id;
                let state = if !row.enabled {
                    PushState::Off
                } else {
                    self.states.get(id).unwrap_or(PushState::Waiting)
                };
                DestinationSummary {
                    id,
                    key_hint: hint(&row.destination.key),
                    name: row.destination.name,
                    url: row.destination.url,
                    enabled: row.enabled,
                    state,
                }
            })
            .collect())
    }

    /// Adds a destination, switched on; pushed to at once when the channel is live here.
    pub async fn add(
        &self,
        channel: &str,
        name: &str,
        url: &str,
        key: &str,
    ) -> Result<DestinationSummary, AppError> {
        let name = destination::check_name(name).map_err(AppError::Invalid)?;
        let url = destination::check_url(url, self.config.allow_private)
            .await
            .map_err(AppError::Invalid)?;
        let key = destination::check_key(key).map_err(AppError::Invalid)?;
        if store::list(&self.db, channel).await?.len() >= self.config.max_destinations {
            return Err(AppError::Conflict(format!(
                "A channel restreams to at most {} destinations: remove one first.",
                self.config.max_destinations
            )));
        }
        let id = store::insert(&self.db, channel, &name, &url, &key, now_ms()).await?;
        tracing::info!(%channel, destination = id, %name, "restream destination added");
        let destination = destination::Destination {
            id,
            name: name.clone(),
            url: url.clone(),
            key: key.clone(),
        };
        if let Some(restreaming) = self.on_air().get(channel) {
            restreaming.add(destination);
        }
        Ok(DestinationSummary {
            id,
            name,
            url,
            key_hint: hint(&key),
            enabled: true,
            state: PushState::Waiting,
        })
    }

    /// Switches destination `id` on or off, at once when the channel is live here.
    pub async fn switch(&self, channel: &str, id: i64, on: bool) -> Result<(), AppError> {
        if !store::switch(&self.db, channel, id, on).await? {
            return Err(AppError::NotFound(
                "The channel has no such destination.".into(),
            ));
        }
        let Some(restreaming) = self.on_air().get(channel).cloned() else {
            return Ok(());
        };
        restreaming.remove(id);
        self.states.forget(id);
        if on
            && let Some(row) = store::list(&self.db, channel)
                .await?
                .into_iter()
                .find(|r| r.destination.id == id)
        {
            restreaming.add(row.destination);
        }
        Ok(())
    }

    pub async fn remove(&self, channel: &str, id: i64) -> Result<(), AppError> {
        if !store::delete(&self.db, channel, id).await? {
            return Err(AppError::NotFound(
                "The channel has no such destination.".into(),
            ));
        }
        if let Some(restreaming) = self.on_air().get(channel) {
            restreaming.remove(id);
        }
        self.states.forget(id);
        Ok(())
    }
}
