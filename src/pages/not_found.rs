//! What any unknown address shows, with a 404 status.

use leptos::prelude::*;

#[component]
pub fn NotFound(#[prop(into)] what: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="not-found">
            <h1>"Not found"</h1>
            <p>{what}</p>
            <a href="/">"See who is live"</a>
        </section>
    }
}
