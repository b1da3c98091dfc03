//! The studio's schedule: the broadcasts the owner announced (each cancellable) and a form to
//! announce one, its start typed in the owner's own time zone.

use leptos::html::Input;
use leptos::prelude::*;

use crate::components::starts_at::StartsAt;
use crate::schedule::api::{Announce, CancelAnnounced, schedule_of};

#[component]
pub fn SchedulePanel(channel: String) -> impl IntoView {
    let announce = ServerAction::<Announce>::new();
    let cancel = ServerAction::<CancelAnnounced>::new();
    let channel = StoredValue::new(channel);
    let list = Resource::new(
        move || (announce.version().get(), cancel.version().get()),
        move |_| schedule_of(channel.get_value()),
    );
    let title = NodeRef::<Input>::new();
    let starts = NodeRef::<Input>::new();
    // A start the browser could not read (the form is filled in by hand without a picker).
    let unreadable = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value =
            |input: NodeRef<Input>| input.get_untracked().map(|i| i.value()).unwrap_or_default();
        let Some(starts_ms) = local_ms(&value(starts)) else {
            unreadable.set(true);
            return;
        };
        unreadable.set(false);
        announce.dispatch(Announce {
            channel: channel.get_value(),
            title: value(title),
            starts_ms,
        });
    };
    let error = move || {
        if unreadable.get() {
            return Some("Pick the day and time the broadcast starts.".to_string());
        }
        announce
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| cancel.value().get().and_then(Result::err))
            .map(|e| e.to_string())
    };
    let feed = move || format!("/watch/{}/schedule.ics", channel.get_value());
    view! {
        <details class="studio-account" data-testid="schedule">
            <summary>"Schedule"</summary>
            <p class="studio-hint">
                "Announce your next broadcasts: your channel page counts down to the next one, the home page lists it, and followers' calendars get it from "
                <a href=feed>"your calendar feed"</a>"."
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let Ok(upcoming) = list.await else { return ().into_any() };
                    if upcoming.announced.is_empty() {
                        return view! { <p class="studio-hint">"Nothing announced."</p> }.into_any();
                    }
                    let as_of_ms = upcoming.as_of_ms;
                    view! {
                        <ul class="token-list">
                            {upcoming.announced.into_iter().map(|entry| {
                                let id = entry.id;
                                view! {
                                    <li class="token" data-testid="announced">
                                        <strong>{entry.title}</strong>" "
                                        <StartsAt starts_ms=entry.starts_ms as_of_ms/>" "
                                        <button class="link" data-testid="cancel-announced" on:click=move |_| {
                                            cancel.dispatch(CancelAnnounced { channel: channel.get_value(), id });
                                        }>"Cancel"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                })}
            </Transition>
            <form class="token-form" on:submit=submit>
                <label>"Title" <input node_ref=title data-testid="announce-title" maxlength="120" required=true/></label>
                <label>"Starts" <input node_ref=starts type="datetime-local" data-testid="announce-starts" required=true/></label>
                <button type="submit" data-testid="announce" disabled=move || announce.pending().get()>"Announce"</button>
            </form>
            {move || error().map(|err| view! { <p class="form-error" role="alert" data-testid="schedule-error">{err}</p> })}
        </details>
    }
}

/// A `datetime-local` value ("2026-12-05T18:30") read in the browser's time zone, as Unix ms.
#[cfg(feature = "hydrate")]
fn local_ms(value: &str) -> Option<i64> {
    if value.is_empty() {
        return None;
    }
    // Date-time forms without a zone are local time (ECMAScript's Date.parse).
    let ms = js_sys::Date::parse(value);
    ms.is_finite().then_some(ms as i64)
}

#[cfg(not(feature = "hydrate"))]
fn local_ms(_value: &str) -> Option<i64> {
    None
}
