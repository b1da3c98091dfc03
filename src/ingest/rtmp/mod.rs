//! RTMP as publishers speak it, with a budget on everything they send: the handshake
//! (`rml_rtmp`'s, a fixed 3 KB exchange), then our own reading of the chunk stream (`chunks`),
//! of AMF0 (`amf0`) and of the commands a publisher sends (`session`). Ours because the
//! decoders `rml_rtmp` uses have no depth or size bounds (one message could overflow the
//! stack or take a gigabyte), and because a publisher that says goodbye must be told apart
//! from one that drops.

pub mod amf0;
pub mod chunks;
pub mod session;

#[cfg(test)]
mod tests;

pub use session::{Event, Metadata, Session, SessionError};
