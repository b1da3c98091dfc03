//! One channel in the directory: thumbnail, title, broadcaster, live or offline.

use leptos::prelude::*;

use crate::channels::api::ChannelSummary;
use crate::components::player::watching;
use crate::live::wire::ChannelState;

#[component]
pub fn ChannelCard(channel: ChannelSummary) -> impl IntoView {
    let live = channel.state == ChannelState::Live;
    let href = format!("/watch/{}", channel.name);
    // The picture changes every few seconds; the query keeps one page load's images together.
    let picture = format!(
        "/live/{}/thumbnail.jpg?at={}",
        channel.name, channel.since_ms
    );
    view! {
        <li class="channel-card" class:live=live data-channel=channel.name.clone()>
            <a href=href>
                <div class="thumbnail" aria-hidden="true">
                    {live.then(|| view! { <img src=picture alt="" loading="lazy"/> })}
                    <span class="badge">{if live { "LIVE" } else { "Offline" }}</span>
                </div>
                <h2 class="channel-title">{channel.title}</h2>
                <p class="broadcaster">
                    {channel.broadcaster}
                    {live.then(|| view! { <span class="card-viewers">{watching(channel.viewers)}</span> })}
                </p>
            </a>
        </li>
    }
}
