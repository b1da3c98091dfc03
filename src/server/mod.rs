//! Server-only wiring: settings, each capability's state side by side, the router, the SSE and
//! thumbnail handlers, start and shutdown. No domain logic lives here.

mod bodies;
pub mod commands;
mod forwarded;
mod headers;
mod health;
pub mod limits;
mod metrics;
mod publish;
mod serve;
pub mod settings;
mod site;
mod sse;
mod state;
mod thumbnail;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration as CookieDuration;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::accounts::Accounts;
use crate::app::{App, shell};
use crate::broadcasts::api::SourceChoice;
use crate::broadcasts::{Broadcasts, InCluster};
use crate::channels::Channels;
use crate::channels::thumbnail::Thumbnails;
use crate::chat::Chat;
use crate::cluster::Cluster;
use crate::cluster::chat::ClusterChat;
use crate::cluster::mirror::ClusterMirror;
use crate::cluster::origins::ClusterOrigins;
use crate::db;
use crate::ingest::Ingest;
use crate::open_connections::OpenConnections;
pub use settings::Settings;
pub use state::AppState;

/// A signed-in session lasts this long without being used.
const SESSION_IDLE_DAYS: i64 = 30;

/// The whole HTTP surface: pages, server functions, the SSE stream, static files; sessions
/// (an HttpOnly, SameSite=Lax cookie holding only an id, Secure when `secure_cookies`) on all
/// of it; requests for other host names (421) and cross-site requests that could change
/// something (403) refused before anything runs, request bodies read whole within their
/// bounds (`bodies`), and safety headers on every response.
pub fn router(state: AppState, sessions: db::Sessions, secure_cookies: bool) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let hashed_assets = options.hash_files;
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name("onair_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(CookieDuration::days(
            SESSION_IDLE_DAYS,
        )));
    let context = {
        let state = state.clone();
        move || state.provide()
    };
    let app = Router::new()
        .route("/live/{channel}/events", get(sse::live_events))
        .route("/live/{channel}/thumbnail.jpg", get(thumbnail::thumbnail))
        .route("/live/{channel}/publish", get(publish::publish))
        .route("/metrics", get(metrics::metrics))
        .route("/health", get(health::health))
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(session_layer)
        .layer(axum::middleware::from_fn_with_state(
            state.bodies.clone(),
            bodies::read_whole,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.site.clone(),
            site::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.site.clone(),
            site::check_host,
        ))
        .layer(axum::middleware::map_response(headers::add_safety_headers))
        .layer(axum::middleware::from_fn(move |request, next| {
            headers::cache_assets(hashed_assets, request, next)
        }))
        .with_state(state);
    if secure_cookies {
        app.layer(axum::middleware::map_response(headers::add_https_only))
    } else {
        app
    }
}

