//! `/studio`: the signed-in broadcaster's control room. Set the title, pick a source, go live
//! or stop; while live, the encoder's own figures (and, from streaming software, what it
//! sends) update every second beside a preview. Picking "OBS / streaming software" shows the
//! server and stream key to paste instead of "Go live"; picking the camera or the screen shows
//! the panel that captures and sends them from this page. Signed-out visitors are sent to sign
//! in and brought back.
//!
//! The studio's code (capture, recording, the encoder panels) is its own WebAssembly chunk,
//! fetched when the studio is opened ([`StudioRoute`]); the watch page never loads it.

use leptos::html::{Input, Select};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::{LazyRoute, lazy_route};

use crate::broadcasts::api::{
    EndReason, IncomingFigures, RTMP_LABEL, SaveTitle, SetLadder, SourceChoice, StartBroadcast,
    StopBroadcast, StudioStatus, broadcast_state, media_files,
};
use crate::broadcasts::rules::TITLE_MAX;
use crate::components::account_menu::Auth;
use crate::components::api_tokens::ApiTokens;
use crate::components::avatar_panel::AvatarPanel;
use crate::components::blocked_terms_panel::BlockedTermsPanel;
use crate::components::browser_capture::BrowserCapture;
use crate::components::chat_bans::ChatBans;
use crate::components::chat_moderators_panel::ChatModeratorsPanel;
use crate::components::chat_rules_panel::ChatRulesPanel;
use crate::components::elapsed;
use crate::components::emotes_panel::EmotesPanel;
use crate::components::name_colour_picker::NameColourPicker;
use crate::components::player::Player;
use crate::components::record_switch::RecordSwitch;
use crate::components::restream_panel::RestreamPanel;
use crate::components::schedule_panel::SchedulePanel;
use crate::components::streaming_software::StreamingSoftware;
use crate::components::webhooks_panel::WebhooksPanel;
use crate::error::AppError;
use crate::ingest::api::Capture;
use crate::live::wire::ChannelState;

const TEST_PATTERN: &str = "test-pattern";
/// The source choice that shows the server and key for streaming software.
const SOFTWARE: &str = "streaming-software";

/// `/studio` as a lazily loaded route: nothing to fetch before its chunk arrives.
pub struct StudioRoute;

#[lazy_route]
impl LazyRoute for StudioRoute {
    fn data() -> Self {
        Self
    }

    fn view(this: Self) -> AnyView {
        let _ = this;
        view! { <StudioPage/> }.into_any()
    }
}

