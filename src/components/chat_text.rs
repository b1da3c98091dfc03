//! A chat line's words, as every chat draws them: text as text (never HTML), and each
//! `:name:` of one of the channel's emotes as its picture (its name as the picture's text, so
//! copying a line or a screen reader gives `:name:`).

use std::sync::Arc;

use leptos::prelude::*;

use crate::emotes::api::emote_url;
use crate::emotes::rules::{Piece, pieces};

/// The channel's emotes' names, as a chat knows them.
pub type EmoteNames = Arc<Vec<String>>;

#[component]
pub fn ChatText(channel: String, text: String, emotes: EmoteNames) -> impl IntoView {
    let shown = pieces(&text, |name| emotes.iter().any(|known| known == name))
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.to_string().into_any(),
            Piece::Emote(name) => view! {
                <img class="emote" src=emote_url(&channel, name) alt=format!(":{name}:")
                    title=format!(":{name}:") data-emote=name.to_string()/>
            }
            .into_any(),
        })
        .collect_view();
    view! { <span class="chat-text">{shown}</span> }
}
