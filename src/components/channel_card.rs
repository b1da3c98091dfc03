//! One channel in the directory: thumbnail (off air, its last broadcast's picture), title,
//! broadcaster, how long it has been live (or when it last was), viewers.

use leptos::prelude::*;

use crate::channels::api::ChannelSummary;
use crate::components::elapsed;
use crate::components::player::watching;
use crate::live::wire::ChannelState;

#[component]
pub fn ChannelCard(channel: ChannelSummary) -> impl IntoView {
    let live = channel.state != ChannelState::Offline;
    let href = format!("/watch/{}", channel.name);
    // The picture changes every few seconds; the query keeps one page load's images together.
    let picture = format!(
        "/live/{}/thumbnail.jpg?at={}",
        channel.name, channel.since_ms
    );
    let when = if live {
        format!(
            "live for {}",
            elapsed::words(channel.as_of_ms.saturating_sub(channel.since_ms))
        )
    } else {
        match channel.last_live_ms {
            Some(ms) => format!(
                "last live {} ago",
                elapsed::words(channel.as_of_ms.saturating_sub(ms))
            ),
            None => "not live yet".to_string(),
        }
    };
    view! {
        <li class="channel-card" class:live=live data-channel=channel.name.clone()>
            <a href=href>
                <div class="thumbnail" aria-hidden="true">
                    // Off air: the picture of what it last broadcast, where that was recorded.
                    {(live || channel.last_live_ms.is_some()).then(|| view! { <img src=picture alt="" loading="lazy"/> })}
                    <span class="badge">{if live { "LIVE" } else { "Offline" }}</span>
                </div>
                <h2 class="channel-title">{channel.title}</h2>
                <p class="broadcaster">
                    {channel.broadcaster}
                    {live.then(|| view! { <span class="card-viewers">{watching(channel.viewers)}</span> })}
                </p>
                <p class="card-when">{when}</p>
            </a>
        </li>
    }
}
