//! Reads the producer reference time (`prft` box) at the head of a media fragment: the wall clock
//! at which ffmpeg wrote it. The player turns it into the live latency, the load tool into lag.
//! This is a deliberately tiny reader (top-level box headers, then one fixed layout) so the
//! browser does not carry a full MP4 library.

/// Seconds between the NTP epoch (1900) and the Unix epoch (1970).
const NTP_UNIX_OFFSET_SECS: u64 = 2_208_988_800;

/// One producer clock sample: media time `media_time` of track `track_id` was produced at
/// `unix_ms` on the encoder's wall clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProducerTime {
    pub track_id: u32,
    pub unix_ms: f64,
    pub media_time: u64,
}

/// Converts a 64-bit NTP timestamp (32.32 fixed point since 1900) to Unix milliseconds.
pub fn ntp_to_unix_ms(ntp: u64) -> f64 {
    let secs = (ntp >> 32) as f64 - NTP_UNIX_OFFSET_SECS as f64;
    let frac = (ntp & 0xffff_ffff) as f64 / 4_294_967_296.0;
    (secs + frac) * 1000.0
}

/// Finds the `prft` box among the top-level boxes that precede the `moof` of `fragment`.
/// Returns `None` when there is none or the bytes are not well-formed.
pub fn find(fragment: &[u8]) -> Option<ProducerTime> {
    let mut rest = fragment;
    while rest.len() >= 8 {
        let size = u32::from_be_bytes(rest[0..4].try_into().ok()?) as usize;
        let kind = &rest[4..8];
        if size < 8 || size > rest.len() {
            return None;
        }
        match kind {
            b"prft" => return parse_body(&rest[8..size]),
            b"moof" | b"mdat" => return None,
            _ => rest = &rest[size..],
        }
    }
    None
}

/// Parses a prft body: version(1) flags(3) track(4) ntp(8) media_time(4 or 8).
fn parse_body(body: &[u8]) -> Option<ProducerTime> {
    let version = *body.first()?;
    let track_id = u32::from_be_bytes(body.get(4..8)?.try_into().ok()?);
    let ntp = u64::from_be_bytes(body.get(8..16)?.try_into().ok()?);
    let media_time = match version {
        0 => u32::from_be_bytes(body.get(16..20)?.try_into().ok()?) as u64,
        _ => u64::from_be_bytes(body.get(16..24)?.try_into().ok()?),
    };
    Some(ProducerTime {
        track_id,
        unix_ms: ntp_to_unix_ms(ntp),
        media_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prft_box(version: u8, track: u32, ntp: u64, media: u64) -> Vec<u8> {
        let mut body = vec![version, 0, 0, 0];
        body.extend(track.to_be_bytes());
        body.extend(ntp.to_be_bytes());
        if version == 0 {
            body.extend((media as u32).to_be_bytes());
        } else {
            body.extend(media.to_be_bytes());
        }
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend(b"prft");
        out.extend(body);
        out
    }

    #[test]
    fn ntp_epoch_offset_is_applied() {
        // 2000-01-01T00:00:00Z is 946684800 Unix seconds.
        let ntp = (946_684_800u64 + NTP_UNIX_OFFSET_SECS) << 32 | (1u64 << 31);
        assert_eq!(ntp_to_unix_ms(ntp), 946_684_800_500.0);
    }

    #[test]
    fn finds_prft_after_styp_and_before_moof() {
        let mut data = vec![0, 0, 0, 16];
        data.extend(b"stypiso6\0\0\0\0");
        let ntp = (1_700_000_000u64 + NTP_UNIX_OFFSET_SECS) << 32;
        data.extend(prft_box(1, 1, ntp, 90_000));
        data.extend([0, 0, 0, 8]);
        data.extend(b"moof");
        let found = find(&data).expect("prft");
        assert_eq!(found.track_id, 1);
        assert_eq!(found.media_time, 90_000);
        assert_eq!(found.unix_ms, 1_700_000_000_000.0);
        assert_eq!(find(&prft_box(0, 2, ntp, 7)).map(|p| p.media_time), Some(7));
    }

    #[test]
    fn malformed_input_is_none_not_a_panic() {
        assert_eq!(find(&[]), None);
        assert_eq!(find(&[0, 0, 0, 99, b'p', b'r', b'f', b't']), None);
        assert_eq!(find(&[0, 0, 0, 4, b'p', b'r', b'f', b't']), None);
        let mut short = prft_box(1, 1, 5, 5);
        short.truncate(20);
        short[3] = 20;
        assert_eq!(find(&short), None);
        let mut moof_first = vec![0, 0, 0, 8];
        moof_first.extend(b"moof");
        assert_eq!(find(&moof_first), None);
    }
}
