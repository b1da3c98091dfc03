//! The studio's chat rules: slow mode (one message per person every N seconds) and
//! followers-only (followed for N minutes or more). Neither holds for the owner or operators.

use leptos::prelude::*;

use crate::chat::api::{ChatRules, SetChatRules, chat_rules_of};
use crate::chat::rules::{FOLLOWERS_CHOICES, SLOW_CHOICES};
use crate::components::elapsed::countdown;

#[component]
pub fn ChatRulesPanel(channel: String) -> impl IntoView {
    let set = ServerAction::<SetChatRules>::new();
    let channel = StoredValue::new(channel);
    let current = Resource::new(move || channel.get_value(), chat_rules_of);
    view! {
        <details class="studio-account" data-testid="chat-rules-panel">
            <summary>"Chat rules"</summary>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let Ok(now) = current.await else { return ().into_any() };
                    let rules = RwSignal::new(now);
                    let save = move |changed: ChatRules| {
                        rules.set(changed);
                        set.dispatch(SetChatRules { channel: channel.get_value(), rules: changed });
                    };
                    view! {
                        <label>
                            "Slow mode "
                            <select data-testid="slow-mode" on:change=move |ev| {
                                let slow_secs = event_target_value(&ev).parse().unwrap_or(0);
                                save(ChatRules { slow_secs, ..rules.get_untracked() });
                            }>
                                {SLOW_CHOICES.map(|secs| view! {
                                    <option value=secs.to_string() selected=now.slow_secs == secs>
                                        {if secs == 0 { "Off".to_string() } else { format!("one message every {secs} s") }}
                                    </option>
                                }).collect_view()}
                            </select>
                        </label>
                        <label>
                            " Followers only "
                            <select data-testid="followers-only" on:change=move |ev| {
                                let followers_only_min = event_target_value(&ev).parse().ok();
                                save(ChatRules { followers_only_min, ..rules.get_untracked() });
                            }>
                                {FOLLOWERS_CHOICES.map(|minutes| view! {
                                    <option
                                        value=minutes.map(|m| m.to_string()).unwrap_or_default()
                                        selected=now.followers_only_min == minutes
                                    >
                                        {match minutes {
                                            None => "Off".to_string(),
                                            Some(0) => "any follower".to_string(),
                                            Some(m) => format!("followed for {}", countdown(m * 60_000)),
                                        }}
                                    </option>
                                }).collect_view()}
                            </select>
                        </label>
                        <p class="studio-hint">
                            "You and the site's operators are held to neither."
                            // "Saved" only once every change so far is: not while a newer one is
                            // on its way.
                            {move || if set.pending().get() {
                                Some(view! { " " <span data-testid="chat-rules-saving">"Saving…"</span> }.into_any())
                            } else {
                                set.value().get().map(|done| match done {
                                    Ok(()) => view! { " " <span data-testid="chat-rules-saved">"Saved"</span> }.into_any(),
                                    Err(err) => view! { " " <span class="form-error" role="alert">{err.to_string()}</span> }.into_any(),
                                })
                            }}
                        </p>
                    }
                    .into_any()
                })}
            </Suspense>
        </details>
    }
}
