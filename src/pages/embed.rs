//! What other sites frame (the only pages that may be framed, `sharing::framable`), without
//! the site's bar. `/embed/{channel}`: the player alone, muted and playing with its unmute
//! button, and the channel's name linking to its watch page. `/embed/{channel}/chat`: the chat
//! alone for a broadcaster's scene (an OBS browser source): a transparent page, newest message
//! at the bottom, each line fading after a while, no input; it shows what is said from the
//! moment it opens.

use leptos::prelude::*;
use leptos_meta::{Body, Title};
use leptos_router::hooks::use_params_map;

use crate::channels::api::channel_info;
use crate::chat::api::recent_chat;
use crate::components::chat_byline::ChatByline;
use crate::components::chat_text::{ChatText, EmoteNames};
use crate::components::player::Player;
use crate::emotes::api::emotes_of;
use crate::live::wire::ChatEvent;
use crate::pages::not_found::NotFound;

/// Lines the overlay keeps on the page (older ones have faded long before).
const OVERLAY_LINES: usize = 50;

#[component]
pub fn EmbedPlayerPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("channel").unwrap_or_default();
    let info = Resource::new(name, channel_info);
    view! {
        <Body {..} class="embed"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match info.await {
                    Ok(Some(channel)) => {
                        let watch = format!("/watch/{}", channel.name);
                        view! {
                            <Title text=channel.title.clone()/>
                            <section class="embed-player" data-testid="embed-player">
                                <Player channel=channel.name.clone() initial=channel.state viewers=channel.viewers/>
                                <a class="embed-watch" href=watch target="_blank" rel="noopener">
                                    {channel.title}
                                    " · OnAir"
                                </a>
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

#[component]
pub fn EmbedChatPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("channel").unwrap_or_default();
    let info = Resource::new(name, channel_info);
    let recent = Resource::new(name, recent_chat);
    let emotes = Resource::new(name, emotes_of);
    view! {
        <Body {..} class="embed overlay"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                // What was said before the overlay opened is not shown; what follows is, from
                // the newest message the page was made after (nothing lost in between).
                let after = recent.await.unwrap_or_default().iter().map(|m| m.id).max().unwrap_or(0);
                let emotes = std::sync::Arc::new(emotes.await.unwrap_or_default());
                match info.await {
                    Ok(Some(channel)) => view! {
                        <Title text=format!("{} · chat", channel.title)/>
                        <ChatOverlay channel=channel.name after emotes/>
                    }
                        .into_any(),
                    Ok(None) => view! { <NotFound what="There is no channel by that name."/> }.into_any(),
                    Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChatOverlay(channel: String, after: u64, emotes: EmoteNames) -> impl IntoView {
    let messages = RwSignal::new(Vec::<ChatEvent>::new());
    let line_channel = channel.clone();
    #[cfg(feature = "hydrate")]
    {
        let feed = StoredValue::new_local(None::<crate::client::ChatFeed>);
        Effect::new(move |_| {
            if feed.with_value(Option::is_none) {
                feed.set_value(Some(crate::client::ChatFeed::open(
                    &channel, after, messages,
                )));
            }
        });
        on_cleanup(move || feed.set_value(None));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (channel, after);
    let shown =
        move || messages.with(|all| all[all.len().saturating_sub(OVERLAY_LINES)..].to_vec());
    view! {
        <ol class="overlay-lines" data-testid="overlay-lines" aria-live="polite">
            <For
                each=shown
                key=|message| message.id
                children=move |message| {
                    let (id, text) = (message.id, message.text.clone());
                    view! {
                        <li class="overlay-line" data-id=id>
                            <ChatByline message/>
                            " "
                            <ChatText channel=line_channel.clone() text emotes=emotes.clone()/>
                        </li>
                    }
                }
            />
        </ol>
    }
}
