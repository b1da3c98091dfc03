//! `Webhooks`: hooks added, listed, removed, tested; events told to the hooks that want them.
//! An event goes through one dispatcher, in the order it was emitted, to each hook's worker
//! (`delivery`), so a hook hears a channel's events in the order they happened. Emitting never
//! waits: a dispatcher far behind drops events and says so in the log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::api::{AddedHook, DeliveryAttempt, HOOKS_PER_CHANNEL, HookSummary};
use super::delivery::{self, Deliverer, Job};
use super::event::{self, HookEvent};
use super::store::{self, Hook};
use super::target;
use crate::accounts::session::SignedIn;
use crate::clock::now_ms;
use crate::db::Db;
use crate::error::AppError;

/// How webhooks are delivered (`[webhooks]`).
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// Whether hooks may send to loopback and private addresses.
    pub allow_private: bool,
    /// Each attempt's deadline.
    pub timeout: Duration,
    /// Attempts per event.
    pub attempts: u32,
    /// The wait before the second attempt (doubling after each).
    pub retry_after: Duration,
}

/// Each channel's hooks, and when they were read.
type HookCache = HashMap<String, (Instant, Arc<[Hook]>)>;

/// Events waiting for the dispatcher.
const WAITING_MAX: usize = 4096;
/// A channel's hooks are read from the database again after this long (another instance of a
/// cluster may have added one).
const HOOKS_FRESH_FOR: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    config: Arc<WebhookConfig>,
    client: reqwest::Client,
    news: mpsc::Sender<News>,
    /// Each hook's worker, by hook id, with what stops it.
    workers: Mutex<HashMap<i64, (mpsc::Sender<Job>, CancellationToken)>>,
    /// Each channel's hooks, as last read.
    told_of: Mutex<HookCache>,
    tasks: TaskTracker,
    shutdown: CancellationToken,
}

/// Something that happened on a channel.
struct News {
    channel: String,
    event: HookEvent,
    data: serde_json::Value,
    at_ms: u64,
    /// Only this hook (a test event).
    only: Option<i64>,
}

/// The JSON every request carries.
#[derive(Serialize)]
struct Body<'a> {
    /// The delivery's id, the same on its retries (`X-OnAir-Delivery`).
    id: &'a str,
    event: &'static str,
    channel: &'a str,
    at_ms: u64,
    data: &'a serde_json::Value,
}

