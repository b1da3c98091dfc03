//! `/`: the directory. Signed in, the channels you follow that are live come first; then every
//! live channel, the broadcasts announced next ("Upcoming"), and the channels live in the last
//! 30 days, a page at a time (`/?page=2`); a search by name or title (`/?q=…`) looks through
//! every channel that was ever on air. In the browser it refreshes itself every few seconds
//! while the tab is visible (who is live, viewer counts), keeping what it shows while it does.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::channels::api::{ChannelSummary, SEARCH_MAX, directory};
use crate::components::channel_card::ChannelCard;
use crate::components::upcoming::UpcomingRow;
use crate::follows::api::followed_live;
use crate::live::wire::ChannelState;
use crate::schedule::api::upcoming_broadcasts;

#[cfg(feature = "hydrate")]
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    // Shown from 1; asked for from 0.
    let page = Memo::new(move |_| {
        query
            .read()
            .get_str("page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, 10_000)
    });
    let search = Memo::new(move |_| {
        query
            .read()
            .get_str("q")
            .map(|q| q.trim().to_string())
            .unwrap_or_default()
    });
    let channels = Resource::new(
        move || (page.get(), search.get()),
        |(page, search)| directory(page - 1, search),
    );
    // The rows above the directory, on its first page and without a search.
    let first = move || page.get() == 1 && search.get().is_empty();
    let followed = Resource::new(first, |first| async move {
        if first {
            followed_live().await
        } else {
            Ok(Vec::new())
        }
    });
    let soon = Resource::new(first, |first| async move {
        if first {
            upcoming_broadcasts().await.map(Some)
        } else {
            Ok(None)
        }
    });
    #[cfg(feature = "hydrate")]
    if let Ok(timer) = set_interval_with_handle(
        move || {
            if !document().hidden() {
                channels.refetch();
                followed.refetch();
            }
        },
        REFRESH_EVERY,
    ) {
        on_cleanup(move || timer.clear());
    }
    view! {
        <h1>"Channels"</h1>
        <form class="search" method="get" action="/" role="search">
            <input
                type="search"
                name="q"
                data-testid="search"
                placeholder="Search channels by name or title"
                maxlength=SEARCH_MAX.to_string()
                value=move || search.get()
            />
            <button type="submit">"Search"</button>
        </form>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let live = followed.await.unwrap_or_default();
                (!live.is_empty()).then(|| view! {
                    <section class="followed" data-testid="followed-live">
                        <h2>"Live now — channels you follow"</h2>
                        <ul class="directory">
                            {live.into_iter().map(|channel| view! { <ChannelCard channel/> }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Transition>
        <Transition fallback=|| view! { <p>"Loading channels…"</p> }>
            {move || Suspend::new(async move {
                let announced = soon.await.ok().flatten();
                match channels.await {
                    Ok(found) => {
                        let shown = found.page + 1;
                        let searching = !search.get_untracked().is_empty();
                        let (on_air, earlier): (Vec<ChannelSummary>, Vec<ChannelSummary>) = found
                            .channels
                            .into_iter()
                            .partition(|c| c.state != ChannelState::Offline);
                        let nothing = on_air.is_empty() && earlier.is_empty();
                        let empty = match (nothing, searching) {
                            (false, _) => None,
                            (true, true) => Some("No channel matches that search."),
                            (true, false) => Some("Nobody is on air yet."),
                        };
                        let keep = if searching {
                            format!("&q={}", form_urlencoded::byte_serialize(search.get_untracked().as_bytes()).collect::<String>())
                        } else {
                            String::new()
                        };
                        let previous = (shown > 1).then(|| {
                            view! { <a href=format!("/?page={}{keep}", shown - 1) rel="prev">"← Previous"</a> }
                        });
                        let next = found.more.then(|| {
                            view! { <a href=format!("/?page={}{keep}", shown + 1) rel="next">"More channels →"</a> }
                        });
                        view! {
                            {empty.map(|text| view! { <p class="empty">{text}</p> })}
                            {(!on_air.is_empty()).then(|| view! {
                                <section data-testid="live-now">
                                    <h2>"Live now"</h2>
                                    <ul class="directory">
                                        {on_air.into_iter().map(|channel| view! { <ChannelCard channel/> }).collect_view()}
                                    </ul>
                                </section>
                            })}
                            {announced.map(|upcoming| view! { <UpcomingRow upcoming/> })}
                            {(!earlier.is_empty()).then(|| view! {
                                <section data-testid="recently-live">
                                    <h2>{if searching { "Offline" } else { "Recently live" }}</h2>
                                    <ul class="directory">
                                        {earlier.into_iter().map(|channel| view! { <ChannelCard channel/> }).collect_view()}
                                    </ul>
                                </section>
                            })}
                            <nav class="pages" aria-label="Pages">{previous}{next}</nav>
                        }
                            .into_any()
                    }
                    Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
