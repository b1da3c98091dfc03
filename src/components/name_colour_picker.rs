//! "Your name in chat": the colour of the signed-in user's name in every chat, from swatches
//! or any colour that reads well on both themes (the server checks; the picker says why a
//! colour is refused). Messages already sent keep the colour they had.

use leptos::prelude::*;

use crate::accounts::api::{SetNameColour, my_name_colour};
use crate::accounts::name_colour::PRESETS;

#[component]
pub fn NameColourPicker(username: String) -> impl IntoView {
    let save = ServerAction::<SetNameColour>::new();
    let current = Resource::new(|| (), |_| my_name_colour());
    view! {
        <details class="studio-account" data-testid="name-colour">
            <summary>"Your name in chat"</summary>
            <Suspense fallback=|| ()>
                {
                    let username = username.clone();
                    move || {
                        let username = username.clone();
                        Suspend::new(async move {
                            let picked = RwSignal::new(current.await.ok().flatten().unwrap_or_default());
                            let pick = move |colour: String| {
                                picked.set(colour.clone());
                                save.dispatch(SetNameColour { colour });
                            };
                            view! {
                                <p class="chat-message">
                                    <span class="chat-author" data-testid="name-colour-preview"
                                        style=move || (!picked.get().is_empty()).then(|| format!("color: {}", picked.get()))>
                                        {username}
                                    </span>
                                    " hello!"
                                </p>
                                <div class="swatches">
                                    {PRESETS.map(|colour| view! {
                                        <button type="button" class="swatch" title=colour data-colour=colour
                                            style=format!("background: {colour}")
                                            on:click=move |_| pick(colour.to_string())></button>
                                    }).collect_view()}
                                    <input type="color" aria-label="Any colour" data-testid="name-colour-any"
                                        prop:value=move || { let c = picked.get(); if c.is_empty() { "#9ecbff".to_string() } else { c } }
                                        on:change=move |ev| pick(event_target_value(&ev))/>
                                    <button type="button" class="link" on:click=move |_| pick(String::new())>"Default"</button>
                                </div>
                            }
                            .into_any()
                        })
                    }
                }
            </Suspense>
            {move || save.value().get().map(|done| match done {
                Ok(()) => view! { <p class="studio-hint" data-testid="name-colour-saved">"Saved: your next messages show it."</p> }.into_any(),
                Err(err) => view! { <p class="form-error" role="alert" data-testid="name-colour-error">{err.to_string()}</p> }.into_any(),
            })}
        </details>
    }
}
