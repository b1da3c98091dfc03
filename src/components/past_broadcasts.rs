//! A channel's past broadcasts, as its page lists them: picture, title, date, length and peak
//! audience, each a link to its replay, a page at a time ("Show more"). The owner sees the
//! unlisted and private ones too, marked. While the channel is live and recorded, "Rewind" goes
//! back into the broadcast on air.

use leptos::prelude::*;

use super::moment::{clock, date};
use crate::recordings::api::{
    ClipLive, LIVE_CLIP_SECS, PAST_BROADCASTS_PAGE, RecordingState, RecordingSummary, Visibility,
    past_broadcasts,
};

/// How far back "Rewind" starts, seconds before what is recorded so far.
const REWIND_SECS: f64 = 30.0;

#[component]
pub fn PastBroadcasts(channel: String) -> impl IntoView {
    let channel = StoredValue::new(channel);
    let list = Resource::new(move || channel.get_value(), |c| past_broadcasts(c, None));
    // Pages after the first, as "Show more" brings them.
    let later = RwSignal::new(Vec::<RecordingSummary>::new());
    let more = Action::new(move |before: &i64| past_broadcasts(channel.get_value(), Some(*before)));
    let ended = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(page)) = more.value().get() {
            ended.set(page.len() < PAST_BROADCASTS_PAGE as usize);
            later.update(|later| later.extend(page));
        }
    });
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let recordings = list.await.unwrap_or_default();
                // The broadcast on air now, recorded: the viewer may go back into it.
                let rewind = recordings
                    .first()
                    .filter(|r| r.state == RecordingState::Recording)
                    .map(|r| {
                        let back = (r.duration_ms as f64 / 1000.0 - REWIND_SECS).max(0.0);
                        format!("/replay/{}?t={back:.0}", r.id)
                    });
                let full_first_page = recordings.len() >= PAST_BROADCASTS_PAGE as usize;
                let last_listed = recordings.last().map(|r| r.id).unwrap_or(0);
                (!recordings.is_empty())
                    .then(|| {
                        view! {
                            {rewind.map(|href| view! {
                                <div class="on-air-tools">
                                    <a class="button rewind" data-testid="rewind" href=href>"⏪ Rewind this broadcast"</a>
                                    <ClipButton channel=channel.get_value()/>
                                </div>
                            })}
                            <section class="past-broadcasts" data-testid="past-broadcasts">
                                <h2>"Past broadcasts"</h2>
                                <ul>
                                    {recordings.into_iter().map(|r| view! { <PastBroadcast recording=r/> }).collect_view()}
                                    <For
                                        each=move || later.get()
                                        key=|r| r.id
                                        children=|r| view! { <PastBroadcast recording=r/> }
                                    />
                                </ul>
                                {move || (full_first_page && !ended.get()).then(|| {
                                    let last = later.with(|l| l.last().map(|r| r.id)).unwrap_or(last_listed);
                                    view! {
                                        <button
                                            class="button show-more"
                                            data-testid="show-more"
                                            disabled=move || more.pending().get()
                                            on:click=move |_| { more.dispatch(last); }
                                        >
                                            "Show more"
                                        </button>
                                    }
                                })}
                                {move || more.value().get().and_then(Result::err).map(|err| view! { <p class="form-error" role="alert">{err.to_string()}</p> })}
                            </section>
                        }
                    })
            })}
        </Suspense>
    }
}

#[component]
fn PastBroadcast(recording: RecordingSummary) -> impl IntoView {
    let href = format!("/replay/{}", recording.id);
    let poster = format!("/recordings/{}/poster.jpg", recording.id);
    let marks = [
        (recording.state == RecordingState::Recording).then_some("live now"),
        (recording.state == RecordingState::Cut).then_some("cut short"),
        (recording.visibility == Visibility::Unlisted).then_some("unlisted"),
        (recording.visibility == Visibility::Private).then_some("private"),
    ];
    let marks = marks.into_iter().flatten().collect::<Vec<_>>().join(", ");
    view! {
        <li class="past-broadcast">
            <a href=href>
                <img class="past-poster" src=poster alt="" loading="lazy" width="160" height="90"/>
                <span class="past-title">{recording.title}</span>
                <span class="past-meta">
                    <time>{date(recording.started_ms)}</time>
                    " · "
                    <span class="past-length">{clock(recording.duration_ms as f64 / 1000.0)}</span>
                    " · "
                    {format!("{} at most watching", recording.peak_viewers)}
                </span>
                {(!marks.is_empty()).then(|| view! { <span class="past-marks">{marks}</span> })}
            </a>
        </li>
    }
}

/// "Clip": the broadcast's last seconds become a clip; its page opens.
#[component]
fn ClipButton(channel: String) -> impl IntoView {
    let cut = ServerAction::<ClipLive>::new();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = cut.value().get() {
            navigate(&format!("/clip/{id}"), Default::default());
        }
    });
    let channel = StoredValue::new(channel);
    view! {
        <button
            class="button clip-button"
            data-testid="clip"
            disabled=move || cut.pending().get()
            on:click=move |_| { cut.dispatch(ClipLive { channel: channel.get_value() }); }
        >
            {move || if cut.pending().get() { "Clipping…".to_string() } else { format!("✂ Clip the last {LIVE_CLIP_SECS} s") }}
        </button>
        {move || cut.value().get().and_then(Result::err).map(|err| view! { <p class="form-error" role="alert" data-testid="clip-error">{err.to_string()}</p> })}
    }
}
