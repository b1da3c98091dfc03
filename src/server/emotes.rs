//! Emotes over plain HTTP (see `emotes`): `GET /emotes/{channel}/{name}` serves the PNG we
//! made of an emote (see `png`); `POST /emotes/{channel}/{name}` with the picture as its body
//! adds one, for the channel's owner or an operator (201, or the error a form shows).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::recordings::Viewer;
use crate::emotes::Emotes;
use crate::error::AppError;

pub async fn picture(
    State(emotes): State<Emotes>,
    Path((channel, name)): Path<(String, String)>,
) -> Response {
    match emotes.png(&channel, &name).await {
        Ok(png) => super::png::served(png),
        Err(err) => AppError::into_response(err),
    }
}

pub async fn upload(
    State(emotes): State<Emotes>,
    Viewer(viewer): Viewer,
    Path((channel, name)): Path<(String, String)>,
    picture: Bytes,
) -> Response {
    let Some(user) = viewer else {
        return AppError::into_response(AppError::SignInRequired);
    };
    match emotes
        .add_by(&user, &channel, &name, picture.to_vec())
        .await
    {
        Ok(()) => StatusCode::CREATED.into_response(),
        Err(err) => AppError::into_response(err),
    }
}
