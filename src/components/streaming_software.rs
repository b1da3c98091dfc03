//! The studio's panel for OBS and other streaming software: the server address and the
//! stream key to paste (the key hidden until revealed, with copy and reset), and why the last
//! stream was turned away, if it was.

use leptos::prelude::*;

use crate::components::elapsed;
use crate::error::AppError;
use crate::ingest::api::{ResetStreamKey, StreamKey, stream_settings};

#[component]
pub fn StreamingSoftware(channel: String, #[prop(into)] tick: Signal<u64>) -> impl IntoView {
    let name = channel.clone();
    let settings = Resource::new(
        move || tick.get() / 3,
        move |_| stream_settings(name.clone()),
    );
    let reveal = ServerAction::<StreamKey>::new();
    let reset = ServerAction::<ResetStreamKey>::new();
    // The key shown: the newest of a reveal or a reset; None while hidden.
    let key = move || -> Option<Result<String, AppError>> {
        match (reset.value().get(), reveal.value().get()) {
            (Some(reset), _) => Some(reset),
            (None, revealed) => revealed,
        }
    };
    let hidden = RwSignal::new(true);
    let name = channel.clone();
    let show_key = move |_| {
        hidden.set(false);
        if key().is_none() {
            reveal.dispatch(StreamKey {
                channel: name.clone(),
            });
        }
    };
    let name = channel.clone();
    let reset_key = move |_| {
        if confirm(
            "Reset the stream key? The old one stops working at once and a stream using it is cut.",
        ) {
            hidden.set(false);
            reset.dispatch(ResetStreamKey {
                channel: name.clone(),
            });
        }
    };
    let shown_key = move || match key() {
        Some(Ok(key)) if !hidden.get() => key,
        _ => "••••••••••••••••••••••••".to_string(),
    };
    let key_error = move || key().and_then(Result::err);

    view! {
        <div class="streaming-software" data-testid="streaming-software">
            <p class="studio-hint">
                "In OBS: Settings → Stream → Service: Custom. Paste the server and the stream key, \
                 then Start Streaming: the channel goes live as your stream arrives, under the \
                 title above."
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(settings) => {
                            let problem = settings.problem.map(|(at, why)| {
                                let ago = elapsed::words(settings.now_ms.saturating_sub(at));
                                view! {
                                    <p class="form-error" role="alert" data-testid="stream-problem">
                                        {format!("Your stream was turned away {ago} ago: {why}")}
                                    </p>
                                }
                            });
                            view! {
                                <label>
                                    "Server"
                                    <span class="copy-field">
                                        <input readonly data-testid="rtmp-server" value=settings.server.clone()/>
                                        <CopyButton text=Signal::derive(move || settings.server.clone())/>
                                    </span>
                                </label>
                                {problem}
                            }
                            .into_any()
                        }
                        Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <label>
                "Stream key"
                <span class="copy-field">
                    <input readonly data-testid="stream-key" prop:value=shown_key/>
                    <CopyButton text=Signal::derive(move || match key() {
                        Some(Ok(key)) => key,
                        _ => String::new(),
                    })/>
                </span>
            </label>
            <div class="studio-buttons">
                {move || if hidden.get() {
                    view! { <button on:click=show_key.clone() data-testid="reveal-key">"Reveal"</button> }.into_any()
                } else {
                    view! { <button on:click=move |_| hidden.set(true)>"Hide"</button> }.into_any()
                }}
                <button on:click=reset_key data-testid="reset-key" disabled=move || reset.pending().get()>
                    "Reset key"
                </button>
            </div>
            <p class="studio-hint">"Keep the key secret: anyone with it can stream to your channel."</p>
            {move || key_error().map(|err| view! { <p class="form-error" role="alert">{err.to_string()}</p> })}
        </div>
    }
}

/// Copies `text` to the clipboard; says so for a moment. Empty text: disabled.
#[component]
fn CopyButton(text: Signal<String>) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let clipboard = window().navigator().clipboard();
            let _ = clipboard.write_text(&text.get_untracked());
            copied.set(true);
            set_timeout(
                move || copied.set(false),
                std::time::Duration::from_millis(1500),
            );
        }
    };
    view! {
        <button type="button" class="copy" on:click=copy disabled=move || text.get().is_empty()>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}

/// Asks the user to confirm; always yes on the server (never reached there).
fn confirm(question: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        window().confirm_with_message(question).unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        true
    }
}
