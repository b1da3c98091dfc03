//! `/health`: whether this instance can do its work, for a load balancer's checks and for
//! people. 200 when the database answers and (in cluster mode) NATS is connected; 503 saying
//! what is down otherwise. Cheap: `SELECT 1` (2 s at most) and the NATS client's state.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::db::Db;

/// How long the database may take to answer.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Health {
    db: Db,
    /// In cluster mode, this instance's NATS connection.
    nats: Option<async_nats::Client>,
}

impl Health {
    pub fn new(db: Db, nats: Option<async_nats::Client>) -> Self {
        Self { db, nats }
    }
}

/// What `/health` answers: each part "up" or "down" (NATS "not used" outside cluster mode).
#[derive(Serialize)]
struct Report {
    database: &'static str,
    nats: &'static str,
}

pub async fn health(State(health): State<Health>) -> Response {
    let ping = sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&health.db);
    let database = match tokio::time::timeout(DATABASE_TIMEOUT, ping).await {
        Ok(Ok(_)) => "up",
        Ok(Err(err)) => {
            tracing::warn!(%err, "health: the database does not answer");
            "down"
        }
        Err(_) => {
            tracing::warn!("health: the database did not answer within 2 s");
            "down"
        }
    };
    let nats = match &health.nats {
        None => "not used",
        Some(client) if client.connection_state() == async_nats::connection::State::Connected => {
            "up"
        }
        Some(_) => "down",
    };
    let status = if database == "up" && nats != "down" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(Report { database, nats }),
    )
        .into_response()
}
