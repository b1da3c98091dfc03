//! `GET /live/{channel}/publish`: the studio page's recording, over a WebSocket. Only the
//! channel's owner, signed in, from a page of this site, may open it; one at a time per
//! channel. What it says once open is `ingest::browser_socket`'s.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;
use tower_sessions::Session;

use crate::accounts::Accounts;
use crate::error::AppError;
use crate::ingest::Ingest;
use crate::ingest::browser::MAX_CHUNK;
use crate::ingest::browser_socket::{self, Recording};

pub async fn publish(
    upgrade: WebSocketUpgrade,
    Path(channel): Path<String>,
    Query(recording): Query<Recording>,
    _from_this_site: super::site::FromThisSite,
    session: Session,
    State(ingest): State<Ingest>,
    State(accounts): State<Accounts>,
) -> Response {
    let user = match crate::accounts::session::signed_in(&session, &accounts).await {
        Ok(Some(user)) => user,
        Ok(None) => return AppError::SignInRequired.into_response(),
        Err(err) => return err.into_response(),
    };
    if let Err(err) = user.ensure_owns(&channel) {
        return err.into_response();
    }
    let cut = CancellationToken::new();
    let publisher = match ingest.admit(&channel, recording.format(), cut.clone(), recording.tag()) {
        Ok(publisher) => publisher,
        Err(refusal) => return AppError::from(refusal).into_response(),
    };
    upgrade
        .max_message_size(MAX_CHUNK)
        .on_upgrade(move |socket| browser_socket::serve(socket, publisher, cut, channel))
}
