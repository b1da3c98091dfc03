//! The RTMP server address shown in the studio.

/// The host part of a Host header (no port), if it looks like a host name or address;
/// "localhost" otherwise. Only the channel's owner sees it, in their studio.
pub fn studio_host(host_header: &str) -> String {
    let host = if host_header.starts_with('[') {
        // [v6]:port
        host_header
            .split_once(']')
            .map_or(host_header, |(v6, _)| v6)
            .to_string()
            + "]"
    } else {
        host_header
            .rsplit_once(':')
            .map_or(host_header, |(h, _)| h)
            .to_string()
    };
    let plausible = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if plausible { host } else { "localhost".into() }
}

#[cfg(test)]
mod tests {
    use super::studio_host;

    #[test]
    fn the_host_comes_without_its_port() {
        assert_eq!(studio_host("example.org:3000"), "example.org");
        assert_eq!(studio_host("example.org"), "example.org");
        assert_eq!(studio_host("[::1]:3000"), "[::1]");
        assert_eq!(studio_host(""), "localhost");
        assert_eq!(studio_host("evil\"><script>:80"), "localhost");
    }
}
