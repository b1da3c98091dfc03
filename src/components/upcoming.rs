//! Announced broadcasts: the home page's "Upcoming" row, and the channel page's next
//! broadcast with a countdown and its calendar feed.

use leptos::prelude::*;

use crate::components::starts_at::StartsAt;
use crate::schedule::api::{Upcoming, schedule_of};

/// The home page's row: one card per channel, soonest first.
#[component]
pub fn UpcomingRow(upcoming: Upcoming) -> impl IntoView {
    let as_of_ms = upcoming.as_of_ms;
    (!upcoming.announced.is_empty()).then(|| {
        view! {
            <section class="upcoming" data-testid="upcoming">
                <h2>"Upcoming"</h2>
                <ul class="upcoming-list">
                    {upcoming
                        .announced
                        .into_iter()
                        .map(|entry| {
                            view! {
                                <li class="upcoming-card" data-channel=entry.channel.clone()>
                                    <a href=format!("/watch/{}", entry.channel)>
                                        <h3 class="channel-title">{entry.title}</h3>
                                        <p class="broadcaster">{entry.broadcaster}</p>
                                        <p><StartsAt starts_ms=entry.starts_ms as_of_ms/></p>
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}

/// The channel page's next announced broadcast (and how many follow), with a link to the
/// channel's calendar feed. Shown while the channel is offline.
#[component]
pub fn NextBroadcast(channel: String) -> impl IntoView {
    let feed = format!("/watch/{channel}/schedule.ics");
    let schedule = Resource::new(move || channel.clone(), schedule_of);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let feed = feed.clone();
                Suspend::new(async move {
                    let Ok(upcoming) = schedule.await else { return ().into_any() };
                    let as_of_ms = upcoming.as_of_ms;
                    let later = upcoming.announced.len().saturating_sub(1);
                    let Some(next) = upcoming.announced.into_iter().next() else {
                        return ().into_any();
                    };
                    view! {
                        <aside class="next-broadcast" data-testid="next-broadcast">
                            <p class="next-label">"Next broadcast"</p>
                            <p class="next-title">{next.title}</p>
                            <p><StartsAt starts_ms=next.starts_ms as_of_ms/></p>
                            <p class="next-more">
                                {(later > 0).then(|| format!("and {later} more on the schedule · "))}
                                <a href=feed data-testid="calendar-feed">"Add to your calendar"</a>
                            </p>
                        </aside>
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}
