//! The studio's panel for going live from the page itself: the camera (with the microphone) or
//! the screen. "Go live" asks for access, shows a local preview and starts sending; "Stop" ends
//! it; the microphone can be muted. Whatever the browser refuses is said in words.

use leptos::html::{Input, Video};
use leptos::prelude::*;

use crate::broadcasts::api::stop_broadcast;
use crate::ingest::api::Capture;

#[component]
pub fn BrowserCapture(
    channel: String,
    /// What it sends from.
    what: Capture,
    /// The studio's title field.
    title: NodeRef<Input>,
) -> impl IntoView {
    let preview = NodeRef::<Video>::new();
    // What the recording is doing, in words; and the last refusal or failure.
    let state = RwSignal::new(None::<String>);
    // The uplink could not keep up: what the recording does about it, while it lasts.
    let uplink = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let recording = RwSignal::new(false);
    // From Go live until the recording starts or cannot: the button says it is on its way.
    let starting = RwSignal::new(false);
    let muted = RwSignal::new(false);
    // The cameras and microphones offered (id, label), and the chosen ones ("" = default).
    let cameras = RwSignal::new(Vec::<(String, String)>::new());
    let microphones = RwSignal::new(Vec::<(String, String)>::new());
    let camera = RwSignal::new(String::new());
    let microphone = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    let list_devices = move || {
        leptos::task::spawn_local(async move {
            let (found_cameras, found_microphones) = crate::client::recorder::devices().await;
            let named = |devices: Vec<crate::client::recorder::Device>, kind: &str| {
                devices
                    .into_iter()
                    .enumerate()
                    .map(|(i, d)| {
                        let label = if d.label.is_empty() {
                            format!("{kind} {}", i + 1)
                        } else {
                            d.label
                        };
                        (d.id, label)
                    })
                    .collect::<Vec<_>>()
            };
            cameras.set(named(found_cameras, "Camera"));
            microphones.set(named(found_microphones, "Microphone"));
        });
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| list_devices());
    #[cfg(feature = "hydrate")]
    let session =
        StoredValue::new_local(None::<(crate::client::recorder::Recording, web_sys::MediaStream)>);

    let name = channel.clone();
    let go_live = move |_| {
        problem.set(None);
        starting.set(true);
        let title = title.get().map(|t| t.value()).unwrap_or_default();
        let channel = name.clone();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            use crate::client::recorder::{self, RecordingState};
            if let Err(err) = crate::broadcasts::api::save_title(channel.clone(), title).await {
                problem.set(Some(err.to_string()));
                starting.set(false);
                return;
            }
            state.set(Some("Asking for access…".into()));
            let (camera_id, microphone_id) = (camera.get_untracked(), microphone.get_untracked());
            let stream = match recorder::capture(what, Some(&camera_id), Some(&microphone_id)).await
            {
                Ok(stream) => {
                    // Access granted: the devices' names can be shown now.
                    list_devices();
                    stream
                }
                Err(why) => {
                    state.set(None);
                    problem.set(Some(why));
                    starting.set(false);
                    return;
                }
            };
            if let Some(video) = preview.get_untracked() {
                video.set_src_object(Some(&stream));
            }
            recorder::set_microphone(&stream, !muted.get_untracked());
            let on_state = move |now: RecordingState| match now {
                RecordingState::Connecting => state.set(Some("Connecting…".into())),
                RecordingState::Live => state.set(Some("Live".into())),
                RecordingState::Reconnecting(why) => {
                    state.set(Some(format!("Reconnecting… ({why})")))
                }
                RecordingState::Lowered(kbps) => uplink.set(Some(format!(
                    "Your upload could not keep up, so the video is now sent at {kbps} kbit/s. \
                     A wired connection, or closing other uploads, lets it go higher next time."
                ))),
                RecordingState::Ended(why) => {
                    state.set(None);
                    uplink.set(None);
                    recording.set(false);
                    if let Some(why) = why {
                        problem.set(Some(why));
                    }
                }
            };
            let started = recorder::start(&channel, what, stream.clone(), on_state);
            starting.set(false);
            match started {
                Ok(started) => {
                    recording.set(true);
                    session.set_value(Some((started, stream)));
                }
                Err(why) => {
                    recorder::release(&stream);
                    state.set(None);
                    problem.set(Some(why));
                }
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (title, channel, starting);
    };
    let name = channel.clone();
    let stop = move |_| {
        #[cfg(feature = "hydrate")]
        session.update_value(|s| {
            if let Some((mut recording, stream)) = s.take() {
                recording.stop();
                crate::client::recorder::release(&stream);
            }
        });
        recording.set(false);
        let channel = name.clone();
        leptos::task::spawn_local(async move {
            // The broadcast may be over already (the socket closing ends it); that is fine.
            let _ = stop_broadcast(channel).await;
        });
    };
    let toggle_mute = move |_| {
        muted.update(|m| *m = !*m);
        #[cfg(feature = "hydrate")]
        session.with_value(|s| {
            if let Some((_, stream)) = s {
                crate::client::recorder::set_microphone(stream, !muted.get_untracked());
            }
        });
    };

    view! {
        <div class="browser-capture" data-testid="browser-capture">
            <p class="studio-hint">
                {if what == Capture::Screen {
                    "Go live shares a screen, window or tab you pick (with your microphone, if you allow it)."
                } else {
                    "Go live asks for your camera and microphone and sends them from this page."
                }}
            </p>
            {(what == Capture::Camera).then(|| view! {
                <label>
                    "Camera"
                    <select data-testid="camera" on:change=move |ev| camera.set(event_target_value(&ev))>
                        <option value="">"Default"</option>
                        {move || cameras.get().into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                    </select>
                </label>
            })}
            <label>
                "Microphone"
                <select data-testid="microphone" on:change=move |ev| microphone.set(event_target_value(&ev))>
                    <option value="">"Default"</option>
                    {move || microphones.get().into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                </select>
            </label>
            <video node_ref=preview class="capture-preview" muted=true autoplay=true playsinline=true
                data-testid="capture-preview"></video>
            <div class="studio-buttons">
                <button class="go-live" on:click=go_live disabled=move || recording.get() || starting.get()
                    data-testid="capture-go-live">
                    {move || if starting.get() { "Going live…" } else { "Go live" }}
                </button>
                <button class="stop" on:click=stop disabled=move || !recording.get() data-testid="capture-stop">"Stop"</button>
                <button on:click=toggle_mute data-testid="mute" disabled=move || !recording.get()>
                    {move || if muted.get() { "Unmute microphone" } else { "Mute microphone" }}
                </button>
            </div>
            {move || state.get().map(|s| view! { <p class="studio-state" data-testid="capture-state">{s}</p> })}
            {move || uplink.get().map(|u| view! { <p class="studio-note" data-testid="capture-uplink">{u}</p> })}
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert" data-testid="capture-problem">{p}</p> })}
        </div>
    }
}
