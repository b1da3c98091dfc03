//! `GET /live/{channel}/thumbnail.jpg`: the channel's picture (see `channels::thumbnail`).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::channels::thumbnail::{ThumbnailError, Thumbnails};

pub async fn thumbnail(
    State(thumbnails): State<Thumbnails>,
    Path(channel): Path<String>,
) -> Response {
    match thumbnails.picture(&channel).await {
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
                ThumbnailError::NoChannel | ThumbnailError::NotLive => StatusCode::NOT_FOUND,
                ThumbnailError::Failed => StatusCode::SERVICE_UNAVAILABLE,
            };
            (status, err.to_string()).into_response()
        }
    }
}
