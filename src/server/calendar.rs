//! `GET /watch/{channel}/schedule.ics`: a channel's announced broadcasts as an iCalendar feed
//! (see `schedule::calendar`), for calendar apps to subscribe to.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::channels::Channels;
use crate::schedule::Schedule;
use crate::server::site::Site;

pub async fn schedule(
    State(site): State<Site>,
    State(channels): State<Channels>,
    State(schedule): State<Schedule>,
    Path(channel): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let found = match channels.require(&channel).await {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };
    let announced = match schedule.feed(&found.name).await {
        Ok(announced) => announced,
        Err(err) => return err.into_response(),
    };
    let origin = site.origin(&headers, &uri).unwrap_or_default();
    let body =
        crate::schedule::calendar::feed(&found.name, &found.broadcaster, &origin, &announced);
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        body,
    )
        .into_response()
}
