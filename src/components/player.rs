//! The live player: a muted autoplaying `<video>` with its state, live latency and an unmute
//! button. The hydrated client drives it (see `client::LivePlayer`); the server renders it in
//! the channel's current state.

use leptos::html::Video;
use leptos::prelude::*;

use crate::live::wire::{AUDIO_RUNG, ChannelState, ChatEvent, SOURCE_RUNG};
use crate::player::PlayerState;

/// `chat`, when given, receives the channel's chat from the same stream. A `preview` (the
/// owner's, in the studio) is not counted as a viewer.
#[component]
pub fn Player(
    channel: String,
    initial: ChannelState,
    viewers: usize,
    #[prop(optional)] chat: Option<RwSignal<Vec<ChatEvent>>>,
    #[prop(optional)] preview: bool,
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
    // The quality ladder, once the stream tells it: the rung playing, every rung, and the
    // viewer's pick (None: Auto).
    let rung = RwSignal::new(None::<String>);
    let rungs = RwSignal::new(Vec::<String>::new());
    let picked = RwSignal::new(None::<String>);

    #[cfg(feature = "hydrate")]
    {
        use crate::client::{LivePlayer, Signals};
        let player = StoredValue::new_local(None::<LivePlayer>);
        Effect::new(move |_| {
            // The pick this browser remembers, once hydrated (the menu shows it).
            let remembered = web_sys::window()
                .and_then(|w| w.local_storage().ok().flatten())
                .and_then(|s| {
                    s.get_item(crate::live::wire::PICKED_RUNG_KEY)
                        .ok()
                        .flatten()
                });
            picked.set(remembered);
        });
        Effect::new(move |first: Option<()>| {
            let pick = picked.get();
            if first.is_some() {
                player.with_value(|p| {
                    if let Some(p) = p {
                        p.pick(pick);
                    }
                });
            }
        });
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
                    rung,
                    rungs,
                };
                player.set_value(Some(LivePlayer::start(
                    element,
                    url.clone(),
                    signals,
                    preview,
                )));
            }
        });
        on_cleanup(move || player.set_value(None));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (&channel, chat, rungs, rung, preview);

    let unmute = move |_| {
        if let Some(element) = video.get() {
            element.set_muted(false);
            let _ = element.play();
        }
        muted.set(false);
    };

    let choose = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        picked.set((value != AUTO).then_some(value));
    };

    view! {
        <div
            class="player"
            data-state=move || state.get().key()
            data-rung=move || rung.get().unwrap_or_default()
        >
            <video node_ref=video muted=true autoplay=true playsinline=true></video>
            <Show when=move || rung.get().as_deref() == Some(AUDIO_RUNG)>
                <p class="player-poster" data-testid="audio-only">
                    {move || sound_alone_poster(&rungs.get(), picked.get().as_deref())}
                </p>
            </Show>
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
                <Show when=move || { rungs.get().len() > 1 }>
                    <label class="player-quality">
                        <span class="visually-hidden">"Quality"</span>
                        <select data-testid="quality" on:change=choose title="Quality">
                            <option value=AUTO selected=move || picked.get().is_none()>
                                {move || auto_label(rung.get().as_deref())}
                            </option>
                            <For
                                each=move || rungs.get()
                                key=|name| name.clone()
                                children=move |name| {
                                    let value = name.clone();
                                    let selected = move || picked.get().as_deref() == Some(value.as_str());
                                    view! {
                                        <option value=name.clone() selected=selected>
                                            {rung_label(&name)}
                                        </option>
                                    }
                                }
                            />
                        </select>
                    </label>
                </Show>
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

/// The menu's value for Auto.
const AUTO: &str = "auto";

/// What the quality menu calls a rung.
fn rung_label(rung: &str) -> String {
    match rung {
        SOURCE_RUNG => "Source".into(),
        AUDIO_RUNG => "Audio only".into(),
        other => other.into(),
    }
}

/// What the player shows in place of the picture while it plays sound alone: why.
fn sound_alone_poster(rungs: &[String], picked: Option<&str>) -> &'static str {
    if !rungs.is_empty() && rungs.iter().all(|name| name == AUDIO_RUNG) {
        "Audio only: this broadcast has no picture."
    } else if picked == Some(AUDIO_RUNG) {
        "Audio only, as chosen in the quality menu."
    } else {
        "Audio only: the connection is too slow for the picture right now."
    }
}

/// "Auto (480p)": Auto, with the rung it picked.
fn auto_label(playing: Option<&str>) -> String {
    match playing {
        Some(rung) => format!("Auto ({})", rung_label(rung)),
        None => "Auto".into(),
    }
}

/// "1 watching", "12 watching".
pub fn watching(count: usize) -> String {
    format!("{count} watching")
}