#[component]
pub fn StudioPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Title text="Studio"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match auth.me.await {
                    Ok(Some(me)) => view! { <Studio channel=me.channel operator=me.operator username=me.username/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/signin?next=/studio"/> }.into_any(),
                    Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Studio(channel: String, operator: bool, username: String) -> impl IntoView {
    let start = ServerAction::<StartBroadcast>::new();
    let stop = ServerAction::<StopBroadcast>::new();
    let save = ServerAction::<SaveTitle>::new();
    let set_ladder = ServerAction::<SetLadder>::new();
    let picked = RwSignal::new(TEST_PATTERN.to_string());
    let software = move || picked.get() == SOFTWARE;
    // The choices that go live from this page (its camera, or a screen) are named by the key.
    let from_page = move || {
        let picked = picked.get();
        [Capture::Camera, Capture::Screen]
            .into_iter()
            .find(|capture| capture.key() == picked)
    };
    let tick = RwSignal::new(0u64);
    #[cfg(feature = "hydrate")]
    if let Ok(timer) = set_interval_with_handle(
        move || tick.update(|t| *t += 1),
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || timer.clear());
    }
    let name = channel.clone();
    let status = Resource::new(
        move || (tick.get(), start.version().get(), stop.version().get()),
        move |_| broadcast_state(name.clone()),
    );
    let name = channel.clone();
    let first = Resource::new(|| (), move |_| broadcast_state(name.clone()));
    let media = Resource::new(|| (), |_| media_files());
    let title = NodeRef::<Input>::new();
    let source = NodeRef::<Select>::new();

    let channel_for_ladder = StoredValue::new(channel.clone());
    let name = channel.clone();
    let go_live = move |_| {
        let title = title.get().map(|t| t.value()).unwrap_or_default();
        let picked = source.get().map(|s| s.value()).unwrap_or_default();
        let source = if picked == TEST_PATTERN || picked.is_empty() {
            SourceChoice::TestPattern
        } else {
            SourceChoice::MediaFile(picked)
        };
        start.dispatch(StartBroadcast {
            channel: name.clone(),
            title,
            source,
        });
    };
    let name = channel.clone();
    let save_title = move |_| {
        save.dispatch(SaveTitle {
            channel: name.clone(),
            title: title.get().map(|t| t.value()).unwrap_or_default(),
        });
    };
    let name = channel.clone();
    let stop_now = move |_| {
        stop.dispatch(StopBroadcast {
            channel: name.clone(),
        });
    };
    let error = move || {
        let failed = |v: Option<Result<(), AppError>>| v.and_then(Result::err);
        failed(stop.value().get())
            .or_else(|| failed(start.value().get()))
            .or_else(|| failed(save.value().get()))
            .or_else(|| failed(set_ladder.value().get()))
    };
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let busy = move || start.pending().get() || stop.pending().get() || save.pending().get();
    // Whether the channel is on air, as the studio last heard (None until it has): Go live
    // only while it is not, Stop only while it is.
    let on_air = move || {
        status
            .get()
            .and_then(Result::ok)
            .map(|status| status.on_air.is_some())
    };
    // Both stay disabled until the page has hydrated: the server renders them before the
    // status is known (disabled), and hydration keeps the server's attribute while remembering
    // its own first value, so a status already known then would never be applied.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let go_live_idle = move || !hydrated.get() || busy() || on_air() != Some(false);
    let stop_idle = move || !hydrated.get() || busy() || on_air() != Some(true);
    let sign_out_everywhere = expect_context::<Auth>().sign_out_everywhere;

    view! {
        <section class="studio">
            <h1>"Studio"</h1>
            <div class="studio-grid">
                <div class="studio-controls">
                    <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            let first = first.await.ok();
                            let title_now = first.as_ref().map(|s| s.title.clone()).unwrap_or_default();
                            let ladder_now = first.as_ref().is_none_or(|s| s.ladder);
                            let from_software = first
                                .and_then(|s| s.on_air)
                                .is_some_and(|on_air| on_air.source == RTMP_LABEL);
                            if from_software {
                                picked.set(SOFTWARE.to_string());
                            }
                            let files = media.await.unwrap_or_default();
                            view! {
                                <label>
                                    "Title"
                                    <input node_ref=title name="title" maxlength=TITLE_MAX value=title_now/>
                                </label>
                                <label>
                                    "Source"
                                    <select node_ref=source name="source" data-testid="source"
                                        on:change=move |ev| picked.set(event_target_value(&ev))>
                                        <option value=TEST_PATTERN>"Test pattern"</option>
                                        <option value={Capture::Camera.key()}>"Camera (this browser)"</option>
                                        <option value={Capture::Screen.key()}>"Screen (this browser)"</option>
                                        <option value=SOFTWARE selected=from_software>"OBS / streaming software"</option>
                                        {files
                                            .into_iter()
                                            .map(|file| view! { <option value=file.clone()>{file.clone()}</option> })
                                            .collect_view()}
                                    </select>
                                </label>
                                <label class="studio-check">
                                    <input type="checkbox" data-testid="ladder" checked=ladder_now
                                        on:change=move |ev| {
                                            set_ladder.dispatch(SetLadder {
                                                channel: channel_for_ladder.get_value(),
                                                on: event_target_checked(&ev),
                                            });
                                        }/>
                                    "Lower qualities for viewers on slow links"
                                </label>
                                <p class="studio-hint">
                                    "Each one costs the server an encoder; from the next broadcast."
                                    {move || set_ladder.value().get().is_some_and(|r| r.is_ok())
                                        .then(|| view! { " " <span data-testid="ladder-saved">"Saved"</span> })}
                                </p>
                            }
                        })}
                    </Suspense>
                    <RecordSwitch channel=channel_for_ladder.get_value()/>
                    <div class="studio-buttons" class:hidden=move || from_page().is_some()>
                        {move || if software() {
                            view! { <button on:click=save_title.clone() disabled=busy data-testid="save-title">"Save title"</button> }.into_any()
                        } else {
                            view! {
                                <button class="go-live" on:click=go_live.clone() disabled=go_live_idle data-testid="go-live">
                                    {move || if start.pending().get() { "Going live…" } else { "Go live" }}
                                </button>
                            }.into_any()
                        }}
                        <button class="stop" on:click=stop_now disabled=stop_idle data-testid="stop">
                            {move || if stop.pending().get() { "Stopping…" } else { "Stop" }}
                        </button>
                        {move || saved().then(|| view! { <span class="studio-hint" data-testid="title-saved">"Saved"</span> })}
                    </div>
                    {
                        let channel = channel.clone();
                        move || software().then(|| view! { <StreamingSoftware channel=channel.clone() tick=tick/> })
                    }
                    {
                        let channel = channel.clone();
                        move || from_page().map(|what| view! { <BrowserCapture channel=channel.clone() what title/> })
                    }
                    {move || error().map(|err| view! { <p class="form-error" role="alert" data-testid="studio-error">{err.to_string()}</p> })}
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match status.await {
                                Ok(status) => view! { <OnAirPanel status/> }.into_any(),
                                Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                            }
                        })}
                    </Transition>
                </div>
                <div class="studio-preview">
                    <h2>"Preview"</h2>
                    <Player channel=channel.clone() initial=ChannelState::Offline viewers=0 preview=true/>
                    <p><a href=format!("/watch/{channel}")>{format!("Your channel: /watch/{channel}")}</a></p>
                    <ChatRulesPanel channel=channel.clone()/>
                    <ChatModeratorsPanel channel=channel.clone()/>
                    <BlockedTermsPanel channel=channel.clone()/>
                    <EmotesPanel channel=channel.clone()/>
                    <AvatarPanel channel=channel.clone()/>
                    <ChatBans channel=channel.clone() refresh=Signal::derive(|| 0)/>
                    <NameColourPicker username=username.clone()/>
                    <SchedulePanel channel=channel.clone()/>
                    <RestreamPanel channel=channel.clone() tick=tick/>
                    <ApiTokens/>
                    <WebhooksPanel channel=Some(channel.clone())/>
                    {operator.then(|| view! { <WebhooksPanel channel=None/> })}
                    <details class="studio-account" data-testid="account">
                        <summary>"Account"</summary>
                        <p class="studio-hint">
                            "Signed in on a computer that is not yours, or lost a phone? This signs you out on every device and browser, this one too."
                        </p>
                        <ActionForm action=sign_out_everywhere>
                            <button type="submit" data-testid="sign-out-everywhere">"Sign out everywhere"</button>
                        </ActionForm>
                    </details>
                </div>
            </div>
        </section>
    }
}

