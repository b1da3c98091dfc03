//! A server from its settings to its shutdown: the database, the two listeners, the cluster
//! (when configured), each capability's state, the demo and the background tasks; then it
//! serves until shut down.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::state::Joined;
use super::{AppState, Settings, background, demo, router, serve};
use crate::broadcasts::InCluster;
use crate::cluster::Cluster;
use crate::cluster::mirror::ClusterMirror;
use crate::cluster::origins::ClusterOrigins;
use crate::db;

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
        let joined = join_cluster(&settings, &tasks, &shutdown).await?;
        let shared_db = backend == db::Backend::Postgres;
        let cluster = joined.as_ref().map(|j| j.cluster.clone());
        let serving = settings.serving().map_err(std::io::Error::other)?;
        let state = AppState::open(
            &settings,
            &db,
            backend,
            joined,
            serving.caps,
            &tasks,
            &shutdown,
        )
        .await?;
        state.ingest.bound_to(rtmp_addr);
        if settings.demo.enabled {
            demo::start(
                &state,
                &settings.demo.title,
                cluster.clone(),
                &tasks,
                &shutdown,
            )
            .await
            .map_err(std::io::Error::other)?;
        }
        background::spawn(
            &state,
            &settings,
            sessions.clone(),
            cluster.as_ref(),
            shared_db,
            &tasks,
            &shutdown,
        );
        let (caps, deadlines) = settings.rtmp_limits();
        tasks.spawn(crate::ingest::listener::listen(
            rtmp_listener,
            state.ingest.clone(),
            caps,
            deadlines,
            tasks.clone(),
            shutdown.clone(),
        ));
        let scheme = if serving.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let app = router::router(state.clone(), sessions, settings.server.https());
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

/// Joins the cluster the settings name, if any: its media mirror and origin leases start on
/// `tasks`.
async fn join_cluster(
    settings: &Settings,
    tasks: &TaskTracker,
    shutdown: &CancellationToken,
) -> std::io::Result<Option<Joined>> {
    let cluster = match settings.cluster.nats_url.as_str() {
        "" => return Ok(None),
        url => Cluster::join(url, &settings.cluster.name)
            .await
            .map_err(std::io::Error::other)?,
    };
    Ok(Some(Joined {
        in_cluster: InCluster {
            mirror: ClusterMirror::start(cluster.clone(), tasks, shutdown.clone()),
            origins: ClusterOrigins::start(cluster.clone(), tasks, shutdown.clone()),
        },
        cluster,
    }))
}
