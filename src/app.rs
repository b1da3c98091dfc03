//! The HTML shell and the route table.

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::{Lazy, SsrMode, path};

use crate::components::account_menu::{AccountMenu, provide_auth};
use crate::components::early_events::WatchHeadStart;
use crate::components::early_replay::ReplayHeadStart;
use crate::pages::clip::ClipPage;
use crate::pages::embed::{EmbedChatPage, EmbedPlayerPage};
use crate::pages::home::HomePage;
use crate::pages::not_found::NotFound;
use crate::pages::replay::ReplayPage;
use crate::pages::sign_in::SignInRoute;
use crate::pages::sign_up::SignUpRoute;
use crate::pages::studio::StudioRoute;
use crate::pages::watch::WatchPage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <WatchHeadStart/>
                <ReplayHeadStart/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The page's Content Security Policy: scripts only with this response's nonce (the
/// hydration scripts carry it; what they load is trusted through them), WebAssembly allowed,
/// everything else from this site, media from the player's own blob URLs, nothing framing us
/// but the embeds, which any site may frame (`sharing::framable`).
#[cfg(feature = "ssr")]
fn content_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let framable = use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| crate::sharing::framable(parts.uri.path()));
    let ancestors = if framable { "*" } else { "'none'" };
    let policy = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' blob:; \
         connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {ancestors}"
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_auth();
    view! {
        <Title formatter=|title: String| if title.is_empty() { "OnAir".to_string() } else { format!("{title} · OnAir") }/>
        <Router>
            <TopBar/>
            <main>
                <Routes fallback=|| view! { <NotFound what="Nothing lives at this address."/> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/watch/:channel") view=WatchPage ssr=SsrMode::Async/>
                    <Route path=path!("/replay/:id") view=ReplayPage ssr=SsrMode::Async/>
                    <Route path=path!("/clip/:id") view=ClipPage ssr=SsrMode::Async/>
                    <Route path=path!("/embed/:channel") view=EmbedPlayerPage ssr=SsrMode::Async/>
                    <Route path=path!("/embed/:channel/chat") view=EmbedChatPage ssr=SsrMode::Async/>
                    // Only what a viewer needs loads with every page; these routes' code is
                    // fetched when they are visited (`cargo leptos build --split`).
                    <Route path=path!("/signin") view={Lazy::<SignInRoute>::new()}/>
                    <Route path=path!("/signup") view={Lazy::<SignUpRoute>::new()}/>
                    <Route path=path!("/studio") view={Lazy::<StudioRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// The site's bar, on every page but the embeds (another site frames those).
#[component]
fn TopBar() -> impl IntoView {
    let location = use_location();
    let embedded = move || crate::sharing::framable(&location.pathname.get());
    view! {
        <Show when=move || !embedded()>
            <header class="topbar">
                <a href="/" class="brand">"OnAir"</a>
                <AccountMenu/>
            </header>
        </Show>
    }
}