/// The broadcast's state, the encoder's figures, and how the last broadcast ended.
#[component]
fn OnAirPanel(status: StudioStatus) -> impl IntoView {
    let now = status.now_ms;
    let on_air = status.on_air.map(|on_air| {
        let state = match on_air.state {
            ChannelState::Live => "Live",
            ChannelState::Reconnecting => "Reconnecting…",
            ChannelState::Offline => "Starting…",
        };
        let figures = on_air.figures.unwrap_or_default();
        let incoming = on_air
            .incoming
            .map(|incoming| view! { <IncomingPanel incoming/> });
        let fmt = |v: Option<f64>, unit: &str, digits: usize| {
            v.map_or("–".to_string(), |v| format!("{v:.digits$}{unit}"))
        };
        view! {
            <p class="studio-state" data-testid="studio-state" data-state=state>
                {state} " · " {on_air.source} " · for "
                {elapsed::words(now.saturating_sub(on_air.started_ms))} " · "
                {format!("{} watching", on_air.viewers)}
            </p>
            {on_air.reason.map(|reason| view! { <p class="studio-reason">{reason}</p> })}
            <dl class="encoder-figures" data-testid="encoder-figures">
                <dt>"Frames per second"</dt>
                <dd data-testid="fps">{fmt(figures.fps, "", 1)}</dd>
                <dt>"Bitrate"</dt>
                <dd data-testid="bitrate">{fmt(figures.kbps, " kbit/s", 0)}</dd>
                <dt>"Speed"</dt>
                <dd data-testid="speed">{fmt(figures.speed, "×", 2)}</dd>
                <dt>"Frames"</dt>
                <dd>{figures.frames}</dd>
            </dl>
            {incoming}
            {(on_air.rungs.len() > 1).then(|| view! {
                <p class="studio-rungs" data-testid="rungs">
                    "Made in " {on_air.rungs.len()} " qualities: "
                    {on_air
                        .rungs
                        .iter()
                        .map(|rung| format!("{} ({} watching)", rung.name, rung.viewers))
                        .collect::<Vec<_>>()
                        .join(" · ")}
                </p>
            })}
        }
    });
    let offline = on_air.is_none();
    let last = status.last.map(|last| {
        let how = match (last.end_reason, &last.failure) {
            (EndReason::Failed, Some(why)) => format!("failed: {why}"),
            (EndReason::Interrupted, _) => {
                "cut short when the server stopped unexpectedly".to_string()
            }
            (reason, _) => reason.words().to_string(),
        };
        view! {
            <p class="studio-last" data-testid="last-broadcast">
                {format!(
                    "Last broadcast “{}” ({}) ended {} ago — {}; peak {} watching.",
                    last.title,
                    last.source,
                    elapsed::words(now.saturating_sub(last.ended_ms)),
                    how,
                    last.peak_viewers,
                )}
            </p>
        }
    });
    view! {
        {offline.then(|| view! { <p class="studio-state" data-testid="studio-state" data-state="Offline">"Offline"</p> })}
        {on_air}
        {last}
    }
}

