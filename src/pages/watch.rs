//! `/watch/{channel}`: the player with the channel's title and state.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::channels::api::channel_info;
use crate::components::player::Player;
use crate::pages::not_found::NotFound;

#[component]
pub fn WatchPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("channel").unwrap_or_default();
    let info = Resource::new(name, channel_info);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match info.await {
                    Ok(Some(channel)) => {
                        view! {
                            <Title text=channel.title.clone()/>
                            <section class="watch">
                                <Player channel=channel.name.clone() initial=channel.state viewers=channel.viewers/>
                                <div class="watch-meta">
                                    <h1 class="channel-title">{channel.title}</h1>
                                    <p class="broadcaster">{channel.broadcaster}</p>
                                </div>
                            </section>
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <NotFound what="There is no channel by that name."/> }.into_any(),
                    Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
