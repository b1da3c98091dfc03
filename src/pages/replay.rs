//! `/replay/{id}`: a past broadcast played back with its chat as it was, each line shown when
//! the replay reaches the moment it was sent. `?t=SECONDS` starts part-way; a broadcast still on
//! air can be rewound here ("Live" goes back to its edge). The channel's owner can make it
//! public, unlisted or private, download it, or delete it.

use leptos::html::Ol;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::components::chat_byline::ChatByline;
use crate::components::chat_text::{ChatText, EmoteNames};
use crate::components::link_preview::LinkPreview;
use crate::components::moment::{clock, date};
use crate::components::replay_player::ReplayPlayer;
use crate::error::AppError;
use crate::pages::not_found::NotFound;
use crate::recordings::api::{
    CLIP_MAX_SECS, CLIP_MIN_SECS, ClipReplay, DeleteRecording, LIVE_CLIP_SECS, RecordingState,
    RecordingSummary, ReplayChatLine, SetRecordingVisibility, Visibility, recording, replay_chat,
    replay_emotes,
};

/// Chat lines shown at once, the newest at the bottom.
const SHOWN_LINES: usize = 150;

#[component]
pub fn ReplayPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let start = move || {
        query
            .read()
            .get("t")
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|t| t.is_finite() && *t >= 0.0)
            .unwrap_or(0.0)
    };
    let summary = Resource::new(id, recording);
    let chat = Resource::new(id, replay_chat);
    let emotes = Resource::new(id, replay_emotes);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let lines = chat.await.unwrap_or_default();
                let emotes = std::sync::Arc::new(emotes.await.unwrap_or_default());
                match summary.await {
                    Ok(found) => view! { <Replay recording=found lines emotes start=start()/> }.into_any(),
                    Err(AppError::NotFound(what)) => view! { <NotFound what/> }.into_any(),
                    Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Replay(
    recording: RecordingSummary,
    lines: Vec<ReplayChatLine>,
    emotes: EmoteNames,
    start: f64,
) -> impl IntoView {
    let position = RwSignal::new(start);
    let note = match recording.state {
        RecordingState::Recording => {
            Some("Still on air: the recording grows as the broadcast goes on.".to_string())
        }
        RecordingState::Cut => {
            Some("The server stopped during this broadcast: the recording ends there.".to_string())
        }
        RecordingState::Stopped => Some(format!(
            "Recording stopped early: {}.",
            recording
                .problem
                .clone()
                .unwrap_or_else(|| "the storage failed".into())
        )),
        RecordingState::Complete => None,
    };
    let channel_href = format!("/watch/{}", recording.channel);
    view! {
        <Title text=recording.title.clone()/>
        <LinkPreview
            title=recording.title.clone()
            description=format!(
                "{}'s broadcast of {}, {} long, on OnAir",
                recording.channel,
                date(recording.started_ms),
                clock(recording.duration_ms as f64 / 1000.0)
            )
            path=format!("/replay/{}", recording.id)
            picture=Some(format!("/recordings/{}/poster.jpg", recording.id))
        />
        <section class="watch">
            <div class="watch-main">
                <ReplayPlayer
                    id=recording.id
                    start
                    duration_secs=recording.duration_ms as f64 / 1000.0
                    position
                />
                <div class="watch-meta">
                    <h1 class="channel-title">{recording.title.clone()}</h1>
                    <p class="broadcaster">
                        <a href=channel_href>{recording.channel.clone()}</a>
                        " · " <time>{date(recording.started_ms)}</time>
                        " · " {clock(recording.duration_ms as f64 / 1000.0)}
                    </p>
                    {note.map(|note| view! { <p class="replay-note" data-testid="replay-note">{note}</p> })}
                    {(recording.state == RecordingState::Recording).then(|| view! {
                        <a class="button live-again" data-testid="back-to-live" href=format!("/watch/{}", recording.channel)>
                            "● Live"
                        </a>
                    })}
                    <ReplayClip id=recording.id position/>
                    {recording.yours.then(|| view! { <OwnerControls recording=recording.clone()/> })}
                </div>
            </div>
            <ReplayChat channel=recording.channel.clone() lines emotes position/>
        </section>
    }
}

/// The chat as it was: the lines sent up to the replay's position.
#[component]
fn ReplayChat(
    channel: String,
    lines: Vec<ReplayChatLine>,
    emotes: EmoteNames,
    position: RwSignal<f64>,
) -> impl IntoView {
    let lines = StoredValue::new(lines);
    let list = NodeRef::<Ol>::new();
    let shown = Memo::new(move |_| {
        let at_ms = (position.get() * 1000.0) as i64;
        lines.with_value(|lines| {
            let upto = lines.partition_point(|line| line.at_ms <= at_ms);
            lines[upto.saturating_sub(SHOWN_LINES)..upto].to_vec()
        })
    });
    // The newest line stays in view as lines appear.
    Effect::new(move |_| {
        shown.track();
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    view! {
        <aside class="chat replay-chat" aria-label="Chat replay">
            <h2>"Chat replay"</h2>
            <ol class="chat-messages" node_ref=list data-testid="chat-messages">
                <For
                    each=move || shown.get()
                    key=|line| line.message.id
                    children=move |line| {
                        let (id, text) = (line.message.id, line.message.text.clone());
                        view! {
                            <li class="chat-message" data-id=id data-at-ms=line.at_ms>
                                <span class="chat-time">{clock(line.at_ms as f64 / 1000.0)}</span>
                                <ChatByline message=line.message/>
                                " "
                                <ChatText channel=channel.clone() text emotes=emotes.clone()/>
                            </li>
                        }
                    }
                />
            </ol>
            {move || lines.with_value(Vec::is_empty).then(|| view! { <p class="chat-empty">"No chat during this broadcast."</p> })}
        </aside>
    }
}

/// Visibility and deletion, for the channel's owner.
#[component]
fn OwnerControls(recording: RecordingSummary) -> impl IntoView {
    let visibility = ServerAction::<SetRecordingVisibility>::new();
    let delete = ServerAction::<DeleteRecording>::new();
    let id = recording.id;
    let current = RwSignal::new(recording.visibility);
    let channel = recording.channel.clone();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(()))) {
            navigate(&format!("/watch/{channel}"), Default::default());
        }
    });
    let choose = move |ev: leptos::ev::Event| {
        let chosen = Visibility::from_words(&event_target_value(&ev)).unwrap_or_default();
        current.set(chosen);
        visibility.dispatch(SetRecordingVisibility {
            id,
            visibility: chosen,
        });
    };
    let confirm_delete = move |_| {
        let sure = web_sys_confirm("Delete this recording? It cannot be undone.");
        if sure {
            delete.dispatch(DeleteRecording { id });
        }
    };
    let failure = move || {
        [visibility.value().get(), delete.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::err)
    };
    view! {
        <div class="replay-owner" data-testid="replay-owner">
            <label>
                "Who can watch "
                <select data-testid="visibility" on:change=choose>
                    {[Visibility::Public, Visibility::Unlisted, Visibility::Private]
                        .into_iter()
                        .map(|v| view! {
                            <option value=v.words() selected=move || current.get() == v>{visibility_label(v)}</option>
                        })
                        .collect_view()}
                </select>
            </label>
            {(1..=recording.parts)
                .map(|part| {
                    let href = format!("/recordings/{id}/download?part={part}");
                    let label = if recording.parts > 1 {
                        format!("Download part {part}")
                    } else {
                        "Download".to_string()
                    };
                    view! { <a class="button" href=href download="" data-testid="download">{label}</a> }
                })
                .collect_view()}
            <button class="danger" data-testid="delete-recording" on:click=confirm_delete>"Delete recording"</button>
            {move || failure().map(|err| view! { <p class="form-error" role="alert">{err.to_string()}</p> })}
        </div>
    }
}

