//! A channel's avatar over plain HTTP (see `avatars`): `GET /avatars/{channel}` serves the PNG
//! we made (see `png`); `POST /avatars/{channel}` with the picture as
//! its body sets it, for the channel's owner or an operator (204, or the error a form shows).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::recordings::Viewer;
use crate::avatars::Avatars;
use crate::error::AppError;

pub async fn picture(State(avatars): State<Avatars>, Path(channel): Path<String>) -> Response {
    match avatars.png(&channel).await {
        Ok(Some(png)) => super::png::served(png),
        Ok(None) => {
            AppError::into_response(AppError::NotFound("This channel has no avatar.".into()))
        }
        Err(err) => AppError::into_response(err),
    }
}

pub async fn upload(
    State(avatars): State<Avatars>,
    Viewer(viewer): Viewer,
    Path(channel): Path<String>,
    picture: Bytes,
) -> Response {
    let Some(user) = viewer else {
        return AppError::into_response(AppError::SignInRequired);
    };
    match avatars.set_by(&user, &channel, picture.to_vec()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => AppError::into_response(err),
    }
}
