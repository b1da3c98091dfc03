//! The channel page's Follow button and follower count. Signed out, it asks to sign in and
//! comes back; on one's own channel it shows the count alone.

use leptos::prelude::*;

use crate::follows::api::{Follow, follow_state};

#[component]
pub fn FollowButton(channel: String) -> impl IntoView {
    let channel = StoredValue::new(channel);
    let toggle = ServerAction::<Follow>::new();
    // Asked again after each click, so the count and the button say what the server did.
    let state = Resource::new(
        move || (channel.get_value(), toggle.version().get()),
        |(channel, _)| follow_state(channel),
    );
    let followers = |n: u64| match n {
        1 => "1 follower".to_string(),
        n => format!("{n} followers"),
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(now) = state.await else { return ().into_any() };
                let button = if now.can_follow {
                    let on = !now.following;
                    view! {
                        <button
                            type="button"
                            class="follow"
                            class:following=now.following
                            data-testid="follow"
                            aria-pressed=if now.following { "true" } else { "false" }
                            disabled=move || toggle.pending().get()
                            on:click=move |_| {
                                toggle.dispatch(Follow { channel: channel.get_value(), on });
                            }
                        >
                            {if now.following { "Following" } else { "Follow" }}
                        </button>
                    }
                    .into_any()
                } else if now.signed_in {
                    // One's own channel.
                    ().into_any()
                } else {
                    let next = format!("/signin?next=/watch/{}", channel.get_value());
                    view! { <a class="follow" href=next data-testid="follow-sign-in">"Follow"</a> }.into_any()
                };
                view! {
                    <span class="follow-box">
                        {button}
                        <span class="followers" data-testid="followers">{followers(now.followers)}</span>
                    </span>
                }
                .into_any()
            })}
        </Suspense>
        {move || toggle.value().get().and_then(Result::err).map(|err| view! {
            <p class="form-error" role="alert">{err.to_string()}</p>
        })}
    }
}
