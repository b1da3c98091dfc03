//! Reaching beyond the site: the addresses other sites and apps use to show a channel. The
//! player alone and the chat alone for framing (`/embed/{channel}`, `/embed/{channel}/chat`:
//! the only routes another site may frame), the iframe code the watch page's Share offers, the
//! link preview a chat app shows for a pasted link (Open Graph tags, `components::link_preview`)
//! and the oEmbed answer (`oembed`, served at `/oembed`).

#[cfg(feature = "ssr")]
pub mod oembed;

/// Where every address another site may frame begins.
pub const FRAMABLE: &str = "/embed/";

/// Whether another site may frame the page at `path` (only the embeds).
pub fn framable(path: &str) -> bool {
    path.starts_with(FRAMABLE)
}

/// The player alone, for an iframe: `/embed/{channel}`.
pub fn embed_path(channel: &str) -> String {
    format!("{FRAMABLE}{channel}")
}

/// The chat alone, for a broadcaster's scene (an OBS browser source): `/embed/{channel}/chat`.
pub fn chat_overlay_path(channel: &str) -> String {
    format!("{FRAMABLE}{channel}/chat")
}

/// The size an embed's iframe is offered at (16:9).
pub const EMBED_WIDTH: u32 = 640;
pub const EMBED_HEIGHT: u32 = 360;

/// The HTML another site pastes to show `channel`'s player (`origin`: this site's scheme and
/// host). `title` is the channel's, escaped here.
pub fn iframe_code(origin: &str, channel: &str, title: &str, width: u32, height: u32) -> String {
    format!(
        "<iframe src=\"{origin}{}\" width=\"{width}\" height=\"{height}\" \
         title=\"{}\" allow=\"autoplay; fullscreen; picture-in-picture\" allowfullscreen \
         style=\"border:0\"></iframe>",
        embed_path(channel),
        escape_attribute(title)
    )
}

/// `text` safe inside a double-quoted HTML attribute.
pub fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Where this site's oEmbed answers for the page at `page_url` (an absolute address).
pub fn oembed_url(origin: &str, page_url: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(page_url.as_bytes()).collect();
    format!("{origin}/oembed?format=json&url={encoded}")
}

/// This site's scheme and host as the browser reached it ("https://example.org"): on the
/// server from the request's `Host` (checked against the site's names), in the browser from
/// its location. Empty when unknown (the addresses it starts stay relative).
pub fn page_origin() -> String {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::use_context;
        let site = use_context::<crate::server::site::Site>();
        let parts = use_context::<axum::http::request::Parts>();
        if let (Some(site), Some(parts)) = (site, parts) {
            return site.origin(&parts.headers, &parts.uri).unwrap_or_default();
        }
    }
    #[cfg(feature = "hydrate")]
    {
        if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
            return origin;
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_embeds_are_framable() {
        assert!(framable("/embed/ana"));
        assert!(framable("/embed/ana/chat"));
        for path in [
            "/",
            "/watch/ana",
            "/studio",
            "/embedded",
            "/api/post_chat",
            "/signin",
        ] {
            assert!(!framable(path), "{path}");
        }
    }

    #[test]
    fn the_iframe_code_escapes_the_title() {
        let code = iframe_code(
            "https://tv.example",
            "ana",
            "\"><script>x</script>",
            640,
            360,
        );
        assert!(code.starts_with("<iframe src=\"https://tv.example/embed/ana\""));
        assert!(code.contains("title=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""));
        assert!(!code.contains("<script>"));
    }

    #[test]
    fn the_oembed_address_carries_the_page_encoded() {
        assert_eq!(
            oembed_url("http://h", "http://h/watch/ana?t=1&x=2"),
            "http://h/oembed?format=json&url=http%3A%2F%2Fh%2Fwatch%2Fana%3Ft%3D1%26x%3D2"
        );
    }
}
