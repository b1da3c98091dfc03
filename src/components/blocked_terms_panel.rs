//! A channel's blocked terms, one per line, for those who moderate it: in the owner's studio, and
//! beside the chat for an appointed moderator or an operator. A viewer's message that holds one
//! is not sent, and they are told so; the list itself is never shown to viewers.

use leptos::prelude::*;

use crate::chat::api::{SetBlockedTerms, blocked_terms};
use crate::chat::rules::BLOCKED_TERMS_MAX;
use crate::components::unfolding::Unfolding;

#[component]
pub fn BlockedTermsPanel(channel: String) -> impl IntoView {
    view! {
        <Unfolding class="studio-account" testid="blocked-terms-panel" summary="Blocked terms">
            <BlockedTerms channel=channel.clone()/>
        </Unfolding>
    }
}

/// The terms as typed, and the form that replaces them (fetched when the panel opens).
#[component]
fn BlockedTerms(channel: String) -> impl IntoView {
    let save = ServerAction::<SetBlockedTerms>::new();
    let channel = StoredValue::new(channel);
    let terms = Resource::new(move || channel.get_value(), blocked_terms);
    view! {
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let Ok(typed) = terms.await else { return ().into_any() };
                    view! {
                        <ActionForm action=save attr:class="token-form">
                            <input type="hidden" name="channel" value=channel.get_value()/>
                            <textarea name="terms" rows="5" data-testid="blocked-terms"
                                aria-label="Blocked terms, one per line"
                                placeholder="one word or phrase per line; scam* blocks scammer too">{typed}</textarea>
                            <button type="submit" disabled=move || save.pending().get()>"Save terms"</button>
                        </ActionForm>
                    }
                    .into_any()
                })}
            </Suspense>
            <p class="studio-hint">
                {format!("At most {BLOCKED_TERMS_MAX}, whatever their case. A viewer's message holding one is not sent; moderators are not held to them.")}
                {move || save.value().get().map(|done| match done {
                    Ok(kept) => view! { " " <span data-testid="blocked-terms-saved">{format!("Saved ({kept})")}</span> }.into_any(),
                    Err(err) => view! { " " <span class="form-error" role="alert">{err.to_string()}</span> }.into_any(),
                })}
            </p>
    }
}
