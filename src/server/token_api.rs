//! The JSON API bots and tools use with an API token (`Authorization: Bearer onair_…`), as
//! docs/api.md describes it. Each act goes through the same rules as the site's (the `*_by`
//! methods of each capability), as the token's user, within what the token grants (403
//! beyond it). Errors are the server functions' JSON (`AppError`); 401 carries
//! `WWW-Authenticate: Bearer`.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::accounts::Accounts;
use crate::broadcasts::Broadcasts;
use crate::broadcasts::api::SourceChoice;
use crate::channels::Channels;
use crate::chat::Chat;
use crate::chat::api::RECENT;
use crate::client_key::UNKNOWN;
use crate::error::AppError;
use crate::tokens::{Bearer, Scope, Tokens};

/// The token a request carries, as the user it acts for.
pub struct Authorized(pub Bearer);

impl<S: Send + Sync> FromRequestParts<S> for Authorized
where
    Tokens: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let tokens = Tokens::from_ref(state);
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(UNKNOWN, |ConnectInfo(addr)| addr.ip());
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(presented) = presented else {
            return Err(refused(AppError::Unauthorized(
                "Send an API token as `Authorization: Bearer onair_…`; make one in the studio."
                    .into(),
            )));
        };
        tokens
            .bearer(presented, client)
            .await
            .map(Authorized)
            .map_err(refused)
    }
}

/// An error as the API answers it: a 401 says how to authenticate.
fn refused(err: AppError) -> Response {
    let unauthorized = matches!(err, AppError::Unauthorized(_));
    let mut response = err.into_response();
    if unauthorized {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"OnAir\""),
        );
    }
    response
}

/// A JSON body, or a 400 saying what was wrong with it.
fn body<T>(body: Result<Json<T>, JsonRejection>, shape: &str) -> Result<T, AppError> {
    body.map(|Json(value)| value).map_err(|rejection| {
        AppError::Invalid(format!(
            "Send a JSON body like {shape} with `Content-Type: application/json` ({}).",
            rejection.body_text()
        ))
    })
}

type Answer = Result<Response, AppError>;

/// `GET /api/v1/channels/{channel}`: its state, title and viewer count. Scope `read`.
pub async fn channel(
    State(channels): State<Channels>,
    Authorized(bearer): Authorized,
    Path(channel): Path<String>,
) -> Answer {
    bearer.ensure(Scope::Read)?;
    let found = channels.require(&channel).await?;
    Ok(Json(found.summary()).into_response())
}

/// `GET /api/v1/channels/{channel}/chat`: its latest messages, oldest first. Scope `read`.
pub async fn chat(
    State(chat): State<Chat>,
    Authorized(bearer): Authorized,
    Path(channel): Path<String>,
) -> Answer {
    bearer.ensure(Scope::Read)?;
    Ok(Json(chat.recent(&channel, RECENT).await?).into_response())
}

#[derive(Deserialize)]
pub struct Said {
    text: String,
    /// The message this one replies to.
    #[serde(default)]
    reply_to: Option<u64>,
}

/// `POST /api/v1/channels/{channel}/chat` `{"text": …, "reply_to": id?}`: posts as the
/// token's user, shown as a bot's; 201 with the message. Scope `chat`.
pub async fn post_chat(
    State(chat): State<Chat>,
    Authorized(bearer): Authorized,
    Path(channel): Path<String>,
    said: Result<Json<Said>, JsonRejection>,
) -> Answer {
    bearer.ensure(Scope::Chat)?;
    let said = body(said, r#"{"text": "hello"}"#)?;
    let message = chat
        .post(&channel, &bearer.user, &said.text, true, said.reply_to)
        .await?;
    Ok((StatusCode::CREATED, Json(message)).into_response())
}

/// `DELETE /api/v1/channels/{channel}/chat/{id}`. Scope `moderate`.
pub async fn delete_chat(
    State(chat): State<Chat>,
    Authorized(bearer): Authorized,
    Path((channel, id)): Path<(String, u64)>,
) -> Answer {
    bearer.ensure(Scope::Moderate)?;
    chat.delete_by(&bearer.user, &channel, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct Ban {
    username: String,
}

/// `POST /api/v1/channels/{channel}/bans` `{"username": …}`. Scope `moderate`.
pub async fn ban(
    State(chat): State<Chat>,
    State(accounts): State<Accounts>,
    Authorized(bearer): Authorized,
    Path(channel): Path<String>,
    ban: Result<Json<Ban>, JsonRejection>,
) -> Answer {
    bearer.ensure(Scope::Moderate)?;
    let ban = body(ban, r#"{"username": "someone"}"#)?;
    chat.ban_by(&accounts, &bearer.user, &channel, &ban.username)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v1/channels/{channel}/bans/{username}`. Scope `moderate`.
pub async fn unban(
    State(chat): State<Chat>,
    Authorized(bearer): Authorized,
    Path((channel, username)): Path<(String, String)>,
) -> Answer {
    bearer.ensure(Scope::Moderate)?;
    chat.unban_by(&bearer.user, &channel, &username).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// What a broadcast starts from, as the API names it.
#[derive(Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    #[default]
    TestPattern,
    /// A file of the server's media folder, by its plain name.
    MediaFile(String),
}

#[derive(Deserialize)]
pub struct Start {
    title: String,
    #[serde(default)]
    source: Source,
}

/// `POST /api/v1/channels/{channel}/broadcast` `{"title": …, "source": …}`: goes live.
/// Scope `broadcast`.
pub async fn start_broadcast(
    State(broadcasts): State<Broadcasts>,
    Authorized(bearer): Authorized,
    Path(channel): Path<String>,
    start: Result<Json<Start>, JsonRejection>,
) -> Answer {
    bearer.ensure(Scope::Broadcast)?;
    let start = body(start, r#"{"title": "Live now", "source": "test_pattern"}"#)?;
    let choice = match start.source {
        Source::TestPattern => SourceChoice::TestPattern,
        Source::MediaFile(name) => SourceChoice::MediaFile(name),
    };
    broadcasts
        .start_by(&bearer.user, &channel, &start.title, choice)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v1/channels/{channel}/broadcast`: goes off air. Scope `broadcast`.
pub async fn stop_broadcast(
    State(broadcasts): State<Broadcasts>,
    Authorized(bearer): Authorized,
    Path(channel): Path<String>,
) -> Answer {
    bearer.ensure(Scope::Broadcast)?;
    broadcasts.stop_by(&bearer.user, &channel).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
