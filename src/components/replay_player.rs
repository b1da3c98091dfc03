//! A recording's player: the video, a play button, a seek bar with the position and length,
//! and the keyboard (← and → move 5 s, space plays or pauses). The hydrated client drives it
//! (`client::ReplayPlayer`); `position` tells the page where the replay is (its chat follows).

use leptos::html::Video;
use leptos::prelude::*;

use super::moment::clock;

/// Seconds the arrow keys move.
#[cfg(feature = "hydrate")]
const STEP_SECS: f64 = 5.0;

#[component]
pub fn ReplayPlayer(
    id: i64,
    /// Seconds into the recording to start at (`?t=` in the link).
    start: f64,
    /// How long it plays as the index said when the page was made, seconds.
    duration_secs: f64,
    /// The playhead, seconds: set by the player, read by the page.
    position: RwSignal<f64>,
) -> impl IntoView {
    let video = NodeRef::<Video>::new();
    let duration = RwSignal::new(duration_secs);
    let playing = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let muted = RwSignal::new(false);
    // While the seek bar is dragged: where it points.
    let scrubbing = RwSignal::new(None::<f64>);
    // Where each segment starts (ms) and its number, once the index is read.
    let segments = RwSignal::new(Vec::<(i64, i64)>::new());

    #[cfg(feature = "hydrate")]
    let seek_to = {
        use crate::client::{ReplayPlayer as Loop, ReplaySignals, typed_in_field};
        let player = StoredValue::new_local(None::<Loop>);
        Effect::new(move |_| {
            if let Some(element) = video.get()
                && player.with_value(Option::is_none)
            {
                let signals = ReplaySignals {
                    position,
                    duration,
                    playing,
                    error,
                    muted,
                    segments,
                };
                player.set_value(Some(Loop::start(element, id, start, signals)));
            }
        });
        let keys = window_event_listener(leptos::ev::keydown, move |ev| {
            if typed_in_field(&ev) || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            let now = position.get_untracked();
            let handled = player.with_value(|p| {
                let Some(p) = p else { return false };
                match ev.key().as_str() {
                    "ArrowLeft" => p.seek((now - STEP_SECS).max(0.0)),
                    "ArrowRight" => p.seek((now + STEP_SECS).min(duration.get_untracked())),
                    " " | "k" => p.toggle(),
                    _ => return false,
                }
                true
            });
            if handled {
                ev.prevent_default();
            }
        });
        on_cleanup(move || {
            keys.remove();
            player.set_value(None);
        });
        move |secs: f64| {
            player.with_value(|p| {
                if let Some(p) = p {
                    p.seek(secs);
                }
            })
        }
    };
    #[cfg(not(feature = "hydrate"))]
    let seek_to = move |_: f64| {
        let _ = (id, start);
    };

    let toggle = move |_| {
        if let Some(element) = video.get() {
            if element.paused() {
                let _ = element.play();
            } else {
                let _ = element.pause();
            }
        }
    };
    let unmute = move |_| {
        if let Some(element) = video.get() {
            element.set_muted(false);
        }
        muted.set(false);
    };
    let shown = move || scrubbing.get().unwrap_or_else(|| position.get());
    // The picture of the moment the seek bar points at, while it is dragged.
    let preview = move || {
        let at = scrubbing.get()?;
        let seq = segments.with(|all| {
            let after = all.partition_point(|(start, _)| *start as f64 <= at * 1000.0);
            all.get(after.checked_sub(1)?).map(|(_, seq)| *seq)
        })?;
        let left = (at / duration.get().max(0.001) * 100.0).clamp(0.0, 100.0);
        Some((
            format!("/recordings/{id}/pictures/{seq}"),
            format!("left: {left:.1}%"),
        ))
    };
    view! {
        <div class="player replay" data-testid="replay" data-playing=move || playing.get().to_string()>
            <video node_ref=video playsinline=true></video>
            {move || preview().map(|(src, style)| view! {
                <div class="replay-preview" style=style data-testid="seek-preview">
                    <img src=src alt=""/>
                    <span>{move || clock(scrubbing.get().unwrap_or_default())}</span>
                </div>
            })}
            <div class="player-bar replay-bar">
                <button class="replay-toggle" data-testid="play-pause" on:click=toggle>
                    {move || if playing.get() { "Pause" } else { "Play" }}
                </button>
                <span class="replay-time" data-testid="replay-time" data-position=move || format!("{:.1}", position.get())>
                    {move || format!("{} / {}", clock(shown()), clock(duration.get()))}
                </span>
                <input
                    class="replay-seek"
                    data-testid="seek"
                    type="range"
                    min="0"
                    step="0.1"
                    aria-label="Position"
                    prop:max=move || format!("{:.1}", duration.get())
                    prop:value=move || format!("{:.1}", shown())
                    on:input=move |ev| scrubbing.set(event_target_value(&ev).parse().ok())
                    on:change=move |ev| {
                        scrubbing.set(None);
                        if let Ok(secs) = event_target_value(&ev).parse::<f64>() {
                            seek_to(secs);
                        }
                    }
                />
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
