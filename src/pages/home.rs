//! `/`: the directory: live channels first, then those live in the last 30 days, a page at a
//! time (`/?page=2`). In the browser it refreshes itself every few seconds while the tab is
//! visible (who is live, viewer counts), keeping what it shows while it does.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::channels::api::directory;
use crate::components::channel_card::ChannelCard;

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
    let channels = Resource::new(move || page.get(), |page| directory(page - 1));
    #[cfg(feature = "hydrate")]
    if let Ok(timer) = set_interval_with_handle(
        move || {
            if !document().hidden() {
                channels.refetch();
            }
        },
        REFRESH_EVERY,
    ) {
        on_cleanup(move || timer.clear());
    }
    view! {
        <h1>"Channels"</h1>
        <Transition fallback=|| view! { <p>"Loading channels…"</p> }>
            {move || Suspend::new(async move {
                match channels.await {
                    Ok(found) => {
                        let shown = found.page + 1;
                        let empty = found.channels.is_empty();
                        let previous = (shown > 1).then(|| {
                            view! { <a href=format!("/?page={}", shown - 1) rel="prev">"← Previous"</a> }
                        });
                        let next = found.more.then(|| {
                            view! { <a href=format!("/?page={}", shown + 1) rel="next">"More channels →"</a> }
                        });
                        view! {
                            {empty.then(|| view! { <p class="empty">"Nobody is on air yet."</p> })}
                            <ul class="directory">
                                {found.channels.into_iter().map(|channel| view! { <ChannelCard channel/> }).collect_view()}
                            </ul>
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