/// What streaming software sends, with a warning when its keyframes come too seldom.
#[component]
fn IncomingPanel(incoming: IncomingFigures) -> impl IntoView {
    let fmt = |v: Option<f64>, unit: &str, digits: usize| {
        v.map_or("–".to_string(), |v| format!("{v:.digits$}{unit}"))
    };
    let codecs = match &incoming.audio {
        Some(audio) if incoming.video.is_empty() => format!("{audio}, no video"),
        Some(audio) => format!("{} + {audio}", incoming.video),
        None => incoming.video.clone(),
    };
    let size = match (incoming.width, incoming.height) {
        (Some(w), Some(h)) => format!("{w}×{h}"),
        _ => "–".to_string(),
    };
    let warning = incoming.keyframe_warning();
    view! {
        <h3 class="studio-subhead">"Arriving from your software"</h3>
        <dl class="encoder-figures" data-testid="incoming-figures">
            <dt>"Codecs"</dt>
            <dd data-testid="incoming-codecs">{codecs}</dd>
            <dt>"Resolution"</dt>
            <dd data-testid="incoming-size">{size}</dd>
            <dt>"Frame rate"</dt>
            <dd>{fmt(incoming.fps, " fps", 1)}</dd>
            <dt>"Bitrate"</dt>
            <dd>{fmt(incoming.kbps, " kbit/s", 0)}</dd>
            <dt>"Keyframe interval"</dt>
            <dd data-testid="incoming-keyframes">{fmt(incoming.keyframe_secs, " s", 1)}</dd>
        </dl>
        {warning.map(|w| view! { <p class="form-error" role="alert" data-testid="keyframe-warning">{w}</p> })}
    }
}
