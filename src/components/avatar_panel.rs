//! The studio's "Channel picture": the avatar shown for the channel while it is off air with
//! no recorded broadcast to show; set from a picture file (the server makes its own PNG of it)
//! or removed.

use leptos::html::Input;
use leptos::prelude::*;

use crate::avatars::api::{RemoveAvatar, SIDE_PX, UPLOAD_MAX_BYTES, avatar_url, has_avatar};
use crate::components::file_upload::post_file;

#[component]
pub fn AvatarPanel(channel: String) -> impl IntoView {
    let remove = ServerAction::<RemoveAvatar>::new();
    let set = RwSignal::new(0usize);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let channel = StoredValue::new(channel);
    let current = Resource::new(
        move || (remove.version().get(), set.get()),
        move |_| has_avatar(channel.get_value()),
    );
    let file = NodeRef::<Input>::new();
    let upload = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(file_input) = file.get_untracked() else {
            return;
        };
        busy.set(true);
        error.set(None);
        post_file(avatar_url(&channel.get_value()), file_input, move |done| {
            busy.set(false);
            match done {
                Ok(()) => set.update(|n| *n += 1),
                Err(why) => error.set(Some(why)),
            }
        });
    };
    view! {
        <details class="studio-account" data-testid="avatar-panel">
            <summary>"Channel picture"</summary>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(true) => view! {
                            <p class="avatar-now">
                                // The version keeps the browser from showing the one replaced.
                                <img class="avatar" data-testid="avatar" alt="Your channel's picture"
                                    src=format!("{}?v={}", avatar_url(&channel.get_value()), set.get_untracked())/>
                                " "
                                <button class="link" on:click=move |_| {
                                    remove.dispatch(RemoveAvatar { channel: channel.get_value() });
                                }>"Remove"</button>
                            </p>
                        }
                        .into_any(),
                        Ok(false) => view! { <p class="studio-hint">"No picture: the channel shows its last broadcast's while off air."</p> }.into_any(),
                        Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <form class="token-form" on:submit=upload>
                <input node_ref=file type="file" accept="image/png,image/gif,image/webp" required=true
                    aria-label="Channel picture" data-testid="avatar-file"/>
                <button type="submit" disabled=move || busy.get()>"Set picture"</button>
            </form>
            <p class="studio-hint">
                {format!("PNG, GIF or WebP up to {} KiB, shown at most {SIDE_PX} px a side; shown while the channel is off air and has no recorded broadcast to show.", UPLOAD_MAX_BYTES >> 10)}
            </p>
            {move || error.get().map(|why| view! { <p class="form-error" role="alert" data-testid="avatar-error">{why}</p> })}
        </details>
    }
}
