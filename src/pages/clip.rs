//! `/clip/{id}`: a clip with its own player, where it came from, and its link to share; the
//! channel's owner (or an operator) can delete it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::link_preview::LinkPreview;
use crate::components::moment::{clock, date};
use crate::error::AppError;
use crate::pages::not_found::NotFound;
use crate::recordings::api::{ClipSummary, DeleteClip, clip};

#[component]
pub fn ClipPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let found = Resource::new(id, clip);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match found.await {
                    Ok(found) => view! { <Clip clip=found/> }.into_any(),
                    Err(AppError::NotFound(what)) => view! { <NotFound what/> }.into_any(),
                    Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Clip(clip: ClipSummary) -> impl IntoView {
    let src = format!("/clips/{}.mp4", clip.id);
    let poster = format!("/clips/{}.jpg", clip.id);
    let share = format!("/clip/{}", clip.id);
    let from = format!("/replay/{}?t={}", clip.recording, clip.from_ms / 1000);
    let delete = ServerAction::<DeleteClip>::new();
    let channel = clip.channel.clone();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(()))) {
            navigate(&format!("/watch/{channel}"), Default::default());
        }
    });
    let id = clip.id;
    // The full address to share, once the page knows where it is.
    let link = RwSignal::new(share.clone());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
            link.set(format!("{origin}{}", link.get_untracked()));
        }
    });
    view! {
        <Title text=clip.title.clone()/>
        <LinkPreview
            title=clip.title.clone()
            description=format!(
                "A {} clip from {}'s broadcast, clipped by {}, on OnAir",
                clock(clip.duration_ms as f64 / 1000.0),
                clip.channel,
                clip.made_by
            )
            path=share.clone()
            picture=Some(poster.clone())
            video=src.clone()
        />
        <section class="clip">
            <video class="clip-video" data-testid="clip-video" src=src poster=poster controls=true playsinline=true autoplay=true muted=true></video>
            <h1 class="channel-title">{clip.title.clone()}</h1>
            <p class="broadcaster">
                {format!("{} · clipped by {} · ", clock(clip.duration_ms as f64 / 1000.0), clip.made_by)}
                <time>{date(clip.made_ms)}</time>
                " · from "
                <a href=format!("/watch/{}", clip.channel)>{clip.channel.clone()}</a>
                "'s "
                <a href=from>"broadcast"</a>
            </p>
            <label class="clip-share">
                "Share"
                <input readonly=true data-testid="clip-link" prop:value=move || link.get()/>
            </label>
            {clip.yours.then(|| view! {
                <button class="danger" data-testid="delete-clip" on:click=move |_| { delete.dispatch(DeleteClip { id }); }>
                    "Delete clip"
                </button>
            })}
            {move || delete.value().get().and_then(Result::err).map(|err| view! { <p class="form-error" role="alert">{err.to_string()}</p> })}
        </section>
    }
}
