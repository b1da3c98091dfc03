//! "Share" on the watch page: the page's link, the iframe code that shows the player on
//! another site, and the chat overlay's address for a broadcaster's scene (an OBS browser
//! source), each with a Copy button.

use leptos::prelude::*;

use crate::sharing::{EMBED_HEIGHT, EMBED_WIDTH, chat_overlay_path, iframe_code, page_origin};

#[component]
pub fn Share(channel: String, title: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let origin = page_origin();
    let link = format!("{origin}/watch/{channel}");
    let code = iframe_code(&origin, &channel, &title, EMBED_WIDTH, EMBED_HEIGHT);
    let overlay = format!("{origin}{}", chat_overlay_path(&channel));
    view! {
        <div class="share">
            <button
                class="link"
                data-testid="share-open"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|open| *open = !*open)
            >
                "Share"
            </button>
            <Show when=move || open.get()>
                <div class="share-panel" data-testid="share-panel">
                    <Copyable label="Link" testid="share-link" text=link.clone()/>
                    <Copyable label="Embed the player" testid="share-embed" text=code.clone()/>
                    <Copyable label="Chat overlay (OBS browser source)" testid="share-overlay" text=overlay.clone()/>
                </div>
            </Show>
        </div>
    }
}

/// A read-only field with a Copy button.
#[component]
fn Copyable(label: &'static str, testid: &'static str, text: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = {
        let text = text.clone();
        move |_| {
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&text);
                copied.set(true);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = &text;
        }
    };
    view! {
        <label class="share-field">
            <span>{label}</span>
            <span class="share-row">
                <input readonly=true data-testid=testid prop:value=text on:focus=|ev| select_all(&ev)/>
                <button type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </span>
        </label>
    }
}

/// Selects a focused field's text, ready to copy by hand.
fn select_all(ev: &leptos::ev::FocusEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            input.select();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}
