//! The router: every route with the layers in front of it, in the order a request meets them.

use axum::Router;
use axum::routing::{delete, get, post};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration as CookieDuration;
use tower_sessions::{Expiry, SessionManagerLayer};

use super::{
    AppState, avatars, bodies, calendar, clips, emotes, headers, health, metrics, oembed, publish,
    recordings, site, sse, thumbnail, token_api,
};
use crate::app::{App, shell};
use crate::db;

/// A signed-in session lasts this long without being used.
const SESSION_IDLE_DAYS: i64 = 30;

/// The whole HTTP surface: pages, server functions, the SSE stream, static files; sessions
/// (an HttpOnly, SameSite=Lax cookie holding only an id, Secure when `secure_cookies`) on all
/// of it; requests for other host names (421) and cross-site requests that could change
/// something (403) refused before anything runs, request bodies read whole within their
/// bounds (`bodies`), and safety headers on every response.
pub fn router(state: AppState, sessions: db::Sessions, secure_cookies: bool) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let hashed_assets = options.hash_files;
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name("onair_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(CookieDuration::days(
            SESSION_IDLE_DAYS,
        )));
    let context = {
        let state = state.clone();
        move || state.provide()
    };
    let app = Router::new()
        .route("/live/{channel}/events", get(sse::live_events))
        .route("/live/{channel}/thumbnail.jpg", get(thumbnail::thumbnail))
        .route("/live/{channel}/publish", get(publish::publish))
        .route("/recordings/{id}", get(recordings::index))
        .route("/recordings/{id}/init/{run}", get(recordings::init))
        .route("/recordings/{id}/segments/{seq}", get(recordings::segment))
        .route("/recordings/{id}/pictures/{seq}", get(recordings::picture))
        .route("/recordings/{id}/poster.jpg", get(recordings::poster))
        .route("/recordings/{id}/download", get(recordings::download))
        .route("/clips/{file}", get(clips::file))
        .route(
            "/emotes/{channel}/{name}",
            get(emotes::picture).post(emotes::upload),
        )
        .route(
            "/avatars/{channel}",
            get(avatars::picture).post(avatars::upload),
        )
        .route("/oembed", get(oembed::oembed))
        .route("/watch/{channel}/schedule.ics", get(calendar::schedule))
        // The JSON API for bots and tools, with API tokens (docs/api.md).
        .route("/api/v1/channels/{channel}", get(token_api::channel))
        .route(
            "/api/v1/channels/{channel}/chat",
            get(token_api::chat).post(token_api::post_chat),
        )
        .route(
            "/api/v1/channels/{channel}/chat/{id}",
            delete(token_api::delete_chat),
        )
        .route("/api/v1/channels/{channel}/bans", post(token_api::ban))
        .route(
            "/api/v1/channels/{channel}/bans/{username}",
            delete(token_api::unban),
        )
        .route(
            "/api/v1/channels/{channel}/broadcast",
            post(token_api::start_broadcast).delete(token_api::stop_broadcast),
        )
        .route("/metrics", get(metrics::metrics))
        .route("/health", get(health::health))
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(session_layer)
        .layer(axum::middleware::from_fn_with_state(
            state.bodies.clone(),
            bodies::read_whole,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.site.clone(),
            site::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.site.clone(),
            site::check_host,
        ))
        .layer(axum::middleware::from_fn(headers::add_safety_headers))
        .layer(axum::middleware::from_fn(move |request, next| {
            headers::cache_assets(hashed_assets, request, next)
        }))
        .with_state(state);
    if secure_cookies {
        app.layer(axum::middleware::map_response(headers::add_https_only))
    } else {
        app
    }
}
