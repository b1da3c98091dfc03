//! What a destination may be: an `rtmp://` or `rtmps://` server address and a stream key, each
//! checked before ffmpeg ever sees them (one argument each, never a shell; no other protocol,
//! no credentials, no characters a URL could be bent with), and a name. The address must be on
//! the public internet unless `[restream] allow_private` (as for webhooks).

use crate::outbound::{Refused, ensure_public};

pub const NAME_MAX: usize = 40;
pub const URL_MAX: usize = 512;
pub const KEY_MAX: usize = 256;

/// A destination as its push needs it.
#[derive(Clone)]
pub struct Destination {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub key: String,
}

impl std::fmt::Debug for Destination {
    /// Never shows the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Destination {
    /// Where ffmpeg sends: the server address, then the key.
    pub fn target(&self) -> String {
        format!("{}/{}", self.url.trim_end_matches('/'), self.key)
    }

    /// `text` (an ffmpeg message) with the key, and the address it is part of, left out.
    pub fn hide_key(&self, text: &str) -> String {
        text.replace(&self.target(), &self.name)
            .replace(&self.key, "•••")
    }
}

/// The key's last characters, to tell keys apart.
pub fn hint(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

pub fn check_name(name: &str) -> Result<String, String> {
    let name = crate::text::visible(name);
    if name.is_empty() {
        return Err("Name the destination (\"Twitch\").".into());
    }
    if name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return Err(format!(
            "A destination's name is one line of at most {NAME_MAX} characters."
        ));
    }
    Ok(name)
}

/// The server address, or what to change. A name is resolved now, so a private one is refused
/// with a message (the push checks it again before every connection).
pub async fn check_url(text: &str, allow_private: bool) -> Result<String, String> {
    let text = text.trim();
    if text.len() > URL_MAX {
        return Err(format!(
            "A server address has at most {URL_MAX} characters."
        ));
    }
    let url = url::Url::parse(text).map_err(|_| {
        "Give the platform's server address, such as rtmp://live.twitch.tv/app.".to_string()
    })?;
    if !matches!(url.scheme(), "rtmp" | "rtmps") {
        return Err("A server address starts with rtmp:// or rtmps://.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "Leave credentials out of the address: the stream key goes in its own field.".into(),
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("The server address ends before any `?`: put what follows in the key.".into());
    }
    let (Some(host), Some(parsed)) = (url.host_str(), url.host()) else {
        return Err("The address has no host.".into());
    };
    if !allow_private {
        let port = url.port().unwrap_or(1935);
        match ensure_public(parsed, port).await {
            Ok(()) => {}
            Err(Refused::Unknown) => return Err(format!("The host {host} cannot be found.")),
            Err(Refused::Private) => {
                return Err(
                    "That server is on this machine or a private network, which \
                            restreams may not reach (the operator can allow it: [restream] \
                            allow_private)."
                        .into(),
                );
            }
        }
    }
    Ok(text.trim_end_matches('/').to_string())
}

/// The stream key, or what to change: what platforms give (letters, digits and `_-.~`, with
/// the `?`, `=`, `&` and `%` some put in it), nothing else.
pub fn check_key(key: &str) -> Result<String, String> {
    let key = key.trim();
    if key.is_empty() {
        return Err("Paste the stream key the platform gives you.".into());
    }
    if key.len() > KEY_MAX {
        return Err(format!("A stream key has at most {KEY_MAX} characters."));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-.~?=&%".contains(c);
    if !key.chars().all(allowed) {
        return Err(
            "A stream key has letters, digits and _ - . ~ ? = & % only: check what was pasted."
                .into(),
        );
    }
    Ok(key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn addresses_and_keys_are_checked_before_ffmpeg_sees_them() {
        assert_eq!(
            check_url("rtmp://live.twitch.tv/app/", true).await.unwrap(),
            "rtmp://live.twitch.tv/app"
        );
        for (bad, says) in [
            ("file:///etc/passwd", "rtmp://"),
            ("http://example.org/app", "rtmp://"),
            ("rtmp://u:p@example.org/app", "credentials"),
            ("rtmp://example.org/app?x=1", "`?`"),
            ("-i /etc/passwd", "server address"),
        ] {
            assert!(
                check_url(bad, true).await.unwrap_err().contains(says),
                "{bad}"
            );
        }
        assert!(
            check_url("rtmp://127.0.0.1/app", false)
                .await
                .unwrap_err()
                .contains("private")
        );
        assert!(
            check_url("rtmp://localhost/app", false)
                .await
                .unwrap_err()
                .contains("private")
        );
        assert!(check_url("rtmp://127.0.0.1/app", true).await.is_ok());
        assert_eq!(check_key(" live_1234_abcDEF ").unwrap(), "live_1234_abcDEF");
        assert!(check_key("FB-123?s_bl=1&s_sc=abc%20").is_ok());
        for bad in [
            "",
            "a b",
            "key\nnext",
            "../x",
            "k\"ey",
            &"k".repeat(KEY_MAX + 1),
        ] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
        let destination = Destination {
            id: 1,
            name: "Twitch".into(),
            url: "rtmp://live.twitch.tv/app".into(),
            key: "live_secret".into(),
        };
        assert_eq!(
            destination.target(),
            "rtmp://live.twitch.tv/app/live_secret"
        );
        let said =
            destination.hide_key("rtmp://live.twitch.tv/app/live_secret: Connection refused");
        assert_eq!(said, "Twitch: Connection refused");
        assert!(!format!("{destination:?}").contains("secret"));
        assert_eq!(hint("live_secret"), "…cret");
    }
}
