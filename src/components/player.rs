//! The live player: a muted autoplaying `<video>` with its state, live latency and an unmute
//! button. The hydrated client drives it (see `client::LivePlayer`); the server renders it in
//! the channel's current state.

use leptos::html::Video;
use leptos::prelude::*;

use crate::live::wire::{ChannelState, ChatEvent};
use crate::player::PlayerState;

/// `chat`, when given, receives the channel's chat from the same stream.
#[component]
pub fn Player(
    channel: String,
    initial: ChannelState,
    viewers: usize,
    #[prop(optional)] chat: Option<RwSignal<Vec<ChatEvent>>>,
) -> impl IntoView {
    // The server renders the channel's state; the player updates it once connected.
    let state = RwSignal::new(match initial {
        ChannelState::Live => PlayerState::Live,
        ChannelState::Reconnecting => PlayerState::Reconnecting,
        ChannelState::Offline => PlayerState::Offline,
    });
    let latency = RwSignal::new(None::<f64>);
    let error = RwSignal::new(None::<String>);
    let viewers = RwSignal::new(viewers);
    let muted = RwSignal::new(true);
    let video = NodeRef::<Video>::new();

    #[cfg(feature = "hydrate")]
    {
        use crate::client::{LivePlayer, Signals};
        let player = StoredValue::new_local(None::<LivePlayer>);
        // The page's head start opened this same URL (components::early_events).
        let url = crate::live::wire::events_url(&channel);
        Effect::new(move |_| {
            if let Some(element) = video.get()
                && player.with_value(Option::is_none)
            {
                let signals = Signals {
                    state,
                    latency,
                    error,
                    viewers,
                    chat,
                };
                player.set_value(Some(LivePlayer::start(element, url.clone(), signals)));
            }
        });
        on_cleanup(move || player.set_value(None));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (&channel, chat);

    let unmute = move |_| {
        if let Some(element) = video.get() {
            element.set_muted(false);
            let _ = element.play();
        }
        muted.set(false);
    };

    view! {
        <div class="player" data-state=move || state.get().key()>
            <video node_ref=video muted=true autoplay=true playsinline=true></video>
            <div class="player-bar">
                <span class="player-state" data-testid="player-state">{move || state.get().label()}</span>
                <span
                    class="player-latency"
                    data-testid="latency"
                    title="Live latency"
                    data-latency-ms=move || latency.get().map(|l| format!("{:.0}", l * 1000.0))
                >
                    {move || latency.get().map(|l| format!("{l:.1} s")).unwrap_or_default()}
                </span>
                <span class="player-viewers" data-testid="viewers" title="Watching now">
                    {move || watching(viewers.get())}
                </span>
                <Show when=move || muted.get()>
                    <button class="unmute" on:click=unmute>"Unmute"</button>
                </Show>
            </div>
            <Show when=move || error.get().is_some()>
                <p class="player-error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </div>
    }
}

/// "1 watching", "12 watching".
pub fn watching(count: usize) -> String {
    format!("{count} watching")
}
