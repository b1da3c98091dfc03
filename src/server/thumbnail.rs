//! `GET /live/{channel}/thumbnail.jpg`: the channel's picture (see `channels::thumbnail`); for
//! a channel off air, the picture of its latest public recording, so the directory shows what
//! it last broadcast, or else the avatar its owner uploaded; for a channel live in sound alone,
//! that avatar.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::avatars::Avatars;
use crate::channels::thumbnail::{ThumbnailError, Thumbnails};
use crate::recordings::Recordings;

pub async fn thumbnail(
    State(thumbnails): State<Thumbnails>,
    State(recordings): State<Recordings>,
    State(avatars): State<Avatars>,
    Path(channel): Path<String>,
) -> Response {
    match thumbnails.picture(&channel).await {
        Err(ThumbnailError::NotLive) => last_picture(&recordings, &avatars, &channel).await,
        Err(err @ ThumbnailError::SoundAlone) => match avatars.png(&channel).await {
            Ok(Some(png)) => super::png::served(png),
            _ => (StatusCode::NOT_FOUND, err.to_string()).into_response(),
        },
        Ok(jpeg) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                (header::CACHE_CONTROL, "max-age=10"),
            ],
            jpeg,
        )
            .into_response(),
        Err(err) => {
            let status = match err {
                ThumbnailError::NoChannel
                | ThumbnailError::NotLive
                | ThumbnailError::SoundAlone => StatusCode::NOT_FOUND,
                ThumbnailError::Failed => StatusCode::SERVICE_UNAVAILABLE,
            };
            (status, err.to_string()).into_response()
        }
    }
}

/// The poster of `channel`'s latest public recording, or else its avatar; 404 when it has
/// neither.
async fn last_picture(recordings: &Recordings, avatars: &Avatars, channel: &str) -> Response {
    let latest = match recordings.list(channel, None, None).await {
        Ok(list) => list.into_iter().next(),
        Err(_) => None,
    };
    let Some(latest) = latest else {
        return match avatars.png(channel).await {
            Ok(Some(png)) => super::png::served(png),
            _ => (StatusCode::NOT_FOUND, "The channel is not live.").into_response(),
        };
    };
    match recordings.picture(latest.id, None, None).await {
        Ok((jpeg, _)) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                (header::CACHE_CONTROL, "max-age=60"),
            ],
            jpeg,
        )
            .into_response(),
        Err(err) => (err.status_code(), err.to_string()).into_response(),
    }
}
