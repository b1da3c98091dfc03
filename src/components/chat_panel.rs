//! The chat beside the player: messages (as text, never HTML) kept scrolled to the newest
//! unless the reader scrolled up; the channel's chat rules (slow mode, followers-only); an
//! input for signed-in users that shows why a message was refused, with the channel's emotes
//! to pick; delete, time-out and ban for those who moderate the channel (its owner, its
//! appointed moderators and the operators), with the ban list and blocked terms beside the
//! chat for those who are not its owner, and for operators "End broadcast". Names show in the
//! colour their authors picked, emotes as pictures. New messages and deletions arrive on the
//! player's stream, into `messages`.

use leptos::html::{Input, Ol};
use leptos::prelude::*;

use crate::accounts::api::Me;
use crate::broadcasts::api::StopBroadcast;
use crate::chat::api::{
    BanFromChat, ChatRules, DeleteChat, PostChat, TimeoutInChat, chat_rules_of, my_chat_role,
};
use crate::chat::rules::{MESSAGE_MAX, TIMEOUT_CHOICES, mentions};
use crate::components::account_menu::Auth;
use crate::components::blocked_terms_panel::BlockedTermsPanel;
use crate::components::chat_bans::ChatBans;
use crate::components::chat_byline::ChatByline;
use crate::components::chat_text::{ChatText, EmoteNames};
use crate::emotes::api::{emote_url, emotes_of};
use crate::live::wire::{ChatEvent, ChatQuote, ChatRole};

/// Closer to the bottom than this (px), the list follows new messages.
const FOLLOW_WITHIN_PX: i32 = 48;

#[component]
pub fn ChatPanel(channel: String, messages: RwSignal<Vec<ChatEvent>>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let rules = Resource::new(
        {
            let channel = channel.clone();
            move || channel.clone()
        },
        chat_rules_of,
    );
    let emotes = Resource::new(
        {
            let channel = channel.clone();
            move || channel.clone()
        },
        emotes_of,
    );
    // What the reader is in this chat, asked again when they sign in or out.
    let role = Resource::new(
        {
            let channel = channel.clone();
            move || {
                (
                    channel.clone(),
                    auth.sign_in.version().get(),
                    auth.sign_out.version().get(),
                )
            }
        },
        |(channel, _, _)| my_chat_role(channel),
    );
    view! {
        <aside class="chat" aria-label="Chat">
            <h2>"Chat"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    rules.await.ok().and_then(|rules| say_rules(&rules)).map(|said| view! {
                        <p class="chat-rules" data-testid="chat-rules">{said}</p>
                    })
                })}
            </Suspense>
            <Transition fallback=|| ()>
                {
                    let channel = channel.clone();
                    move || {
                        let channel = channel.clone();
                        Suspend::new(async move {
                            let me = auth.me.await.ok().flatten();
                            let role = match me {
                                Some(_) => role.await.ok().flatten(),
                                None => None,
                            };
                            let emotes = std::sync::Arc::new(emotes.await.unwrap_or_default());
                            view! { <ChatBody channel me role emotes messages/> }
                        })
                    }
                }
            </Transition>
        </aside>
    }
}