/// A server listening on a socket, with its broadcasts running.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// Where the RTMP listener is bound.
    pub rtmp_addr: SocketAddr,
    pub state: AppState,
    /// The database, for tests that read what was recorded.
    pub db: db::Db,
    /// Cancelled on shutdown: broadcasts stop, background tasks end.
    shutdown: CancellationToken,
    /// Broadcasts and the viewer-count publisher.
    tasks: TaskTracker,
    serve: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Opens the database, binds `settings.server.addr` (port 0 picks a free port), starts
    /// the demo channel if enabled, and serves.
    pub async fn start(settings: Settings) -> std::io::Result<Self> {
        let db::Opened {
            db,
            backend,
            sessions,
        } = db::open(&settings.database.url, &settings.database.path)
            .await
            .map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(settings.server.addr).await?;
        let addr = listener.local_addr()?;
        let rtmp_listener = TcpListener::bind(settings.rtmp.addr).await?;
        let rtmp_addr = rtmp_listener.local_addr()?;
        let tasks = TaskTracker::new();
        let shutdown = CancellationToken::new();
        let channels = Channels::load(db.clone(), settings.hub())
            .await
            .map_err(std::io::Error::other)?;
        let cluster = match settings.cluster.nats_url.as_str() {
            "" => None,
            url => Some(
                Cluster::join(url, &settings.cluster.name)
                    .await
                    .map_err(std::io::Error::other)?,
            ),
        };
        let in_cluster = cluster.clone().map(|cluster| InCluster {
            mirror: ClusterMirror::start(cluster.clone(), &tasks, shutdown.clone()),
            origins: ClusterOrigins::start(cluster, &tasks, shutdown.clone()),
        });
        let shared_db = backend == db::Backend::Postgres;
        if cluster.is_some() && !shared_db {
            tracing::warn!(
                "cluster mode with SQLite: video is shared, but accounts, chat and records stay \
                 on each instance; set [database] url to a PostgreSQL database to share them"
            );
        }
        let mut chat = Chat::new(db.clone(), channels.clone());
        if let Some(cluster) = cluster.clone().filter(|_| shared_db) {
            let bus = ClusterChat::start(cluster, channels.clone(), &tasks, shutdown.clone())
                .await
                .map_err(std::io::Error::other)?;
            chat = chat.with_bus(bus);
        }
        let broadcasts = Broadcasts::open(
            db.clone(),
            channels.clone(),
            settings.broadcasts(),
            tasks.clone(),
            shutdown.clone(),
            in_cluster,
            backend,
        )
        .await
        .map_err(std::io::Error::other)?;
        let ingest = Ingest::new(
            db.clone(),
            channels.clone(),
            broadcasts.clone(),
            settings.ingest(),
        );
        ingest.bound_to(rtmp_addr);
        let serving = settings.serving().map_err(std::io::Error::other)?;
        let state = AppState {
            leptos_options: settings.leptos_options(),
            ingest: ingest.clone(),
            accounts: Accounts::new(
                db.clone(),
                settings.accounts.signups_per_address_per_hour,
                settings.server.https(),
            )
            .with_session_lifetime(Duration::from_secs(settings.accounts.session_lifetime_secs)),
            chat,
            thumbnails: Thumbnails::new(
                channels.clone(),
                settings.ffmpeg.path.clone(),
                settings.child_limits(),
            ),
            channels,
            broadcasts,
            event_streams: settings.event_streams(),
            site: settings.site(),
            bodies: bodies::BodyLimits::new(Duration::from_secs(
                settings.server.header_timeout_secs.max(1),
            )),
            health: health::Health::new(db.clone(), cluster.as_ref().map(|c| c.nats())),
            connections: OpenConnections::new(serving.caps),
            metrics: settings
                .metrics
                .enabled
                .then(|| metrics::MetricsAccess::new(&settings.metrics.token))
                .flatten(),
        };
        if settings.demo.enabled {
            start_demo(
                &state,
                &settings.demo.title,
                cluster.clone(),
                &tasks,
                &shutdown,
            )
            .await
            .map_err(std::io::Error::other)?;
        }
        if let Some(cluster) = &cluster {
            tasks.spawn(crate::cluster::counts::share(
                cluster.clone(),
                state.channels.clone(),
                shutdown.clone(),
            ));
            tasks.spawn(crate::cluster::edges::serve(
                cluster.clone(),
                state.channels.clone(),
                state.broadcasts.clone(),
                shared_db,
                shutdown.clone(),
            ));
        }
        tasks.spawn(publish_viewer_counts(
            state.channels.clone(),
            shutdown.clone(),
        ));
        tasks.spawn(keep_streams_alive(
            state.channels.clone(),
            settings.server.keep_alive_secs,
            shutdown.clone(),
        ));
        tasks.spawn(delete_expired_sessions(sessions.clone(), shutdown.clone()));
        let retention = (settings.chat.retention_days > 0)
            .then(|| std::time::Duration::from_secs(settings.chat.retention_days * 24 * 3600));
        tasks.spawn({
            let chat = state.chat.clone();
            let stop = shutdown.clone();
            async move { chat.erase_old(retention, stop).await }
        });
        let (caps, deadlines) = settings.rtmp_limits();
        tasks.spawn(crate::ingest::listener::listen(
            rtmp_listener,
            ingest,
            caps,
            deadlines,
            tasks.clone(),
            shutdown.clone(),
        ));
        let app = router(state.clone(), sessions, settings.server.https());
        let scheme = if serving.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let serve = tokio::spawn(serve::serve(
            listener,
            app,
            serving,
            state.connections.clone(),
            shutdown.clone(),
        ));
        tracing::info!("OnAir listening on {scheme}://{addr}, streams on rtmp://{rtmp_addr}/live");
        Ok(Self {
            addr,
            rtmp_addr,
            state,
            db,
            shutdown,
            tasks,
            serve,
        })
    }

    /// Stops every broadcast (and its ffmpeg), ends every SSE stream, and waits for both.
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
        // Broadcasts are over (viewers were told "offline"); now end every SSE stream, so the
        // graceful drain of open connections can finish.
        self.state.channels.close_all();
        self.serve
            .await
            .unwrap_or_else(|join| Err(std::io::Error::other(join)))
    }
}

