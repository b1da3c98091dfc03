//! The studio's webhooks: add an address told of the channel's events (its secret shown once,
//! to check the signatures with), the list with each one's latest deliveries, "Send test
//! event" and Remove. An operator's studio has a second panel for the whole server's hooks.

use leptos::html::Input;
use leptos::prelude::*;

use crate::components::moment::date;
use crate::webhooks::HookEvent;
use crate::webhooks::api::{
    AddWebhook, HookSummary, RemoveWebhook, TestWebhook, webhook_deliveries, webhooks,
};

/// `channel`: its hooks (its owner's); None: the whole server's (an operator's).
#[component]
pub fn WebhooksPanel(channel: Option<String>) -> impl IntoView {
    let add = ServerAction::<AddWebhook>::new();
    let remove = ServerAction::<RemoveWebhook>::new();
    let test = ServerAction::<TestWebhook>::new();
    let listed_for = channel.clone();
    let hooks = Resource::new(
        move || (add.version().get(), remove.version().get()),
        move |_| webhooks(listed_for.clone()),
    );
    let url = NodeRef::<Input>::new();
    let picked = RwSignal::new(vec![HookEvent::WentLive, HookEvent::Ended]);
    let target = StoredValue::new(channel.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let url = url
            .get_untracked()
            .map(|input| input.value())
            .unwrap_or_default();
        add.dispatch(AddWebhook {
            channel: target.get_value(),
            url,
            events: picked.get_untracked(),
        });
    };
    let secret = move || {
        add.value()
            .get()
            .and_then(Result::ok)
            .map(|added| added.secret)
    };
    let error = move || {
        add.value()
            .get()
            .and_then(Result::err)
            .or_else(|| remove.value().get().and_then(Result::err))
            .or_else(|| test.value().get().and_then(Result::err))
    };
    let heading = if channel.is_some() {
        "Webhooks"
    } else {
        "Webhooks for every channel (operator)"
    };
    let testid = if channel.is_some() {
        "webhooks"
    } else {
        "server-webhooks"
    };
    view! {
        <details class="studio-account" data-testid=testid>
            <summary>{heading}</summary>
            <p class="studio-hint">
                "Addresses told of events by a signed POST (X-OnAir-Signature, HMAC-SHA256 with the hook's secret), in order, retried when they fail."
            </p>
            <form class="token-form" on:submit=submit>
                <label>
                    "Address"
                    <input node_ref=url data-testid="webhook-url" type="url" placeholder="https://example.org/hooks/onair"/>
                </label>
                {HookEvent::CHOSEN
                    .into_iter()
                    .map(|event| view! {
                        <label class="studio-check">
                            <input
                                type="checkbox"
                                data-testid=format!("event-{}", event.name())
                                prop:checked=move || picked.with(|p| p.contains(&event))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    picked.update(|p| {
                                        p.retain(|e| *e != event);
                                        if on {
                                            p.push(event);
                                        }
                                    });
                                }
                            />
                            {event.describe()}
                        </label>
                    })
                    .collect_view()}
                <button type="submit" data-testid="add-webhook" disabled=move || add.pending().get()>"Add webhook"</button>
            </form>
            {move || secret().map(|secret| view! {
                <div class="token-made">
                    <p>"Its secret, to check the signatures with: copy it now, it is not shown again."</p>
                    <input readonly=true data-testid="webhook-secret" prop:value=secret/>
                </div>
            })}
            {move || error().map(|err| view! { <p class="form-error" role="alert" data-testid="webhook-error">{err.to_string()}</p> })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = hooks.await.unwrap_or_default();
                    if list.is_empty() {
                        return view! { <p class="studio-hint">"No webhooks."</p> }.into_any();
                    }
                    view! {
                        <ul class="token-list">
                            {list.into_iter().map(|hook| view! { <HookRow hook remove test/> }).collect_view()}
                        </ul>
                    }
                        .into_any()
                })}
            </Transition>
        </details>
    }
}

#[component]
fn HookRow(
    hook: HookSummary,
    remove: ServerAction<RemoveWebhook>,
    test: ServerAction<TestWebhook>,
) -> impl IntoView {
    let id = hook.id;
    let events = hook
        .events
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .join(", ");
    // The log, read when opened and again after each test sent.
    let shown = RwSignal::new(false);
    let log = Resource::new(
        move || (shown.get(), test.version().get()),
        move |(shown, _)| async move {
            if shown {
                webhook_deliveries(id).await
            } else {
                Ok(Vec::new())
            }
        },
    );
    view! {
        <li class="token" data-testid="webhook">
            <code class="webhook-url">{hook.url}</code>
            <span class="studio-hint">{format!(" {events} · added {}", date(hook.created_ms))}</span>
            <span class="share-row">
                <button class="link" data-testid="test-webhook" on:click=move |_| {
                    test.dispatch(TestWebhook { id });
                    shown.set(true);
                }>"Send test event"</button>
                <button class="link" data-testid="webhook-log" on:click=move |_| shown.update(|s| *s = !*s)>"Deliveries"</button>
                <button class="link" data-testid="remove-webhook" on:click=move |_| { remove.dispatch(RemoveWebhook { id }); }>"Remove"</button>
            </span>
            <Show when=move || shown.get()>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let attempts = log.await.unwrap_or_default();
                        view! {
                            <ol class="webhook-deliveries" data-testid="webhook-deliveries">
                                {attempts.into_iter().map(|a| {
                                    let outcome = match (a.status, a.error) {
                                        (Some(status), None) => format!("{status}"),
                                        (Some(status), Some(why)) => format!("{status}: {why}"),
                                        (None, Some(why)) => why,
                                        (None, None) => "no answer".into(),
                                    };
                                    view! {
                                        <li data-testid="webhook-delivery">
                                            {format!("{} · {} · try {} · {outcome} · {} ms", date(a.at_ms), a.event, a.attempt, a.took_ms)}
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }
                    })}
                </Transition>
            </Show>
        </li>
    }
}
