//! Server-only wiring: settings, each capability's state side by side (`state`), the router
//! (`router`) with its handlers (SSE, thumbnails, the publish socket, metrics, health), start
//! and shutdown (`running`) with the demo (`demo`) and background tasks (`background`). No
//! domain logic lives here.

mod avatars;
mod background;
mod bodies;
mod calendar;
mod clips;
pub mod commands;
mod demo;
mod emotes;
mod forwarded;
mod headers;
mod health;
pub mod limits;
pub mod link;
mod metrics;
mod oembed;
mod png;
mod publish;
mod recordings;
mod router;
mod running;
mod serve;
pub mod settings;
pub mod site;
mod sse;
mod state;
mod thumbnail;
mod tls;
mod token_api;

pub use router::router;
pub use running::RunningServer;
pub use settings::Settings;
pub use state::AppState;

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
