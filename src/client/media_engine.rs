//! Which Media Source the browser offers. iPhone and iPad Safari (17.1+) have only
//! `ManagedMediaSource`: a MediaSource that the browser may tell to pause appending (between
//! `endstreaming` and `startstreaming`) and whose buffered media it may evict; web-sys has no
//! binding for it, so this is ours. Preferred wherever it exists (Safari on the Mac too: it lets
//! the browser save power); elsewhere the plain `MediaSource`.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `ManagedMediaSource` (Media Source Extensions, "managed" variant).
    #[wasm_bindgen(extends = web_sys::MediaSource, extends = web_sys::EventTarget, js_name = ManagedMediaSource)]
    #[derive(Clone, Debug)]
    pub type ManagedMediaSource;

    #[wasm_bindgen(constructor, catch, js_class = "ManagedMediaSource")]
    pub fn new() -> Result<ManagedMediaSource, JsValue>;

    #[wasm_bindgen(static_method_of = ManagedMediaSource, js_class = "ManagedMediaSource", js_name = isTypeSupported)]
    pub fn is_type_supported(mime: &str) -> bool;

    /// Whether the browser wants media appended now.
    #[wasm_bindgen(method, getter)]
    pub fn streaming(this: &ManagedMediaSource) -> bool;
}

/// The Media Source this browser has.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MediaEngine {
    Managed,
    Plain,
}

/// What to tell a viewer whose browser has neither.
pub const UNSUPPORTED: &str = "This browser cannot play live video: it has neither Media Source \
     Extensions nor Managed Media Source. Use a recent Chrome, Edge, Firefox, or Safari (on \
     iPhone and iPad: iOS 17.1 or later).";

impl MediaEngine {
    /// The engine to use, if the browser has one.
    pub fn detect() -> Option<Self> {
        let has = |name: &str| {
            js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str(name))
                .is_ok_and(|value| value.is_function())
        };
        if has("ManagedMediaSource") {
            Some(Self::Managed)
        } else if has("MediaSource") {
            Some(Self::Plain)
        } else {
            None
        }
    }

    pub fn is_type_supported(self, mime: &str) -> bool {
        match self {
            Self::Managed => ManagedMediaSource::is_type_supported(mime),
            Self::Plain => web_sys::MediaSource::is_type_supported(mime),
        }
    }

    /// A new source of this kind, as the MediaSource it extends.
    pub fn create(self) -> Result<web_sys::MediaSource, String> {
        match self {
            Self::Managed => ManagedMediaSource::new().map(|managed| managed.unchecked_into()),
            Self::Plain => web_sys::MediaSource::new(),
        }
        .map_err(|e| format!("{e:?}"))
    }
}
