//! A lean incremental Server-Sent Events parser: it keeps only the first bytes of each line,
//! which hold the event name, the id, and (for media) the fragment's prft box.

/// Bytes kept from the start of each line: "data: " plus the base64 of a styp and a prft box.
const KEPT: usize = 160;

/// One parsed event; `data_head` is the start of its data, `data_len` its full length.
#[derive(Debug, Default)]
pub struct Event {
    pub name: Vec<u8>,
    pub id: Option<u64>,
    pub data_head: Vec<u8>,
    pub data_len: usize,
}

#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    line_len: usize,
    event: Event,
    has_fields: bool,
    /// Comments saying the server skipped this viewer forward (`: skipped N fragments…`).
    pub skips: u32,
}

impl SseParser {
    /// Feeds body bytes; `on_event` is called for every complete event (comments skipped).
    pub fn feed(&mut self, mut data: &[u8], mut on_event: impl FnMut(&Event)) {
        while !data.is_empty() {
            let (segment, complete) = match memchr::memchr(b'\n', data) {
                Some(at) => (&data[..at], Some(at + 1)),
                None => (data, None),
            };
            let room = KEPT.saturating_sub(self.line.len());
            self.line
                .extend_from_slice(&segment[..room.min(segment.len())]);
            self.line_len += segment.len();
            match complete {
                Some(next) => {
                    self.end_line(&mut on_event);
                    data = &data[next..];
                }
                None => data = &[],
            }
        }
    }

    fn end_line(&mut self, on_event: &mut impl FnMut(&Event)) {
        let line = std::mem::take(&mut self.line);
        let len = std::mem::replace(&mut self.line_len, 0);
        let line_ref = line.strip_suffix(b"\r").unwrap_or(&line);
        if line_ref.is_empty() {
            if self.has_fields {
                on_event(&self.event);
            }
            self.event = Event::default();
            self.has_fields = false;
        } else if line_ref.starts_with(b": skipped") {
            self.skips += 1;
        } else if line_ref[0] != b':' {
            let (field, value) = match memchr::memchr(b':', line_ref) {
                Some(at) => (
                    &line_ref[..at],
                    line_ref[at + 1..]
                        .strip_prefix(b" ")
                        .unwrap_or(&line_ref[at + 1..]),
                ),
                None => (line_ref, &b""[..]),
            };
            self.has_fields = true;
            match field {
                b"event" => self.event.name = value.to_vec(),
                b"id" => {
                    self.event.id = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok())
                }
                b"data" => {
                    self.event.data_head = value.to_vec();
                    self.event.data_len = len.saturating_sub(line_ref.len() - value.len());
                }
                _ => {}
            }
        }
        self.line = line;
        self.line.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events_split_anywhere_and_keeps_only_heads() {
        let long = "A".repeat(10_000);
        let stream = format!(
            "retry: 1000\n\n: note\n\n: skipped 3 fragments\n\nevent: media\nid: 42\ndata: {long}\n\nevent: status\ndata: {{}}\n\n"
        );
        for split in [1, 7, 100, 5000, stream.len()] {
            let mut parser = SseParser::default();
            let mut seen = Vec::new();
            for piece in stream.as_bytes().chunks(split) {
                parser.feed(piece, |e| {
                    seen.push((e.name.clone(), e.id, e.data_head.len(), e.data_len))
                });
            }
            assert_eq!(
                seen,
                vec![
                    (b"".to_vec(), None, 0, 0),
                    (b"media".to_vec(), Some(42), KEPT - 6, 10_000),
                    (b"status".to_vec(), None, 2, 2)
                ],
                "split {split}"
            );
            assert_eq!(parser.skips, 1);
        }
    }
}
