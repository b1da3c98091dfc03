//! The studio's recording switch: whether the channel's broadcasts are recorded (from the
//! next one), with what went wrong with the latest recording, when something did (a full disk,
//! a failed storage: the broadcast went on without it).

use leptos::prelude::*;

use crate::recordings::api::{SetRecording, channel_recording};

#[component]
pub fn RecordSwitch(channel: String) -> impl IntoView {
    let set = ServerAction::<SetRecording>::new();
    let channel = StoredValue::new(channel);
    let setting = Resource::new(move || channel.get_value(), channel_recording);
    let href = move || format!("/watch/{}", channel.get_value());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(now) = setting.await else { return ().into_any() };
                if !now.server_records {
                    return view! { <p class="studio-hint">"This server does not record broadcasts."</p> }.into_any();
                }
                view! {
                    <label class="studio-check">
                        <input type="checkbox" data-testid="record" checked=now.on
                            on:change=move |ev| {
                                set.dispatch(SetRecording {
                                    channel: channel.get_value(),
                                    on: event_target_checked(&ev),
                                });
                            }/>
                        "Record broadcasts"
                    </label>
                    <p class="studio-hint">
                        "Replays are listed on "<a href=href()>"your channel"</a>"; from the next broadcast."
                        {move || set.value().get().is_some_and(|r| r.is_ok())
                            .then(|| view! { " " <span data-testid="record-saved">"Saved"</span> })}
                    </p>
                    {now.problem.map(|problem| view! {
                        <p class="form-error" role="alert" data-testid="recording-problem">
                            {format!("The last recording stopped early: {problem}. The broadcast went on.")}
                        </p>
                    })}
                }
                .into_any()
            })}
        </Suspense>
    }
}
