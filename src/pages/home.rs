//! `/`: the directory of channels, live ones first. In the browser it refreshes itself every
//! few seconds (who is live, viewer counts), keeping what it shows while it does.

use leptos::prelude::*;

use crate::channels::api::list_channels;
use crate::components::channel_card::ChannelCard;

#[cfg(feature = "hydrate")]
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

#[component]
pub fn HomePage() -> impl IntoView {
    let channels = Resource::new(|| (), |_| list_channels());
    #[cfg(feature = "hydrate")]
    if let Ok(timer) = set_interval_with_handle(move || channels.refetch(), REFRESH_EVERY) {
        on_cleanup(move || timer.clear());
    }
    view! {
        <h1>"Channels"</h1>
        <Transition fallback=|| view! { <p>"Loading channels…"</p> }>
            {move || Suspend::new(async move {
                match channels.await {
                    Ok(list) if list.is_empty() => {
                        view! { <p class="empty">"Nobody is on air yet."</p> }.into_any()
                    }
                    Ok(list) => {
                        view! {
                            <ul class="directory">
                                {list.into_iter().map(|channel| view! { <ChannelCard channel/> }).collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                    Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
