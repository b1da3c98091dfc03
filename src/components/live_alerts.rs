//! "A channel you follow went live", in every open tab of a signed-in follower: a line at the
//! top of the page, and a system notification once the user allowed them (asked only when they
//! click the bell). Each tab asks the server every `CHECK_EVERY` which followed channels are
//! live; the first answer is what was live already, so only later changes are told. Once
//! notifications are allowed, the browser is also subscribed to Web Push (`push`, with the
//! service worker `/sw.js`), so a channel going live reaches it with no tab open.

use leptos::prelude::*;

use crate::channels::api::ChannelSummary;

#[cfg(feature = "hydrate")]
const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

#[component]
pub fn LiveAlerts() -> impl IntoView {
    let alerts = RwSignal::new(Vec::<ChannelSummary>::new());
    // Whether the bell is shown: the browser has notifications and the user has not answered.
    let can_ask = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let seen = StoredValue::new_local(None::<std::collections::HashSet<String>>);
        let check = move || {
            leptos::task::spawn_local(async move {
                let Ok(live) = crate::follows::api::followed_live().await else {
                    return;
                };
                let names = live.iter().map(|c| c.name.clone()).collect();
                let fresh: Vec<ChannelSummary> = match seen.get_value() {
                    None => Vec::new(),
                    Some(before) => live
                        .into_iter()
                        .filter(|c| !before.contains(&c.name))
                        .collect(),
                };
                seen.set_value(Some(names));
                for channel in &fresh {
                    notice::show(channel);
                }
                if !fresh.is_empty() {
                    alerts.update(|shown| shown.extend(fresh));
                }
            });
        };
        Effect::new(move |_| {
            can_ask.set(notice::unanswered());
            check();
            // Kept fresh at every visit: a push service may have replaced the subscription.
            if notice::granted() {
                leptos::task::spawn_local(notice::subscribe_push());
            }
        });
        if let Ok(timer) = set_interval_with_handle(check, CHECK_EVERY) {
            on_cleanup(move || timer.clear());
        }
    }
    let ask = move |_| {
        #[cfg(feature = "hydrate")]
        notice::ask(can_ask);
    };
    view! {
        <Show when=move || can_ask.get()>
            <button type="button" class="link bell" data-testid="notify-me" on:click=ask
                title="Be told when a channel you follow goes live">
                "🔔 Notify me"
            </button>
        </Show>
        <div class="live-alerts" role="status">
            <For
                each=move || alerts.get()
                key=|channel| channel.name.clone()
                children=move |channel| {
                    let name = channel.name.clone();
                    view! {
                        <p class="live-alert" data-testid="live-alert" data-channel=channel.name.clone()>
                            <a href=format!("/watch/{}", channel.name)>
                                <strong>{channel.broadcaster}</strong>" is live: "{channel.title}
                            </a>
                            " "
                            <button type="button" class="link" title="Dismiss" on:click=move |_| {
                                alerts.update(|shown| shown.retain(|c| c.name != name));
                            }>"✕"</button>
                        </p>
                    }
                }
            />
        </div>
    }
}

/// The browser's notifications, where it has them.
#[cfg(feature = "hydrate")]
mod notice {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    use web_sys::{Notification, NotificationOptions, NotificationPermission};

    use crate::channels::api::ChannelSummary;

    fn available() -> bool {
        web_sys::window()
            .is_some_and(|w| js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false))
    }

    /// Whether the user has not yet said yes or no to notifications.
    pub fn unanswered() -> bool {
        available() && Notification::permission() == NotificationPermission::Default
    }

    /// Asks for permission (a click called this); the bell goes once answered.
    pub fn ask(can_ask: RwSignal<bool>) {
        let Ok(asked) = Notification::request_permission() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(asked).await;
            can_ask.set(unanswered());
            if granted() {
                subscribe_push().await;
            }
        });
    }

    /// Whether the user allowed notifications.
    pub fn granted() -> bool {
        available() && Notification::permission() == NotificationPermission::Granted
    }

    /// Subscribes this browser to Web Push with the server's key and hands the subscription to
    /// the server. Where the browser has no service workers or push service, or the server has
    /// Web Push off, the open tabs' alerts are all there is.
    pub async fn subscribe_push() {
        if let Err(err) = try_subscribe_push().await {
            leptos::logging::log!("Web Push is not available here: {err:?}");
        }
    }

    async fn try_subscribe_push() -> Result<(), wasm_bindgen::JsValue> {
        use js_sys::{Function, Object, Promise, Reflect};
        use wasm_bindgen_futures::JsFuture;

        let Some(key) = crate::push::api::push_key().await.ok().flatten() else {
            return Ok(());
        };
        let navigator = web_sys::window().ok_or("no window")?.navigator();
        let workers = Reflect::get(&navigator, &"serviceWorker".into())?;
        if workers.is_undefined() {
            return Ok(());
        }
        let call = |on: &wasm_bindgen::JsValue, method: &str, arg: &wasm_bindgen::JsValue| {
            let method: Function = Reflect::get(on, &method.into())?.dyn_into()?;
            method.call1(on, arg)?.dyn_into::<Promise>()
        };
        JsFuture::from(call(&workers, "register", &"/sw.js".into())?).await?;
        let ready: Promise = Reflect::get(&workers, &"ready".into())?.dyn_into()?;
        let registration = JsFuture::from(ready).await?;
        let manager = Reflect::get(&registration, &"pushManager".into())?;
        let options = Object::new();
        Reflect::set(&options, &"userVisibleOnly".into(), &true.into())?;
        Reflect::set(&options, &"applicationServerKey".into(), &key.into())?;
        let subscription = JsFuture::from(call(&manager, "subscribe", &options)?).await?;
        let json: String = js_sys::JSON::stringify(&subscription)?.into();
        let subscription: crate::push::api::Subscription =
            serde_json::from_str(&json).map_err(|err| err.to_string())?;
        crate::push::api::subscribe_push(subscription)
            .await
            .map_err(|err| err.to_string())?;
        Ok(())
    }

    /// A system notification that `channel` is live; a click on it opens the channel. One per
    /// channel however many tabs tell it (the tag).
    pub fn show(channel: &ChannelSummary) {
        if !granted() {
            return;
        }
        let options = NotificationOptions::new();
        options.set_body(&channel.title);
        options.set_tag(&format!("onair-live-{}", channel.name));
        let title = format!("{} is live", channel.broadcaster);
        let Ok(shown) = Notification::new_with_options(&title, &options) else {
            return;
        };
        let href = format!("/watch/{}", channel.name);
        let open = Closure::once_into_js(move || {
            if let Some(window) = web_sys::window() {
                let _ = window.focus();
                let _ = window.location().set_href(&href);
            }
        });
        shown.set_onclick(Some(open.unchecked_ref()));
    }
}
