//! The studio's emotes: the channel's emotes (each with "Delete"), and adding one from a
//! picture file (PNG, GIF or WebP; the server makes its own small PNG of it) under a name the
//! chat writes as `:name:`.

use leptos::html::Input;
use leptos::prelude::*;

use crate::components::file_upload::post_file;
use crate::emotes::api::{DeleteEmote, emote_url, emotes_of};
use crate::emotes::rules::{PER_CHANNEL_MAX, UPLOAD_MAX_BYTES, check_name};

#[component]
pub fn EmotesPanel(channel: String) -> impl IntoView {
    let delete = ServerAction::<DeleteEmote>::new();
    let added = RwSignal::new(0usize);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let channel = StoredValue::new(channel);
    let emotes = Resource::new(
        move || (delete.version().get(), added.get()),
        move |_| emotes_of(channel.get_value()),
    );
    let name = NodeRef::<Input>::new();
    let file = NodeRef::<Input>::new();
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(name_input), Some(file_input)) = (name.get_untracked(), file.get_untracked())
        else {
            return;
        };
        let typed = name_input.value().trim().trim_matches(':').to_string();
        if let Err(why) = check_name(&typed) {
            error.set(Some(why));
            return;
        }
        busy.set(true);
        error.set(None);
        post_file(
            emote_url(&channel.get_value(), &typed),
            file_input,
            move |done| {
                busy.set(false);
                match done {
                    Ok(()) => {
                        added.update(|n| *n += 1);
                        name_input.set_value("");
                    }
                    Err(why) => error.set(Some(why)),
                }
            },
        );
    };
    view! {
        <details class="studio-account" data-testid="emotes-panel">
            <summary>"Emotes"</summary>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match emotes.await {
                        Ok(names) if names.is_empty() => {
                            view! { <p class="studio-hint">"No emotes yet."</p> }.into_any()
                        }
                        Ok(names) => view! {
                            <ul class="emote-list" data-testid="emotes">
                                {names.into_iter().map(|emote| {
                                    let gone = emote.clone();
                                    view! {
                                        <li data-emote=emote.clone()>
                                            <img class="emote" src=emote_url(&channel.get_value(), &emote) alt=format!(":{emote}:")/>
                                            <code>{format!(":{emote}:")}</code>
                                            <button class="link" on:click=move |_| {
                                                delete.dispatch(DeleteEmote { channel: channel.get_value(), name: gone.clone() });
                                            }>"Delete"</button>
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
            <form class="token-form" on:submit=add>
                <input node_ref=name placeholder="name, used as :name:" required=true autocomplete="off"
                    aria-label="Emote name" data-testid="emote-name"/>
                <input node_ref=file type="file" accept="image/png,image/gif,image/webp" required=true
                    aria-label="Emote picture" data-testid="emote-file"/>
                <button type="submit" disabled=move || busy.get()>"Add emote"</button>
            </form>
            <p class="studio-hint">
                {format!("PNG, GIF or WebP up to {} KiB; shown at most 112 px a side (a GIF's first frame). At most {PER_CHANNEL_MAX} a channel.", UPLOAD_MAX_BYTES >> 10)}
            </p>
            {move || error.get().map(|why| view! { <p class="form-error" role="alert" data-testid="emotes-error">{why}</p> })}
            {move || delete.value().get().and_then(Result::err).map(|err| view! { <p class="form-error" role="alert">{err.to_string()}</p> })}
        </details>
    }
}
