//! `GET /clips/{id}.mp4` and `/clips/{id}.jpg`: a clip's video (with ranges, for seeking) and
//! its picture. Clips are shared by link: anyone may fetch them.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;

use crate::error::AppError;
use crate::recordings::Recordings;

pub async fn file(
    State(recordings): State<Recordings>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let (id, picture) = match name.rsplit_once('.') {
        Some((id, "mp4")) => (id, false),
        Some((id, "jpg")) => (id, true),
        _ => return AppError::NotFound("There is no such clip.".into()).into_response(),
    };
    let Ok(id) = id.parse::<i64>() else {
        return AppError::NotFound("There is no such clip.".into()).into_response();
    };
    let path = match recordings.clip_file(id, picture).await {
        Ok(path) => path,
        Err(err) => return err.into_response(),
    };
    match tower_http::services::ServeFile::new(path)
        .oneshot(request)
        .await
    {
        Ok(response) => {
            let mut response = response.map(axum::body::Body::new);
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            response
        }
        Err(err) => match err {},
    }
}
