//! The media path, free of HTTP: what the wire carries (`wire`), the producer clock in each
//! fragment (`prft`), and on the server the fMP4 splitter, SSE framing and the per-channel hub.

pub mod prft;
pub mod wire;

#[cfg(feature = "ssr")]
pub mod audience;
#[cfg(feature = "ssr")]
pub mod frame;
#[cfg(feature = "ssr")]
pub mod hub;
#[cfg(feature = "ssr")]
pub mod splitter;

#[cfg(all(test, feature = "ssr"))]
pub(crate) mod testing;
