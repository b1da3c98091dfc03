//! Server-only wiring: settings, shared state, the router, the SSE handler, start and shutdown.

pub mod limits;
mod serve;
pub mod settings;
mod sse;
mod state;
mod thumbnail;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use crate::app::{App, shell};
use crate::broadcasts::source::{Encoding, Source};
use crate::broadcasts::supervisor::{Broadcast, supervise};
pub use settings::Settings;
pub use state::AppState;

/// The whole HTTP surface: pages, server functions, the SSE stream, static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    Router::new()
        .route("/live/{channel}/events", get(sse::live_events))
        .route("/live/{channel}/thumbnail.jpg", get(thumbnail::thumbnail))
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state)
}

/// A server listening on a socket, with its broadcasts running.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    /// Broadcasts and the viewer-count publisher.
    tasks: TaskTracker,
    serve: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Binds `settings.server.addr` (port 0 picks a free port), starts the demo channel if
    /// enabled, and serves.
    pub async fn start(settings: Settings) -> std::io::Result<Self> {
        let listener = TcpListener::bind(settings.server.addr).await?;
        let addr = listener.local_addr()?;
        let state = AppState::new(settings);
        let tasks = TaskTracker::new();
        if state.settings.demo.enabled {
            start_demo(&state, &tasks);
        }
        tasks.spawn(publish_viewer_counts(state.clone()));
        let app = router(state.clone());
        let send_buffer = state.settings.server.send_buffer_kib * 1024;
        let serve = tokio::spawn(serve::serve(
            listener,
            app,
            send_buffer,
            state.shutdown.clone(),
        ));
        tracing::info!("OnAir listening on http://{addr}");
        Ok(Self {
            addr,
            state,
            tasks,
            serve,
        })
    }

    /// Stops every broadcast (and its ffmpeg), ends every SSE stream, and waits for both.
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.state.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
        self.serve
            .await
            .unwrap_or_else(|join| Err(std::io::Error::other(join)))
    }
}

/// Once a second, every channel whose audience changed tells its viewers the new count.
async fn publish_viewer_counts(state: AppState) {
    let mut every_second = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = every_second.tick() => state.channels.publish_viewer_counts(),
        }
    }
}

fn start_demo(state: &AppState, tasks: &TaskTracker) {
    let s = &state.settings;
    let channel = state.channels.open("demo", "OnAir", &s.demo.title);
    let broadcast = Broadcast {
        channel: channel.name.clone(),
        source: Source::TestPattern {
            width: s.demo.width,
            height: s.demo.height,
            fps: s.demo.fps,
        },
        encoding: Encoding {
            fps: s.demo.fps,
            video_kbps: s.demo.video_kbps,
            audio_kbps: s.demo.audio_kbps,
            fragment_ms: s.ffmpeg.fragment_ms,
            keyframe_secs: s.ffmpeg.keyframe_secs,
        },
        ffmpeg: s.ffmpeg.path.clone(),
        max_restarts: s.ffmpeg.max_restarts,
    };
    tasks.spawn(supervise(
        broadcast,
        channel.hub.clone(),
        state.shutdown.child_token(),
    ));
}

/// The binary's entry: settings, logging, serve until Ctrl-C or SIGTERM, then shut down.
pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,mp4_atom=error".into()),
        )
        .init();
    let settings = Settings::load()?;
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
