//! Who is banned from a channel's chat (or timed out, until when), each with "Unban": in the
//! owner's studio, and beside the chat for the operators and moderators. Fetched when opened,
//! again after every unban and whenever `refresh` changes (a ban made elsewhere on the page).

use leptos::prelude::*;

use crate::chat::api::{UnbanFromChat, chat_bans};
use crate::components::unfolding::Unfolding;

#[component]
pub fn ChatBans(channel: String, #[prop(into)] refresh: Signal<usize>) -> impl IntoView {
    view! {
        <Unfolding class="chat-bans" testid="chat-bans" summary="Banned from chat">
            <BanList channel=channel.clone() refresh/>
        </Unfolding>
    }
}

#[component]
fn BanList(channel: String, refresh: Signal<usize>) -> impl IntoView {
    let unban = ServerAction::<UnbanFromChat>::new();
    let bans = {
        let channel = channel.clone();
        Resource::new(
            move || (unban.version().get(), refresh.get()),
            move |_| chat_bans(channel.clone()),
        )
    };
    view! {
            <Transition fallback=|| ()>
                {move || Suspend::new({
                    let channel = channel.clone();
                    async move {
                        match bans.await {
                            Ok(bans) if bans.is_empty() => {
                                view! { <p class="studio-hint">"Nobody is banned."</p> }.into_any()
                            }
                            Ok(bans) => {
                                let rows = bans
                                    .into_iter()
                                    .map(|banned| {
                                        let channel = channel.clone();
                                        let name = banned.username.clone();
                                        let unbanned = name.clone();
                                        view! {
                                            <li data-banned=name.clone()>
                                                <span>{banned.username}</span>
                                                {banned.until_ms.map(|until| format!(" (timed out until {})", crate::components::moment::date(until)))}
                                                " "
                                                <button
                                                    class="link"
                                                    on:click=move |_| {
                                                        unban.dispatch(UnbanFromChat {
                                                            channel: channel.clone(),
                                                            username: unbanned.clone(),
                                                        });
                                                    }
                                                >
                                                    "Unban"
                                                </button>
                                            </li>
                                        }
                                    })
                                    .collect_view();
                                view! { <ul class="ban-list">{rows}</ul> }.into_any()
                            }
                            Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                        }
                    }
                })}
            </Transition>
            {move || {
                unban
                    .value()
                    .get()
                    .and_then(Result::err)
                    .map(|err| view! { <p class="form-error" role="alert">{err.to_string()}</p> })
            }}
    }
}