fn visibility_label(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Public => "Everyone (listed on the channel)",
        Visibility::Unlisted => "Anyone with the link",
        Visibility::Private => "Only me",
    }
}

/// The browser's own confirmation; always yes on the server (never called there).
fn web_sys_confirm(question: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(question).ok())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        true
    }
}

/// "Clip": a range of the replay becomes a clip, its page opening once cut. The range starts as
/// the 30 s before where the replay is; "Start here" and "End here" move its ends to the
/// playhead (seek, then mark), as Twitch's clip editor does; its length is checked as it
/// changes.
#[component]
fn ReplayClip(id: i64, position: RwSignal<f64>) -> impl IntoView {
    let cut = ServerAction::<ClipReplay>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(clip)) = cut.value().get() {
            navigate(&format!("/clip/{clip}"), Default::default());
        }
    });
    // The range being chosen, seconds; None while the editor is closed.
    let range = RwSignal::new(None::<(f64, f64)>);
    let open = move |_| {
        let to = position.get_untracked();
        let from = (to - LIVE_CLIP_SECS as f64).max(0.0);
        // Near the start: the first seconds, as long as a clip may be short.
        range.set(Some((from, to.max(from + CLIP_MIN_SECS as f64))));
    };
    let start_here = move |_| {
        range.update(|r| {
            if let Some((from, _)) = r {
                *from = position.get_untracked();
            }
        })
    };
    let end_here = move |_| {
        range.update(|r| {
            if let Some((_, to)) = r {
                *to = position.get_untracked();
            }
        })
    };
    let problem = move || {
        let (from, to) = range.get()?;
        let length = to - from;
        if length < CLIP_MIN_SECS as f64 - 0.05 {
            Some(format!(
                "The clip ends {} after it starts: a clip is {CLIP_MIN_SECS} to {CLIP_MAX_SECS} seconds long.",
                if length <= 0.0 {
                    "before or as soon as".to_string()
                } else {
                    format!("{length:.0} s")
                }
            ))
        } else if length > CLIP_MAX_SECS as f64 + 0.05 {
            Some(format!(
                "The clip is {length:.0} s long: a clip is {CLIP_MIN_SECS} to {CLIP_MAX_SECS} seconds long."
            ))
        } else {
            None
        }
    };
    let make = move |_| {
        if let Some((from, to)) = range.get_untracked() {
            cut.dispatch(ClipReplay {
                id,
                from_ms: (from * 1000.0).round() as u64,
                to_ms: (to * 1000.0).round() as u64,
            });
        }
    };
    view! {
        <div class="replay-clip">
            {move || match range.get() {
                None => view! {
                    <button class="button" data-testid="clip-open" on:click=open>"✂ Clip"</button>
                }.into_any(),
                Some((from, to)) => view! {
                    <div class="clip-editor" data-testid="clip-editor">
                        <p data-testid="clip-range">
                            {format!("{} – {} ({:.0} s)", clock(from), clock(to), (to - from).max(0.0))}
                        </p>
                        <button class="button" data-testid="clip-start" on:click=start_here>"Start here"</button>
                        <button class="button" data-testid="clip-end" on:click=end_here>"End here"</button>
                        <button
                            class="button"
                            data-testid="make-clip"
                            disabled=move || cut.pending().get() || problem().is_some()
                            on:click=make
                        >
                            {move || if cut.pending().get() { "Clipping…" } else { "Make clip" }}
                        </button>
                        <button class="button" data-testid="clip-cancel" on:click=move |_| range.set(None)>"Cancel"</button>
                    </div>
                }.into_any(),
            }}
            {move || problem().map(|why| view! { <p class="form-error" data-testid="clip-problem">{why}</p> })}
            {move || cut.value().get().and_then(Result::err).map(|err| view! { <p class="form-error" role="alert" data-testid="clip-error">{err.to_string()}</p> })}
        </div>
    }
}
