//! `/`: the directory of channels, live ones first.

use leptos::prelude::*;

use crate::channels::api::list_channels;
use crate::components::channel_card::ChannelCard;

#[component]
pub fn HomePage() -> impl IntoView {
    let channels = Resource::new(|| (), |_| list_channels());
    view! {
        <h1>"Channels"</h1>
        <Suspense fallback=|| view! { <p>"Loading channels…"</p> }>
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
        </Suspense>
    }
}