/// Once a second, every channel whose audience changed tells its viewers the new count.
async fn publish_viewer_counts(channels: Channels, shutdown: CancellationToken) {
    let mut every_second = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every_second.tick() => channels.publish_viewer_counts(),
        }
    }
}

/// Beats every hub twice per keep-alive period, so no SSE stream goes a whole period without
/// a byte (a write is also how a closed connection is noticed).
async fn keep_streams_alive(channels: Channels, keep_alive_secs: u64, shutdown: CancellationToken) {
    let period = std::time::Duration::from_secs(keep_alive_secs.max(1));
    let mut beat = tokio::time::interval(period / 2);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = beat.tick() => channels.heartbeat(),
        }
    }
}

/// Hourly, sessions past their expiry are deleted from the store.
async fn delete_expired_sessions(sessions: db::Sessions, shutdown: CancellationToken) {
    tokio::select! {
        _ = shutdown.cancelled() => {}
        ended = sessions.continuously_delete_expired(std::time::Duration::from_secs(3600)) => {
            if let Err(err) = ended {
                tracing::error!(%err, "expired-session cleanup stopped");
            }
        }
    }
}

/// The demo channel, owned by nobody, broadcasting the test pattern (and recorded like any).
/// In a cluster, one instance at a time runs it and the others relay it.
async fn start_demo(
    state: &AppState,
    title: &str,
    cluster: Option<Arc<Cluster>>,
    tasks: &TaskTracker,
    shutdown: &CancellationToken,
) -> Result<(), crate::error::AppError> {
    let channel = state.channels.open("demo", "OnAir", title);
    match cluster {
        None => {
            state
                .broadcasts
                .start("demo", title.to_string(), SourceChoice::TestPattern)
                .await
        }
        Some(_) => {
            tasks.spawn(crate::cluster::held::hold(
                state.broadcasts.clone(),
                channel.name.clone(),
                title.to_string(),
                SourceChoice::TestPattern,
                shutdown.clone(),
            ));
            Ok(())
        }
    }
}

/// The binary's entry: settings, logging, serve until Ctrl-C or SIGTERM, then shut down; or
/// one of the other commands (`commands`).
pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let commands::Command::Operator(command) = commands::parse(&args)? {
        let settings = Settings::load()?;
        println!("{}", commands::operator(&settings, command).await?);
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,mp4_atom=error".into()),
        )
        .init();
    let settings = Settings::load()?;
    limits::return_large_allocations();
    let open_files = limits::raise_open_file_limit();
    tracing::info!(open_files, "open-file limit");
    let server = RunningServer::start(settings).await?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("can listen for SIGTERM");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[cfg(test)]
mod tests;
