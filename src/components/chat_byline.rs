//! Who wrote a chat line, as every chat draws it (live, replay, the overlay): the author's
//! role badge (owner, operator, moderator), "bot" when a program posted it with their API
//! token, and their name in the colour they picked.

use leptos::prelude::*;

use crate::accounts::name_colour;
use crate::live::wire::ChatEvent;

#[component]
pub fn ChatByline(message: ChatEvent) -> impl IntoView {
    let colour = name_colour::shown(message.colour.as_deref());
    view! {
        {message.role.map(|role| view! {
            <span class=format!("chat-badge role-{}", role.word()) data-testid="chat-role">{role.word()}</span>
            " "
        })}
        {message.bot.then(|| view! {
            <span class="chat-badge" title="Posted by a program with this user's API token">"bot"</span>
            " "
        })}
        <span class="chat-author" style=colour.map(|colour| format!("color: {colour}"))>{message.author}</span>
    }
}
