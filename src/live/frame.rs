//! Server-Sent Events framing. Every event is framed once into shared bytes; viewers send
//! those bytes as they are.

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

/// Sent first on every connection: how long the browser waits before reconnecting (ms).
pub const RETRY: &[u8] = b"retry: 1000\n\n";
/// A comment that keeps an idle connection open through proxies.
pub const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";
/// What ends an event.
pub const END: &[u8] = b"\n\n";

/// Frames `event: {name}` with an optional id and a single-line data payload.
pub fn event(name: &str, id: Option<u64>, data: &str) -> Bytes {
    debug_assert!(!data.contains('\n'), "SSE data must be a single line");
    let mut out = BytesMut::with_capacity(data.len() + name.len() + 40);
    out.put_slice(b"event: ");
    out.put_slice(name.as_bytes());
    if let Some(id) = id {
        out.put_slice(b"\nid: ");
        out.put_slice(id.to_string().as_bytes());
    }
    out.put_slice(b"\ndata: ");
    out.put_slice(data.as_bytes());
    out.put_slice(END);
    out.freeze()
}

/// Frames an event whose data is `value` as JSON (which never contains a raw newline).
pub fn json_event(name: &str, value: &impl Serialize) -> Bytes {
    let data = serde_json::to_string(value).expect("wire types always serialize");
    event(name, None, &data)
}

/// A comment line; clients ignore it.
pub fn comment(text: &str) -> Bytes {
    Bytes::from(format!(": {}\n\n", text.replace('\n', " ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_event_carries_its_id() {
        let framed = event("media", Some(42), "/wAQ");
        assert_eq!(&framed[..], b"event: media\nid: 42\ndata: /wAQ\n\n");
    }

    #[test]
    fn json_event_has_no_id_and_escapes_newlines() {
        let framed = json_event("status", &serde_json::json!({"reason": "a\nb"}));
        assert_eq!(
            &framed[..],
            b"event: status\ndata: {\"reason\":\"a\\nb\"}\n\n"
        );
        assert_eq!(&comment("x\ny")[..], b": x y\n\n");
    }
}
