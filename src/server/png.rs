//! A picture we made (an emote, an avatar) as served: our own PNG, kept by browsers for five
//! minutes, so a replaced or deleted one is gone everywhere within that.

use axum::http::header;
use axum::response::{IntoResponse, Response};

pub fn served(png: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        png,
    )
        .into_response()
}
