//! One worker per hook: the events for that address, sent one after another in the order they
//! happened, each retried with backoff (1×, 2×, 4×… the first wait) until it is answered with
//! a 2xx or the attempts run out; every attempt within a deadline, none following a redirect.
//! Every attempt is noted in the hook's log. A hook removed, or the server stopping, ends its
//! worker at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::api::DeliveryAttempt;
use super::signature;
use super::state::WebhookConfig;
use super::store::{self, Hook};
use crate::clock::now_ms;
use crate::db::Db;

/// Events a hook's worker holds waiting; past this (a receiver far behind), new ones are
/// dropped and the log says so.
pub const QUEUED_MAX: usize = 256;
/// The longest wait between two attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// One event for one hook: its body as sent on every attempt.
pub struct Job {
    pub delivery: String,
    pub event: &'static str,
    pub body: Bytes,
}

/// What the worker needs besides its hook.
#[derive(Clone)]
pub struct Deliverer {
    pub db: Db,
    pub client: reqwest::Client,
    pub config: Arc<WebhookConfig>,
}

/// Starts `hook`'s worker until `stop`; returns where its jobs go.
pub fn start(
    deliverer: Deliverer,
    hook: Hook,
    tasks: &tokio_util::task::TaskTracker,
    stop: CancellationToken,
) -> mpsc::Sender<Job> {
    let (send, mut jobs) = mpsc::channel::<Job>(QUEUED_MAX);
    tasks.spawn(async move {
        loop {
            let job = tokio::select! {
                _ = stop.cancelled() => return,
                job = jobs.recv() => match job {
                    Some(job) => job,
                    None => return,
                },
            };
            deliverer.deliver(&hook, &job, &stop).await;
        }
    });
    send
}

impl Deliverer {
    /// Sends `job` to `hook` until it is taken, the attempts run out, or `stop`.
    async fn deliver(&self, hook: &Hook, job: &Job, stop: &CancellationToken) {
        let attempts = self.config.attempts.max(1);
        for attempt in 1..=attempts {
            let started = Instant::now();
            let at_ms = now_ms();
            let (status, error) = tokio::select! {
                _ = stop.cancelled() => return,
                answer = self.send_once(hook, job, attempt) => answer,
            };
            let delivered = status.is_some_and(|s| (200..300).contains(&s));
            let noted = DeliveryAttempt {
                delivery: job.delivery.clone(),
                event: job.event.to_string(),
                attempt,
                status,
                error: error.clone(),
                at_ms,
                took_ms: started.elapsed().as_millis() as u64,
            };
            if let Err(err) = store::add_attempt(&self.db, hook.id, &noted).await {
                tracing::warn!(%err, hook = hook.id, "could not log a webhook delivery");
            }
            if delivered {
                metrics::counter!("onair_webhook_deliveries_total", "result" => "delivered")
                    .increment(1);
                return;
            }
            metrics::counter!("onair_webhook_deliveries_total", "result" => "failed").increment(1);
            if attempt == attempts {
                tracing::warn!(
                    hook = hook.id,
                    event = job.event,
                    ?status,
                    ?error,
                    attempts,
                    "webhook not delivered: no attempts left"
                );
                return;
            }
            let wait = self
                .config
                .retry_after
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(BACKOFF_MAX);
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One attempt: the receiver's status, or why there was none. A redirect is an answer
    /// that is not taken.
    async fn send_once(
        &self,
        hook: &Hook,
        job: &Job,
        attempt: u32,
    ) -> (Option<u16>, Option<String>) {
        let url = match super::target::check_url(&hook.url, self.config.allow_private).await {
            Ok(url) => url,
            Err(why) => return (None, Some(why)),
        };
        let sent_at = now_ms() / 1000;
        let request = self
            .client
            .post(url)
            .timeout(self.config.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("x-onair-event", job.event)
            .header("x-onair-delivery", &job.delivery)
            .header("x-onair-attempt", attempt.to_string())
            .header(
                signature::HEADER,
                signature::sign(&hook.secret, sent_at, &job.body),
            )
            .body(job.body.clone());
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                let why = if status.is_redirection() {
                    Some("redirects are not followed: give the final address".to_string())
                } else if !status.is_success() {
                    Some(format!("the receiver answered {status}"))
                } else {
                    None
                };
                (Some(status.as_u16()), why)
            }
            // Without the address, which may hold a secret of the receiver's.
            Err(err) if err.is_timeout() => (
                None,
                Some(format!(
                    "no answer within {} s",
                    self.config.timeout.as_secs_f64()
                )),
            ),
            Err(err) => (None, Some(describe(err.without_url()))),
        }
    }
}

/// A failed request in a few words, with its innermost cause.
fn describe(err: reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = &err;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    if err.is_connect() {
        format!("could not connect: {cause}")
    } else {
        format!("the request failed: {cause}")
    }
}
