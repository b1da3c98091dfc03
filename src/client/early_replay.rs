//! Taking over what the replay page's head start began (`components::early_replay`): its
//! MediaSource, playing the init segment and the segment holding the start, and where the
//! player goes on (the run it decodes with, the next segment).

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaSource, MediaSourceReadyState, Url};

use super::live_events::EarlyMedia;
use crate::recordings::api::EARLY_REPLAY;

/// The head start's media, playing: the player goes on from `next` (an index into the
/// recording's segments), decoding with run `run`'s init segment.
pub struct EarlyReplay {
    pub media: EarlyMedia,
    pub run: i64,
    pub next: usize,
}

fn object() -> Option<JsValue> {
    js_sys::Reflect::get(&web_sys::window()?.into(), &EARLY_REPLAY.into())
        .ok()
        .filter(JsValue::is_object)
}

fn field(object: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(object, &key.into()).ok()
}

async fn settled(key: &str) {
    let promise = object()
        .and_then(|early| field(&early, key))
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
    if let Some(promise) = promise {
        let _ = JsFuture::from(promise).await;
    }
}

/// Settles once the head start has shown the first frame, given up, or waited its cap: the
/// page hydrates then (nothing to wait for on other pages).
pub async fn early_replay_shown() {
    settled("ready").await;
}

/// The head start's media for recording `id`, once it is done, if it got the video playing.
/// Taken once; a source it opened that is not taken over has its URL revoked.
pub async fn take(id: i64) -> Option<EarlyReplay> {
    let early = object()?;
    if field(&early, "id")?.as_f64()? as i64 != id {
        return None;
    }
    settled("done").await;
    let _ = js_sys::Reflect::delete_property(&web_sys::window()?.into(), &EARLY_REPLAY.into());
    let media = field(&early, "media").filter(JsValue::is_object)?;
    let part = |key: &str| field(&media, key);
    let url = part("url")?.as_string()?;
    let source: MediaSource = part("source")?.dyn_into().ok()?;
    if source.ready_state() != MediaSourceReadyState::Open {
        let _ = Url::revoke_object_url(&url);
        return None;
    }
    Some(EarlyReplay {
        media: EarlyMedia {
            source,
            buffer: part("buffer")?.dyn_into().ok()?,
            url,
        },
        run: part("run")?.as_f64()? as i64,
        next: part("next")?.as_f64()? as usize,
    })
}
