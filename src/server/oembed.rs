//! `GET /oembed?url=…&format=json[&maxwidth=…&maxheight=…]`: what a chat app or a CMS shows for
//! a link to one of this site's pages (see `sharing::oembed`). Anyone may ask; it says only
//! what a signed-out visitor sees.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::channels::Channels;
use crate::error::AppError;
use crate::live::wire::ChannelState;
use crate::recordings::Recordings;
use crate::server::site::Site;
use crate::sharing::oembed::{Answer, Page, page_of};

#[derive(Deserialize)]
pub struct Params {
    url: Option<String>,
    format: Option<String>,
    maxwidth: Option<u32>,
    maxheight: Option<u32>,
}

pub async fn oembed(
    State(site): State<Site>,
    State(channels): State<Channels>,
    State(recordings): State<Recordings>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    // The oEmbed specification answers a format it does not make with 501.
    if params.format.as_deref().is_some_and(|f| f != "json") {
        return (
            StatusCode::NOT_IMPLEMENTED,
            "This site answers oEmbed in JSON only: ask with format=json.",
        )
            .into_response();
    }
    let Some(url) = params.url.filter(|url| url.len() <= 2048) else {
        return (
            StatusCode::BAD_REQUEST,
            "Say which page in `url`: a watch, replay or clip page of this site.",
        )
            .into_response();
    };
    let not_found =
        || AppError::NotFound("That is not a page of this site oEmbed describes.".into());
    let Some(page) = page_of(&url, &site) else {
        return not_found().into_response();
    };
    let origin = site.origin(&headers, &uri).unwrap_or_default();
    let answer = match page {
        Page::Watch(name) => match channels.find(&name).await {
            Ok(Some(channel)) => {
                let summary = channel.summary();
                Ok(Answer::player(
                    &origin,
                    summary.title,
                    &summary.name,
                    summary.state == ChannelState::Live,
                    (params.maxwidth, params.maxheight),
                ))
            }
            Ok(None) => Err(not_found()),
            Err(err) => Err(err.into()),
        },
        Page::Replay(id) => recordings.summary(id, None).await.map(|r| {
            Answer::link(
                &origin,
                r.title,
                &r.channel,
                format!("/recordings/{}/poster.jpg", r.id),
            )
        }),
        Page::Clip(id) => recordings
            .clip(id, None)
            .await
            .map(|c| Answer::link(&origin, c.title, &c.channel, format!("/clips/{}.jpg", c.id))),
    };
    match answer {
        Ok(answer) => (
            [(header::CACHE_CONTROL, "public, max-age=60")],
            Json(answer),
        )
            .into_response(),
        Err(err) => err.into_response(),
    }
}