#[component]
fn ChatBody(
    channel: String,
    me: Option<Me>,
    role: Option<ChatRole>,
    emotes: EmoteNames,
    messages: RwSignal<Vec<ChatEvent>>,
) -> impl IntoView {
    let operator = role == Some(ChatRole::Operator);
    let moderator = role.is_some();
    let post = ServerAction::<PostChat>::new();
    let delete = ServerAction::<DeleteChat>::new();
    let ban = ServerAction::<BanFromChat>::new();
    let timeout = ServerAction::<TimeoutInChat>::new();
    let end = ServerAction::<StopBroadcast>::new();
    let input = NodeRef::<Input>::new();
    let list = NodeRef::<Ol>::new();
    // The message the next post answers, chosen with its Reply button.
    let replying = RwSignal::new(None::<ChatQuote>);
    let follow = StoredValue::new(true);

    // A sent message empties the input (and ends the reply); it comes back through the stream
    // like everyone's.
    Effect::new(move |_| {
        if matches!(post.value().get(), Some(Ok(()))) {
            replying.set(None);
            if let Some(input) = input.get_untracked() {
                input.set_value("");
            }
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
            .or_else(|| failed(timeout.value().get()))
            .or_else(|| failed(end.value().get()))
    };
    // The owner keeps these in the studio; others who moderate find them here.
    let moderator_tools = (moderator && role != Some(ChatRole::Owner)).then(|| {
        let channel = channel.clone();
        let stop_channel = channel.clone();
        view! {
            <div class="operator-tools" data-testid="operator-tools">
                {operator.then(|| view! {
                    <button
                        class="link"
                        on:click=move |_| {
                            end.dispatch(StopBroadcast { channel: stop_channel.clone() });
                        }
                    >
                        "End broadcast (operator)"
                    </button>
                })}
                <ChatBans channel=channel.clone() refresh=Signal::derive(move || ban.version().get() + timeout.version().get())/>
                <BlockedTermsPanel channel/>
            </div>
        }
    });

    let row_channel = channel.clone();
    let picker_emotes = emotes.clone();
    let me_name = me
        .as_ref()
        .map(|me| me.username.clone())
        .unwrap_or_default();
    let signed_in = me.is_some();
    let row = move |message: ChatEvent| {
        let mentioned = mentions(&message.text, &me_name);
        let quoted = ChatQuote::of(message.id, message.author.clone(), Some(&message.text));
        let reply_button = signed_in.then(|| {
            view! {
                <button class="link chat-reply" title="Reply" data-testid="chat-reply"
                    on:click=move |_| {
                        replying.set(Some(quoted.clone()));
                        if let Some(input) = input.get_untracked() {
                            let _ = input.focus();
                        }
                    }
                >"Reply"</button>
            }
        });
        let quote = message
            .reply
            .clone()
            .map(|quote| view! { <ChatQuoteLine quote/> });
        // An appointed moderator acts on viewers' messages only.
        let may_act = moderator && (role != Some(ChatRole::Moderator) || message.role.is_none());
        let tools = may_act.then(|| {
            let (channel, id) = (row_channel.clone(), message.id);
            let (ban_channel, author) = (row_channel.clone(), message.author.clone());
            let (timeout_channel, timed_out) = (row_channel.clone(), message.author.clone());
            let time_out = move |ev: leptos::ev::Event| {
                let picked = event_target_value(&ev);
                let secs = match picked.as_str() {
                    "custom" => ask_seconds(),
                    picked => picked.parse::<u64>().ok(),
                };
                reset_choice(&ev);
                if let Some(secs) = secs {
                    timeout.dispatch(TimeoutInChat {
                        channel: timeout_channel.clone(),
                        username: timed_out.clone(),
                        secs,
                    });
                }
            };
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
                    <select class="chat-timeout" title="Time out of this chat" data-testid="chat-timeout" on:change=time_out>
                        <option value="" selected=true>"Time out…"</option>
                        {TIMEOUT_CHOICES.map(|secs| view! {
                            <option value=secs.to_string()>{crate::components::elapsed::countdown(secs * 1000)}</option>
                        }).collect_view()}
                        <option value="custom">"Other…"</option>
                    </select>
                </span>
            }
        });
        view! {
            <li
                class="chat-message"
                class:mentioned=mentioned
                data-id=message.id
                title=crate::components::moment::date(message.sent_at)
            >
                {quote}
                <ChatByline message=message.clone()/>
                " "
                <ChatText channel=row_channel.clone() text=message.text emotes=emotes.clone()/>
                {reply_button}
                {tools}
            </li>
        }
    };

    view! {
        <ol class="chat-messages" node_ref=list on:scroll=on_scroll data-testid="chat-messages">
            // A reply whose quote was deleted is drawn again.
            <For
                each=move || messages.get()
                key=|message| (message.id, message.reply.as_ref().is_some_and(|q| q.text.is_none()))
                children=row
            />
        </ol>
        {moderator_tools}
        {move || error().map(|err| view! { <p class="form-error" role="alert" data-testid="chat-error">{err.to_string()}</p> })}
        {match me {
            Some(_) => {
                view! {
                    {move || replying.get().map(|quote| view! {
                        <p class="chat-replying" data-testid="chat-replying">
                            <ChatQuoteLine quote/>
                            " "
                            <button type="button" class="link" title="Cancel the reply" on:click=move |_| replying.set(None)>"✕"</button>
                        </p>
                    })}
                    <ActionForm action=post attr:class="chat-input">
                        <input type="hidden" name="channel" value=channel.clone()/>
                        {move || replying.get().map(|quote| view! {
                            <input type="hidden" name="reply_to" value=quote.id.to_string()/>
                        })}
                        <input
                            name="text"
                            node_ref=input
                            placeholder="Say something"
                            maxlength=MESSAGE_MAX.to_string()
                            autocomplete="off"
                            aria-label="Chat message"
                        />
                        <EmotePicker channel=channel.clone() emotes=picker_emotes.clone() input/>
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

/// The rules a chat has, as its readers are told them; None when it has none.
fn say_rules(rules: &ChatRules) -> Option<String> {
    let mut said = Vec::new();
    if rules.slow_secs > 0 {
        said.push(format!(
            "Slow mode: one message every {} s",
            rules.slow_secs
        ));
    }
    match rules.followers_only_min {
        Some(0) => said.push("Followers only".to_string()),
        Some(minutes) => said.push(format!("Followers only (followed {minutes} min or more)")),
        None => {}
    }
    (!said.is_empty()).then(|| said.join(" · "))
}

/// "Other…": how many seconds, asked of the moderator.
#[cfg(feature = "hydrate")]
fn ask_seconds() -> Option<u64> {
    window()
        .prompt_with_message("Time out for how many seconds?")
        .ok()
        .flatten()
        .and_then(|typed| typed.trim().parse().ok())
}

#[cfg(not(feature = "hydrate"))]
fn ask_seconds() -> Option<u64> {
    None
}

/// Puts the time-out menu back on its label, so the same choice can be made again.
#[cfg(feature = "hydrate")]
fn reset_choice(ev: &leptos::ev::Event) {
    if let Some(menu) = ev.target() {
        let _ = js_sys::Reflect::set(&menu, &"value".into(), &"".into());
    }
}

#[cfg(not(feature = "hydrate"))]
fn reset_choice(_ev: &leptos::ev::Event) {}

/// The message a reply answers, above it: its author and its start, or that it was deleted.
#[component]
fn ChatQuoteLine(quote: ChatQuote) -> impl IntoView {
    let said = match quote.text {
        Some(text) => format!("@{}: {text}", quote.author),
        None => "a deleted message".to_string(),
    };
    view! { <span class="chat-quote" data-testid="chat-quote">"↪ "{said}</span> }
}

/// The channel's emotes beside the input: a click writes `:name:` where the reader types.
#[component]
fn EmotePicker(channel: String, emotes: EmoteNames, input: NodeRef<Input>) -> impl IntoView {
    (!emotes.is_empty()).then(|| {
        let choices = emotes
            .iter()
            .map(|name| {
                let written = format!(":{name}: ");
                view! {
                    <button type="button" class="emote-choice" title=format!(":{name}:") data-emote=name.clone()
                        on:click=move |_| {
                            if let Some(input) = input.get_untracked() {
                                let typed = input.value();
                                let gap = if typed.is_empty() || typed.ends_with(' ') { "" } else { " " };
                                input.set_value(&format!("{typed}{gap}{written}"));
                                let _ = input.focus();
                            }
                        }
                    >
                        <img class="emote" src=emote_url(&channel, name) alt=format!(":{name}:")/>
                    </button>
                }
            })
            .collect_view();
        view! {
            <details class="emote-picker" data-testid="emote-picker">
                <summary title="Emotes" aria-label="Emotes">"☺"</summary>
                <div class="emote-choices">{choices}</div>
            </details>
        }
    })
}
