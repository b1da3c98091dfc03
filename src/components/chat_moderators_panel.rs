//! The studio's chat moderators: who the owner appointed to keep the chat (each with
//! "Dismiss"), and a form to appoint one by name. A moderator deletes viewers' messages, times
//! out and bans viewers, and keeps the blocked terms; they never act on the owner, an operator
//! or another moderator.

use leptos::prelude::*;

use crate::chat::api::{AppointModerator, DismissModerator, chat_moderators};

#[component]
pub fn ChatModeratorsPanel(channel: String) -> impl IntoView {
    let appoint = ServerAction::<AppointModerator>::new();
    let dismiss = ServerAction::<DismissModerator>::new();
    let channel = StoredValue::new(channel);
    let moderators = Resource::new(
        move || (appoint.version().get(), dismiss.version().get()),
        move |_| chat_moderators(channel.get_value()),
    );
    let error = move || {
        let failed = |v: Option<Result<(), crate::error::AppError>>| v.and_then(Result::err);
        failed(appoint.value().get()).or_else(|| failed(dismiss.value().get()))
    };
    view! {
        <details class="studio-account" data-testid="moderators-panel">
            <summary>"Chat moderators"</summary>
            <p class="studio-hint">
                "Moderators delete messages, time out and ban viewers, and keep the blocked terms. They cannot act on you, an operator or each other."
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match moderators.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="studio-hint">"No moderators yet."</p> }.into_any()
                        }
                        Ok(list) => view! {
                            <ul class="token-list" data-testid="moderators">
                                {list.into_iter().map(|moderator| {
                                    let name = moderator.username.clone();
                                    let shown = moderator.username.clone();
                                    view! {
                                        <li data-moderator=moderator.username>
                                            <span class="chat-badge role-moderator">"mod"</span>
                                            " " {shown} " "
                                            <button class="link" on:click=move |_| {
                                                dismiss.dispatch(DismissModerator { channel: channel.get_value(), username: name.clone() });
                                            }>"Dismiss"</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }
                        .into_any(),
                        Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=appoint attr:class="token-form">
                <input type="hidden" name="channel" value=channel.get_value()/>
                <input name="username" placeholder="Username" required=true autocomplete="off"
                    aria-label="Appoint a moderator" data-testid="appoint-name"/>
                <button type="submit" disabled=move || appoint.pending().get()>"Appoint moderator"</button>
            </ActionForm>
            {move || error().map(|err| view! { <p class="form-error" role="alert" data-testid="moderators-error">{err.to_string()}</p> })}
        </details>
    }
}
