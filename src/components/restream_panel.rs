//! The studio's restream panel: the other platforms the channel's broadcasts are also pushed
//! to, each with its state (waiting, connecting, live at a bitrate, retrying and why, failed),
//! switched on or off at once, removable; and a form to add one from a preset (the key pasted
//! once, shown back only by its last characters).

use leptos::html::{Input, Select};
use leptos::prelude::*;

use crate::restream::api::{
    AddRestream, DestinationSummary, PushState, RemoveRestream, SwitchRestream,
    restream_destinations,
};
use crate::restream::presets::PRESETS;

#[component]
pub fn RestreamPanel(channel: String, #[prop(into)] tick: Signal<u64>) -> impl IntoView {
    let add = ServerAction::<AddRestream>::new();
    let switch = ServerAction::<SwitchRestream>::new();
    let remove = ServerAction::<RemoveRestream>::new();
    let channel = StoredValue::new(channel);
    let list = Resource::new(
        move || {
            (
                tick.get() / 2,
                add.version().get(),
                switch.version().get(),
                remove.version().get(),
            )
        },
        move |_| restream_destinations(channel.get_value()),
    );
    let preset = NodeRef::<Select>::new();
    let url = NodeRef::<Input>::new();
    let key = NodeRef::<Input>::new();
    let name = NodeRef::<Input>::new();
    let picked = move |_| {
        let Some(select) = preset.get_untracked() else {
            return;
        };
        if let Some((platform, address)) = PRESETS.iter().find(|(p, _)| *p == select.value()) {
            if let Some(url) = url.get_untracked() {
                url.set_value(address);
            }
            if let Some(name) = name.get_untracked() {
                name.set_value(platform);
            }
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value =
            |input: NodeRef<Input>| input.get_untracked().map(|i| i.value()).unwrap_or_default();
        add.dispatch(AddRestream {
            channel: channel.get_value(),
            name: value(name),
            url: value(url),
            key: value(key),
        });
        if let Some(key) = key.get_untracked() {
            key.set_value("");
        }
    };
    let error = move || {
        add.value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
            .or_else(|| {
                switch
                    .value()
                    .get()
                    .and_then(Result::err)
                    .map(|e| e.to_string())
            })
            .or_else(|| {
                remove
                    .value()
                    .get()
                    .and_then(Result::err)
                    .map(|e| e.to_string())
            })
    };
    view! {
        <details class="studio-account" data-testid="restream">
            <summary>"Restream to other platforms"</summary>
            <p class="studio-hint">
                "While you are live, your broadcast is also sent as it is (no second encode) to each destination switched on."
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let all = list.await.unwrap_or_default();
                    if all.is_empty() {
                        return view! { <p class="studio-hint">"No destinations."</p> }.into_any();
                    }
                    view! {
                        <ul class="token-list">
                            {all.into_iter().map(|d| view! { <Destination d channel=channel.get_value() switch remove/> }).collect_view()}
                        </ul>
                    }
                        .into_any()
                })}
            </Transition>
            <form class="token-form" on:submit=submit>
                <label>
                    "Platform"
                    <select node_ref=preset on:change=picked data-testid="restream-preset">
                        <option value="">"Custom"</option>
                        {PRESETS.iter().map(|(platform, _)| view! { <option value=*platform>{*platform}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Name" <input node_ref=name data-testid="restream-name" placeholder="Twitch"/></label>
                <label>"Server" <input node_ref=url data-testid="restream-url" placeholder="rtmp://live.twitch.tv/app"/></label>
                <label>"Stream key" <input node_ref=key type="password" autocomplete="off" data-testid="restream-key"/></label>
                <button type="submit" data-testid="add-restream" disabled=move || add.pending().get()>"Add destination"</button>
            </form>
            {move || error().map(|err| view! { <p class="form-error" role="alert" data-testid="restream-error">{err}</p> })}
        </details>
    }
}

#[component]
fn Destination(
    d: DestinationSummary,
    channel: String,
    switch: ServerAction<SwitchRestream>,
    remove: ServerAction<RemoveRestream>,
) -> impl IntoView {
    let id = d.id;
    let (state, detail) = describe(&d.state);
    let on = d.enabled;
    let switch_channel = channel.clone();
    view! {
        <li class="token" data-testid="destination" data-state=state>
            <label class="studio-check">
                <input type="checkbox" checked=on data-testid="restream-on" on:change=move |ev| {
                    switch.dispatch(SwitchRestream { channel: switch_channel.clone(), id, on: event_target_checked(&ev) });
                }/>
                <strong>{d.name}</strong>
            </label>
            <span class="studio-hint">{format!(" {} · key {} · ", d.url, d.key_hint)}</span>
            <span data-testid="restream-state">{detail}</span>
            " "
            <button class="link" data-testid="remove-restream" on:click=move |_| {
                remove.dispatch(RemoveRestream { channel: channel.clone(), id });
            }>"Remove"</button>
        </li>
    }
}

/// A push state's key and how the studio says it.
fn describe(state: &PushState) -> (&'static str, String) {
    match state {
        PushState::Off => ("off", "off".into()),
        PushState::Waiting => ("waiting", "waiting for you to go live".into()),
        PushState::Connecting => ("connecting", "connecting…".into()),
        PushState::Live { kbps } => (
            "live",
            match kbps {
                Some(kbps) => format!("live, {kbps:.0} kbit/s"),
                None => "live".into(),
            },
        ),
        PushState::Retrying { reason, in_secs } => {
            ("retrying", format!("retrying in {in_secs} s: {reason}"))
        }
        PushState::Failed { reason } => ("failed", format!("failed: {reason}")),
    }
}
