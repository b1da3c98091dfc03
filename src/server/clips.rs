//! `GET /clips/{id}.mp4` and `/clips/{id}.jpg`: a clip's video (with ranges, for seeking) and
//! its picture, from the folder or the object store alike. Clips are shared by link: anyone
//! may fetch them.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::recordings::Recordings;
use crate::recordings::storage::Ranged;

pub async fn file(
    State(recordings): State<Recordings>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (id, picture) = match name.rsplit_once('.') {
        Some((id, "mp4")) => (id, false),
        Some((id, "jpg")) => (id, true),
        _ => return AppError::NotFound("There is no such clip.".into()).into_response(),
    };
    let Ok(id) = id.parse::<i64>() else {
        return AppError::NotFound("There is no such clip.".into()).into_response();
    };
    let range = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok());
    let ranged = match recordings.clip_file(id, picture, range).await {
        Ok(ranged) => ranged,
        Err(err) => return err.into_response(),
    };
    let kind = if picture { "image/jpeg" } else { "video/mp4" };
    let common = [
        (header::CONTENT_TYPE, kind.to_string()),
        (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
        (header::ACCEPT_RANGES, "bytes".to_string()),
    ];
    match ranged {
        Ranged::Whole { body, len } => (
            common,
            [(header::CONTENT_LENGTH, len.to_string())],
            Body::from_stream(body),
        )
            .into_response(),
        Ranged::Part { body, range, total } => (
            StatusCode::PARTIAL_CONTENT,
            common,
            [
                (
                    header::CONTENT_LENGTH,
                    (range.end() - range.start() + 1).to_string(),
                ),
                (
                    header::CONTENT_RANGE,
                    format!("bytes {}-{}/{total}", range.start(), range.end()),
                ),
            ],
            Body::from_stream(body),
        )
            .into_response(),
        Ranged::Unsatisfiable { total } => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, format!("bytes */{total}"))],
            format!("The clip is {total} bytes long: ask for a range within it."),
        )
            .into_response(),
    }
}
