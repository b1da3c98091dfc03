//! The studio's API tokens: make one for a bot or a tool (a name, what it may do), shown once
//! to copy; the list with each one's scopes and last use, and Revoke.

use leptos::html::Input;
use leptos::prelude::*;

use crate::components::moment::date;
use crate::tokens::Scope;
use crate::tokens::api::{MakeToken, RevokeToken, TOKEN_NAME_MAX, TokenSummary, my_tokens};

#[component]
pub fn ApiTokens() -> impl IntoView {
    let make = ServerAction::<MakeToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (make.version().get(), revoke.version().get()),
        |_| my_tokens(),
    );
    let name = NodeRef::<Input>::new();
    let picked = RwSignal::new(vec![Scope::Read, Scope::Chat]);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = name
            .get_untracked()
            .map(|input| input.value())
            .unwrap_or_default();
        make.dispatch(MakeToken {
            name,
            scopes: picked.get_untracked(),
        });
    };
    let made = move || make.value().get().and_then(Result::ok);
    let error = move || {
        make.value()
            .get()
            .and_then(Result::err)
            .or_else(|| revoke.value().get().and_then(Result::err))
    };
    view! {
        <details class="studio-account" data-testid="api-tokens">
            <summary>"API tokens"</summary>
            <p class="studio-hint">
                "For bots and tools: a token acts as you through the API (see docs/api.md), only in what you allow it."
            </p>
            <form class="token-form" on:submit=submit>
                <label>
                    "Name"
                    <input node_ref=name data-testid="token-name" maxlength=TOKEN_NAME_MAX.to_string() placeholder="chat bot"/>
                </label>
                {Scope::ALL
                    .into_iter()
                    .map(|scope| view! {
                        <label class="studio-check">
                            <input
                                type="checkbox"
                                data-testid=format!("scope-{}", scope.name())
                                prop:checked=move || picked.with(|p| p.contains(&scope))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    picked.update(|p| {
                                        p.retain(|s| *s != scope);
                                        if on {
                                            p.push(scope);
                                        }
                                    });
                                }
                            />
                            {scope.describe()}
                        </label>
                    })
                    .collect_view()}
                <button type="submit" data-testid="make-token" disabled=move || make.pending().get()>"Make token"</button>
            </form>
            {move || made().map(|made| view! {
                <div class="token-made">
                    <p>"Copy it now: it is not shown again."</p>
                    <input readonly=true data-testid="new-token" prop:value=made.token/>
                </div>
            })}
            {move || error().map(|err| view! { <p class="form-error" role="alert" data-testid="token-error">{err.to_string()}</p> })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = tokens.await.unwrap_or_default();
                    if list.is_empty() {
                        return view! { <p class="studio-hint">"No tokens."</p> }.into_any();
                    }
                    view! {
                        <ul class="token-list" data-testid="token-list">
                            {list.into_iter().map(|token| view! { <TokenRow token revoke/> }).collect_view()}
                        </ul>
                    }
                        .into_any()
                })}
            </Transition>
        </details>
    }
}

#[component]
fn TokenRow(token: TokenSummary, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let scopes = token
        .scopes
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(", ");
    let used = token.last_used_ms.map_or("never used".to_string(), |ms| {
        format!("last used {}", date(ms))
    });
    let id = token.id;
    view! {
        <li class="token" data-testid="token">
            <strong>{token.name}</strong>
            " "
            <code>{token.hint}</code>
            <span class="studio-hint">{format!(" {scopes} · made {} · {used}", date(token.created_ms))}</span>
            " "
            <button class="link" data-testid="revoke-token" on:click=move |_| { revoke.dispatch(RevokeToken { id }); }>
                "Revoke"
            </button>
        </li>
    }
}
