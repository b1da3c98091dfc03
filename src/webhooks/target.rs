//! Where a webhook may send: an `http` or `https` address without credentials in it, on the
//! public internet (`outbound`) unless `allow_private` (a receiver on this machine or the home
//! network, the tests). Checked when a hook is added, for a clear message, before every
//! attempt, and at every connection by the client's resolver (`outbound::PublicOnly`).

use crate::outbound::{Refused, ensure_public};

/// The longest address a hook may have.
pub const URL_MAX: usize = 2000;

/// `text` as a hook's address, or what is wrong with it. A name is resolved now, so a private
/// one is refused at once.
pub async fn check_url(text: &str, allow_private: bool) -> Result<url::Url, String> {
    let text = text.trim();
    if text.len() > URL_MAX {
        return Err(format!(
            "A webhook address has at most {URL_MAX} characters."
        ));
    }
    let url = url::Url::parse(text).map_err(|_| {
        "Give the full address, such as https://example.org/hooks/onair.".to_string()
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("A webhook address starts with https:// (or http://).".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "Leave credentials out of the address: the signature header proves the request is ours."
                .into(),
        );
    }
    let Some(host) = url.host() else {
        return Err("The address has no host.".into());
    };
    if allow_private {
        return Ok(url);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    match ensure_public(host.clone(), port).await {
        Ok(()) => Ok(url),
        Err(Refused::Unknown) => Err(format!("The host {host} cannot be found.")),
        Err(Refused::Private) => Err(
            "That address is on this machine or a private network, which webhooks may not \
             reach (the server's operator can allow it: [webhooks] allow_private)."
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_address_is_checked_with_a_message_saying_what_to_change() {
        let refused = |url: &'static str| async move { check_url(url, false).await.unwrap_err() };
        assert!(
            refused("http://127.0.0.1:9/hook")
                .await
                .contains("private network")
        );
        assert!(
            refused("http://[::1]/hook")
                .await
                .contains("private network")
        );
        assert!(
            refused("http://localhost/hook")
                .await
                .contains("private network")
        );
        assert!(
            refused("http://10.0.0.1/hook")
                .await
                .contains("private network")
        );
        assert!(refused("ftp://example.org/").await.contains("https://"));
        assert!(
            refused("https://user:pw@example.org/")
                .await
                .contains("credentials")
        );
        assert!(refused("example.org/hook").await.contains("full address"));
        let long = format!("https://example.org/{}", "a".repeat(URL_MAX));
        assert!(
            check_url(&long, true)
                .await
                .unwrap_err()
                .contains("at most")
        );
        assert!(
            check_url("http://127.0.0.1:9/hook", true).await.is_ok(),
            "when allowed"
        );
        assert!(check_url("https://93.184.216.34/hook", false).await.is_ok());
    }
}
