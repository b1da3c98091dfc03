//! `/watch/{channel}`: the player with the channel's title and state, its followers, its chat,
//! its next announced broadcast while offline, and its past broadcasts.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::channels::api::channel_info;
use crate::chat::api::recent_chat;
use crate::components::chat_panel::ChatPanel;
use crate::components::follow_button::FollowButton;
use crate::components::link_preview::LinkPreview;
use crate::components::past_broadcasts::PastBroadcasts;
use crate::components::player::Player;
use crate::components::share::Share;
use crate::components::upcoming::NextBroadcast;
use crate::live::wire::ChannelState;
use crate::pages::not_found::NotFound;

#[component]
pub fn WatchPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("channel").unwrap_or_default();
    let info = Resource::new(name, channel_info);
    let chat = Resource::new(name, recent_chat);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let recent = chat.await.unwrap_or_default();
                match info.await {
                    Ok(Some(channel)) => {
                        let messages = RwSignal::new(recent);
                        let live = channel.state == ChannelState::Live;
                        let description = if live {
                            format!("{} is live now on OnAir", channel.broadcaster)
                        } else {
                            format!("{}'s channel on OnAir (offline now)", channel.broadcaster)
                        };
                        let picture = live.then(|| format!("/live/{}/thumbnail.jpg", channel.name));
                        let share = view! { <Share channel=channel.name.clone() title=channel.title.clone()/> };
                        let offline = channel.state == ChannelState::Offline;
                        let next = offline.then(|| view! { <NextBroadcast channel=channel.name.clone()/> });
                        view! {
                            <Title text=channel.title.clone()/>
                            <LinkPreview
                                title=channel.title.clone()
                                description
                                path=format!("/watch/{}", channel.name)
                                picture
                            />
                            <section class="watch">
                                <div class="watch-main">
                                    <Player
                                        channel=channel.name.clone()
                                        initial=channel.state
                                        viewers=channel.viewers
                                        chat=messages
                                    />
                                    <div class="watch-meta">
                                        <h1 class="channel-title">{channel.title}</h1>
                                        <p class="broadcaster">
                                            {channel.broadcaster}
                                            " "
                                            <FollowButton channel=channel.name.clone()/>
                                        </p>
                                        {share}
                                    </div>
                                    {next}
                                    <PastBroadcasts channel=channel.name.clone()/>
                                </div>
                                <ChatPanel channel=channel.name.clone() messages/>
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
