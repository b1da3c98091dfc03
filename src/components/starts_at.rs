//! When an announced broadcast starts: the date and time in the viewer's own time zone (UTC
//! until the page is hydrated, as the server cannot know the zone) and a countdown that ticks.

use leptos::prelude::*;

use crate::components::elapsed::countdown;
use crate::components::moment::date;

/// `starts_ms` (Unix ms), as of the server's clock `as_of_ms`.
#[component]
pub fn StartsAt(starts_ms: u64, as_of_ms: u64) -> impl IntoView {
    let now = RwSignal::new(as_of_ms);
    let when = RwSignal::new(date(starts_ms));
    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| {
            let local = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(starts_ms as f64));
            let options = js_sys::Object::new();
            for (key, value) in [
                ("weekday", "short"),
                ("month", "short"),
                ("day", "numeric"),
                ("hour", "2-digit"),
                ("minute", "2-digit"),
                ("timeZoneName", "short"),
            ] {
                let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
            }
            when.set(String::from(local.to_locale_string("default", &options)));
            now.set(js_sys::Date::now() as u64);
        });
        if let Ok(timer) = set_interval_with_handle(
            move || now.set(js_sys::Date::now() as u64),
            std::time::Duration::from_secs(1),
        ) {
            on_cleanup(move || timer.clear());
        }
    }
    let left = move || {
        let now = now.get();
        if starts_ms > now {
            format!("starts in {}", countdown(starts_ms - now))
        } else {
            "starting any moment".to_string()
        }
    };
    view! {
        <span class="starts-at">
            <time data-starts-ms=starts_ms.to_string() data-testid="starts-at">{move || when.get()}</time>
            " · "
            <span class="countdown" data-testid="countdown">{left}</span>
        </span>
    }
}
