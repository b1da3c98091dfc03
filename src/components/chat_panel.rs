//! The chat beside the player: messages (as text, never HTML) kept scrolled to the newest
//! unless the reader scrolled up; an input for signed-in users that shows why a message was
//! refused; delete and ban buttons for the channel's moderators (its owner and the operators),
//! and for operators the ban list and "End broadcast". New messages and deletions arrive on
//! the player's stream, into `messages`.

use leptos::html::{Input, Ol};
use leptos::prelude::*;

use crate::accounts::api::Me;
use crate::broadcasts::api::StopBroadcast;
use crate::chat::api::{BanFromChat, DeleteChat, PostChat};
use crate::chat::rules::MESSAGE_MAX;
use crate::components::account_menu::Auth;
use crate::components::chat_bans::ChatBans;
use crate::live::wire::ChatEvent;

/// Closer to the bottom than this (px), the list follows new messages.
const FOLLOW_WITHIN_PX: i32 = 48;

#[component]
pub fn ChatPanel(channel: String, messages: RwSignal<Vec<ChatEvent>>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <aside class="chat" aria-label="Chat">
            <h2>"Chat"</h2>
            <Transition fallback=|| ()>
                {
                    let channel = channel.clone();
                    move || {
                        let channel = channel.clone();
                        Suspend::new(async move {
                            let me = auth.me.await.ok().flatten();
                            view! { <ChatBody channel me messages/> }
                        })
                    }
                }
            </Transition>
        </aside>
    }
}

#[component]
fn ChatBody(channel: String, me: Option<Me>, messages: RwSignal<Vec<ChatEvent>>) -> impl IntoView {
    let operator = me.as_ref().is_some_and(|me| me.operator);
    let moderator = operator || me.as_ref().is_some_and(|me| me.channel == channel);
    let post = ServerAction::<PostChat>::new();
    let delete = ServerAction::<DeleteChat>::new();
    let ban = ServerAction::<BanFromChat>::new();
    let end = ServerAction::<StopBroadcast>::new();
    let input = NodeRef::<Input>::new();
    let list = NodeRef::<Ol>::new();
    let follow = StoredValue::new(true);

    // A sent message empties the input; it comes back through the stream like everyone's.
    Effect::new(move |_| {
        if matches!(post.value().get(), Some(Ok(())))
            && let Some(input) = input.get_untracked()
        {
            input.set_value("");
        }
    });
    // Keep the newest message in view, unless the reader has scrolled up to read.
    Effect::new(move |_| {
        messages.track();
        if follow.get_value()
            && let Some(list) = list.get_untracked()
        {
            request_animation_frame(move || list.set_scroll_top(list.scroll_height()));
        }
    });
    let on_scroll = move |_| {
        if let Some(list) = list.get_untracked() {
            let from_bottom = list.scroll_height() - list.scroll_top() - list.client_height();
            follow.set_value(from_bottom < FOLLOW_WITHIN_PX);
        }
    };
    let error = move || {
        let failed = |v: Option<Result<(), crate::error::AppError>>| v.and_then(Result::err);
        failed(post.value().get())
            .or_else(|| failed(delete.value().get()))
            .or_else(|| failed(ban.value().get()))
            .or_else(|| failed(end.value().get()))
    };
    let operator_tools = operator.then(|| {
        let channel = channel.clone();
        let stop_channel = channel.clone();
        view! {
            <div class="operator-tools" data-testid="operator-tools">
                <button
                    class="link"
                    on:click=move |_| {
                        end.dispatch(StopBroadcast { channel: stop_channel.clone() });
                    }
                >
                    "End broadcast (operator)"
                </button>
                <ChatBans channel refresh=Signal::derive(move || ban.version().get())/>
            </div>
        }
    });

    let row_channel = channel.clone();
    let row = move |message: ChatEvent| {
        let tools = moderator.then(|| {
            let (channel, id) = (row_channel.clone(), message.id);
            let (ban_channel, author) = (row_channel.clone(), message.author.clone());
            view! {
                <span class="chat-tools">
                    <button
                        class="link"
                        title="Delete for everyone"
                        on:click=move |_| {
                            delete.dispatch(DeleteChat { channel: channel.clone(), id });
                        }
                    >
                        "Delete"
                    </button>
                    <button
                        class="link"
                        title="Ban from this chat"
                        on:click=move |_| {
                            ban.dispatch(BanFromChat {
                                channel: ban_channel.clone(),
                                username: author.clone(),
                            });
                        }
                    >
                        "Ban"
                    </button>
                </span>
            }
        });
        view! {
            <li class="chat-message" data-id=message.id>
                {message.bot.then(|| view! { <span class="chat-badge" title="Posted by a program with this user's API token">"bot"</span> " " })}
                <span class="chat-author">{message.author}</span>
                " "
                <span class="chat-text">{message.text}</span>
                {tools}
            </li>
        }
    };

    view! {
        <ol class="chat-messages" node_ref=list on:scroll=on_scroll data-testid="chat-messages">
            <For each=move || messages.get() key=|message| message.id children=row/>
        </ol>
        {operator_tools}
        {move || error().map(|err| view! { <p class="form-error" role="alert" data-testid="chat-error">{err.to_string()}</p> })}
        {match me {
            Some(_) => {
                view! {
                    <ActionForm action=post attr:class="chat-input">
                        <input type="hidden" name="channel" value=channel.clone()/>
                        <input
                            name="text"
                            node_ref=input
                            placeholder="Say something"
                            maxlength=MESSAGE_MAX.to_string()
                            autocomplete="off"
                            aria-label="Chat message"
                        />
                        <button type="submit" disabled=move || post.pending().get()>"Send"</button>
                    </ActionForm>
                }
                    .into_any()
            }
            None => {
                view! {
                    <p class="chat-signed-out">
                        <a href=format!("/signin?next=/watch/{channel}")>"Sign in"</a>
                        " to chat."
                    </p>
                }
                    .into_any()
            }
        }}
    }
}