impl Webhooks {
    /// Starts delivering; everything ends with `shutdown`.
    pub fn start(
        db: Db,
        config: WebhookConfig,
        tasks: TaskTracker,
        shutdown: CancellationToken,
    ) -> Result<Self, String> {
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.timeout)
            .user_agent("OnAir-Webhooks/1");
        if !config.allow_private {
            client = client.dns_resolver(Arc::new(crate::outbound::PublicOnly));
        }
        let client = client
            .build()
            .map_err(|err| format!("the webhooks' HTTP client: {err}"))?;
        let (news, waiting) = mpsc::channel(WAITING_MAX);
        let hooks = Self {
            inner: Arc::new(Inner {
                db,
                config: Arc::new(config),
                client,
                news,
                workers: Mutex::default(),
                told_of: Mutex::default(),
                tasks: tasks.clone(),
                shutdown,
            }),
        };
        tasks.spawn(hooks.clone().dispatch(waiting));
        Ok(hooks)
    }

    /// Tells the hooks of `channel` (and the server's) that `event` happened, with `data`.
    pub fn emit(&self, channel: &str, event: HookEvent, data: impl Serialize) {
        self.send(News {
            channel: channel.to_string(),
            event,
            data: serde_json::to_value(data).unwrap_or_default(),
            at_ms: now_ms(),
            only: None,
        });
    }

    fn send(&self, news: News) {
        if self.inner.news.try_send(news).is_err() {
            metrics::counter!("onair_webhook_events_dropped_total").increment(1);
            tracing::warn!("webhook events dropped: the dispatcher is behind");
        }
    }

    async fn dispatch(self, mut waiting: mpsc::Receiver<News>) {
        loop {
            let news = tokio::select! {
                _ = self.inner.shutdown.cancelled() => return,
                news = waiting.recv() => match news {
                    Some(news) => news,
                    None => return,
                },
            };
            let hooks = match self.told_of(&news.channel).await {
                Ok(hooks) => hooks,
                Err(err) => {
                    tracing::warn!(%err, "webhooks: cannot read the hooks; an event is lost");
                    continue;
                }
            };
            for hook in hooks.iter() {
                let wanted = match news.only {
                    Some(id) => id == hook.id,
                    None => hook.events.contains(&news.event),
                };
                if wanted {
                    self.queue(hook, &news);
                }
            }
        }
    }

    /// Hands `news` to `hook`'s worker, starting it if it is not running.
    fn queue(&self, hook: &Hook, news: &News) {
        let Ok(delivery) = random_hex(8) else {
            return;
        };
        let body = Body {
            id: &delivery,
            event: news.event.name(),
            channel: &news.channel,
            at_ms: news.at_ms,
            data: &news.data,
        };
        let Ok(body) = serde_json::to_vec(&body) else {
            return;
        };
        let job = Job {
            delivery,
            event: news.event.name(),
            body: Bytes::from(body),
        };
        let mut workers = self.inner.workers.lock().unwrap_or_else(|p| p.into_inner());
        let (send, _) = workers.entry(hook.id).or_insert_with(|| {
            let stop = self.inner.shutdown.child_token();
            let deliverer = Deliverer {
                db: self.inner.db.clone(),
                client: self.inner.client.clone(),
                config: self.inner.config.clone(),
            };
            let send = delivery::start(deliverer, hook.clone(), &self.inner.tasks, stop.clone());
            (send, stop)
        });
        if send.try_send(job).is_err() {
            metrics::counter!("onair_webhook_events_dropped_total").increment(1);
            tracing::warn!(
                hook = hook.id,
                "webhook event dropped: the receiver is far behind"
            );
        }
    }

    /// The hooks told of `channel`'s events, from the cache while fresh.
    async fn told_of(&self, channel: &str) -> Result<Arc<[Hook]>, sqlx::Error> {
        if let Some((read, hooks)) = self.cache().get(channel)
            && read.elapsed() < HOOKS_FRESH_FOR
        {
            return Ok(hooks.clone());
        }
        let hooks: Arc<[Hook]> = store::told_of(&self.inner.db, channel).await?.into();
        let mut cache = self.cache();
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(channel.to_string(), (Instant::now(), hooks.clone()));
        Ok(hooks)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HookCache> {
        self.inner.told_of.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The hooks `user` keeps for `channel` (None: the server's).
    pub async fn list(
        &self,
        user: &SignedIn,
        channel: Option<&str>,
    ) -> Result<Vec<HookSummary>, AppError> {
        ensure_keeps(user, channel)?;
        Ok(store::list(&self.inner.db, channel)
            .await?
            .into_iter()
            .map(summary)
            .collect())
    }

    /// Adds a hook sending `events` on `channel` (None: every channel) to `url`.
    pub async fn add(
        &self,
        user: &SignedIn,
        channel: Option<&str>,
        url: &str,
        events: &[HookEvent],
    ) -> Result<AddedHook, AppError> {
        ensure_keeps(user, channel)?;
        let url = target::check_url(url, self.inner.config.allow_private)
            .await
            .map_err(AppError::Invalid)?;
        let events: Vec<HookEvent> = events
            .iter()
            .copied()
            .filter(|e| HookEvent::CHOSEN.contains(e))
            .collect();
        if events.is_empty() {
            return Err(AppError::Invalid(
                "Choose at least one event to be told of.".into(),
            ));
        }
        if store::list(&self.inner.db, channel).await?.len() as i64 >= HOOKS_PER_CHANNEL {
            return Err(AppError::Conflict(format!(
                "There are {HOOKS_PER_CHANNEL} webhooks here already, the most allowed: remove one first."
            )));
        }
        let secret = format!("whsec_{}", random_hex(24)?);
        let now = now_ms();
        let stored = event::join(&events);
        let id = store::insert(
            &self.inner.db,
            channel,
            url.as_str(),
            &stored,
            &secret,
            &user.username,
            now,
        )
        .await?;
        self.forget(channel);
        tracing::info!(hook = id, channel = ?channel, by = %user.username, events = %stored, "webhook added");
        Ok(AddedHook {
            summary: HookSummary {
                id,
                channel: channel.map(str::to_string),
                url: url.to_string(),
                events: event::split(&stored),
                created_ms: now,
            },
            secret,
        })
    }

    /// Removes hook `id`: nothing more is sent to it, queued events included.
    pub async fn remove(&self, user: &SignedIn, id: i64) -> Result<(), AppError> {
        let hook = self.kept_by(user, id).await?;
        store::delete(&self.inner.db, id).await?;
        if let Some((_, stop)) = self
            .inner
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id)
        {
            stop.cancel();
        }
        self.forget(hook.channel.as_deref());
        tracing::info!(hook = id, by = %user.username, "webhook removed");
        Ok(())
    }

    /// Sends hook `id` a test event.
    pub async fn test(&self, user: &SignedIn, id: i64) -> Result<(), AppError> {
        let hook = self.kept_by(user, id).await?;
        let channel = hook.channel.clone().unwrap_or_else(|| user.channel.clone());
        self.forget(Some(&channel));
        self.send(News {
            channel,
            event: HookEvent::Test,
            data: serde_json::json!({ "message": "A test event from OnAir.", "by": user.username }),
            at_ms: now_ms(),
            only: Some(id),
        });
        Ok(())
    }

    /// Hook `id`'s latest attempts, newest first.
    pub async fn deliveries(
        &self,
        user: &SignedIn,
        id: i64,
    ) -> Result<Vec<DeliveryAttempt>, AppError> {
        self.kept_by(user, id).await?;
        Ok(store::attempts(&self.inner.db, id).await?)
    }

    /// Hook `id`, if `user` keeps it (404 otherwise: others' hooks are not theirs to know of).
    async fn kept_by(&self, user: &SignedIn, id: i64) -> Result<Hook, AppError> {
        let hook = store::get(&self.inner.db, id)
            .await?
            .ok_or_else(|| AppError::NotFound("There is no such webhook.".into()))?;
        ensure_keeps(user, hook.channel.as_deref())
            .map_err(|_| AppError::NotFound("There is no such webhook.".into()))?;
        Ok(hook)
    }

    /// Drops the cached hooks of `channel` (None: every channel's, as the server's apply to all).
    fn forget(&self, channel: Option<&str>) {
        let mut cache = self.cache();
        match channel {
            Some(channel) => {
                cache.remove(channel);
            }
            None => cache.clear(),
        }
    }
}

/// A channel's hooks are its owner's; the server's are the operators'.
fn ensure_keeps(user: &SignedIn, channel: Option<&str>) -> Result<(), AppError> {
    match channel {
        Some(channel) => user.ensure_owns(channel),
        None if user.operator => Ok(()),
        None => Err(AppError::Forbidden(
            "Only operators keep webhooks for every channel.".into(),
        )),
    }
}

fn summary(hook: Hook) -> HookSummary {
    HookSummary {
        id: hook.id,
        channel: hook.channel,
        url: hook.url,
        events: hook.events,
        created_ms: hook.created_ms,
    }
}

/// `bytes` random bytes in hex.
fn random_hex(bytes: usize) -> Result<String, AppError> {
    crate::secrets::random_hex(bytes).map_err(|err| {
        tracing::error!(%err, "no randomness");
        AppError::Server("no randomness".into())
    })
}
