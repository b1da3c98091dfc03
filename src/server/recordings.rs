//! A replay's HTTP routes (see `recordings`): `GET /recordings/{id}` the index,
//! `/recordings/{id}/init/{run}` an encoder run's init segment, `/recordings/{id}/segments/{seq}`
//! a segment, `/recordings/{id}/pictures/{seq}` a segment's first picture (the seek bar's
//! preview), `/recordings/{id}/poster.jpg` the recording's picture in lists. Init segments,
//! segments and their pictures never change once served, so browsers and proxies
//! keep them (privately, for a private recording); the index grows while the broadcast is
//! recorded. A private recording is 404 to everyone but its owner and the operators.

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::accounts::Accounts;
use crate::accounts::session::{SignedIn, signed_in};
use crate::error::AppError;
use crate::recordings::Recordings;
use crate::recordings::api::{RecordingState, Visibility};

/// What never changes: kept a year, by everyone or by the one browser.
fn kept(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Private => "private, max-age=31536000, immutable",
        _ => "public, max-age=31536000, immutable",
    }
}

fn refused(err: AppError) -> Response {
    (err.status_code(), err.to_string()).into_response()
}

/// Who asks: the signed-in user of the request's session, if any.
pub struct Viewer(pub Option<SignedIn>);

impl<S> FromRequestParts<S> for Viewer
where
    S: Send + Sync,
    Accounts: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        signed_in(&session, &Accounts::from_ref(state))
            .await
            .map(Viewer)
            .map_err(refused)
    }
}

pub async fn index(
    State(recordings): State<Recordings>,
    Viewer(viewer): Viewer,
    Path(id): Path<i64>,
) -> Response {
    match recordings.index(id, viewer.as_ref()).await {
        Ok((index, visibility)) => {
            let cache = match (index.state, visibility) {
                (RecordingState::Recording, _) | (_, Visibility::Private) => "private, no-cache",
                _ => "public, max-age=10",
            };
            ([(header::CACHE_CONTROL, cache)], Json(index)).into_response()
        }
        Err(err) => refused(err),
    }
}

pub async fn init(
    State(recordings): State<Recordings>,
    Viewer(viewer): Viewer,
    Path((id, run)): Path<(i64, i64)>,
) -> Response {
    match recordings.init(id, run, viewer.as_ref()).await {
        Ok((data, visibility)) => (
            [
                (header::CONTENT_TYPE, "video/mp4"),
                (header::CACHE_CONTROL, kept(visibility)),
            ],
            data,
        )
            .into_response(),
        Err(err) => refused(err),
    }
}

pub async fn segment(
    State(recordings): State<Recordings>,
    Viewer(viewer): Viewer,
    Path((id, seq)): Path<(i64, i64)>,
) -> Response {
    match recordings.segment(id, seq, viewer.as_ref()).await {
        Ok((body, len, visibility)) => (
            [
                (header::CONTENT_TYPE, "video/mp4".to_string()),
                (header::CACHE_CONTROL, kept(visibility).to_string()),
                (header::CONTENT_LENGTH, len.to_string()),
            ],
            Body::from_stream(body),
        )
            .into_response(),
        Err(err) => refused(err),
    }
}

fn jpeg(data: bytes::Bytes, cache: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/jpeg".to_string()),
            (header::CACHE_CONTROL, cache.to_string()),
        ],
        data,
    )
        .into_response()
}

pub async fn picture(
    State(recordings): State<Recordings>,
    Viewer(viewer): Viewer,
    Path((id, seq)): Path<(i64, i64)>,
) -> Response {
    match recordings.picture(id, Some(seq), viewer.as_ref()).await {
        Ok((data, visibility)) => jpeg(data, kept(visibility)),
        Err(err) => refused(err),
    }
}

pub async fn poster(
    State(recordings): State<Recordings>,
    Viewer(viewer): Viewer,
    Path(id): Path<i64>,
) -> Response {
    match recordings.picture(id, None, viewer.as_ref()).await {
        Ok((data, Visibility::Private)) => jpeg(data, "private, max-age=300"),
        Ok((data, _)) => jpeg(data, "public, max-age=300"),
        Err(err) => refused(err),
    }
}

/// `GET /recordings/{id}/download?part=N`: the owner's copy of part N (default 1) as one MP4,
/// streamed file by file from storage (nothing is copied whole first).
pub async fn download(
    State(recordings): State<Recordings>,
    Viewer(viewer): Viewer,
    Path(id): Path<i64>,
    axum::extract::Query(query): axum::extract::Query<DownloadQuery>,
) -> Response {
    use futures::StreamExt;
    let Some(user) = viewer else {
        return refused(AppError::SignInRequired);
    };
    let (init, seqs, name) = match recordings
        .download(id, query.part.unwrap_or(1), &user)
        .await
    {
        Ok(found) => found,
        Err(err) => return refused(err),
    };
    let head = futures::stream::once(async move { Ok::<_, std::io::Error>(init) });
    let body = head.chain(
        futures::stream::iter(seqs)
            .then(move |seq| {
                let recordings = recordings.clone();
                async move { recordings.open_checked_segment(id, seq).await }
            })
            .map(|opened| match opened {
                Ok(body) => body,
                Err(err) => futures::stream::once(async move { Err(err) }).boxed(),
            })
            .flatten(),
    );
    (
        [
            (header::CONTENT_TYPE, "video/mp4".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
pub struct DownloadQuery {
    part: Option<i64>,
}
