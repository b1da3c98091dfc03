//! OnAir: live video over Server-Sent Events. See README.md for the architecture.

pub mod accounts;
pub mod app;
pub mod broadcasts;
pub mod channels;
pub mod chat;
pub mod components;
pub mod error;
pub mod live;
pub mod pages;

#[cfg(feature = "hydrate")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod server;

/// The browser entry: hydrate the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Event handlers are attached now; `data-hydrated` on <html> lets anyone (the end-to-end
    // tests, a user script) tell a live page from the server-rendered HTML it started as.
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "");
    }
}
