//! Reads an FLV file's audio and video tags (script tags are left out), timestamps rebased to
//! start at zero.

use bytes::Bytes;

pub struct Tag {
    pub video: bool,
    pub timestamp_ms: u32,
    pub body: Bytes,
}

pub fn read(path: &str) -> Result<Vec<Tag>, String> {
    let data = std::fs::read(path).map_err(|e| e.to_string())?;
    if data.len() < 13 || &data[..3] != b"FLV" {
        return Err("not an FLV file".into());
    }
    let header_len = u32::from_be_bytes([data[5], data[6], data[7], data[8]]) as usize;
    let mut at = header_len + 4;
    let mut tags = Vec::new();
    while at + 11 <= data.len() {
        let kind = data[at];
        let size = u32::from_be_bytes([0, data[at + 1], data[at + 2], data[at + 3]]) as usize;
        let timestamp =
            u32::from_be_bytes([data[at + 7], data[at + 4], data[at + 5], data[at + 6]]);
        let body = at + 11;
        if body + size > data.len() {
            break;
        }
        if kind == 8 || kind == 9 {
            tags.push(Tag {
                video: kind == 9,
                timestamp_ms: timestamp,
                body: Bytes::copy_from_slice(&data[body..body + size]),
            });
        }
        at = body + size + 4;
    }
    let first = tags.iter().map(|t| t.timestamp_ms).min().unwrap_or(0);
    for tag in &mut tags {
        tag.timestamp_ms -= first;
    }
    if !tags.iter().any(|t| t.video) {
        return Err("no video tags".into());
    }
    Ok(tags)
}
