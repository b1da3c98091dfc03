//! The oEmbed answer (<https://oembed.com>, JSON only) for a page of this site, so a link
//! pasted into a chat app or a CMS shows a card: a channel's watch page is a `video` whose
//! `html` frames the embed; a replay or a clip is a `link` with its title and picture. Only
//! what anyone signed out may see: another site's page, a private recording, or a page that
//! is neither is not found.

use serde::Serialize;

use super::{EMBED_HEIGHT, EMBED_WIDTH, iframe_code};
use crate::accounts::rules::{channel_name, could_be_username};
use crate::server::site::Site;

/// A page oEmbed describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    Watch(String),
    Replay(i64),
    Clip(i64),
}

/// The page `url` names, when it is one of this site's that oEmbed describes.
pub fn page_of(url: &str, site: &Site) -> Option<Page> {
    let url = url::Url::parse(url).ok()?;
    if !matches!(url.scheme(), "http" | "https") || !site.answers_to(url.host_str()?) {
        return None;
    }
    let mut segments = url.path_segments()?;
    let page = match (segments.next()?, segments.next()?) {
        ("watch" | "embed", name) if could_be_username(name) => Page::Watch(channel_name(name)),
        ("replay", id) => Page::Replay(id.parse().ok()?),
        ("clip", id) => Page::Clip(id.parse().ok()?),
        _ => return None,
    };
    segments.next().is_none().then_some(page)
}

/// The answer: oEmbed's fields, those a type does not have left out.
#[derive(Clone, Debug, Serialize)]
pub struct Answer {
    pub version: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub provider_name: &'static str,
    pub provider_url: String,
    pub title: String,
    pub author_name: String,
    pub author_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail_width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail_height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// Thumbnails are made this size (channels' pictures are 320 wide, 16:9 as most broadcasts).
const THUMBNAIL: (u32, u32) = (320, 180);

impl Answer {
    /// A page that is a link with a picture (a replay, a clip).
    pub fn link(origin: &str, title: String, channel: &str, picture: String) -> Self {
        Self {
            version: "1.0",
            kind: "link",
            provider_name: "OnAir",
            provider_url: format!("{origin}/"),
            title,
            author_name: channel.to_string(),
            author_url: format!("{origin}/watch/{channel}"),
            thumbnail_url: Some(format!("{origin}{picture}")),
            thumbnail_width: Some(THUMBNAIL.0),
            thumbnail_height: Some(THUMBNAIL.1),
            html: None,
            width: None,
            height: None,
        }
    }

    /// A channel's player, framed at most `max` (width, height) when the consumer says so;
    /// its picture while it is live.
    pub fn player(
        origin: &str,
        title: String,
        channel: &str,
        live: bool,
        max: (Option<u32>, Option<u32>),
    ) -> Self {
        let (width, height) = fit((EMBED_WIDTH, EMBED_HEIGHT), max);
        let mut answer = Self::link(
            origin,
            title,
            channel,
            format!("/live/{channel}/thumbnail.jpg"),
        );
        if !live {
            answer.thumbnail_url = None;
            answer.thumbnail_width = None;
            answer.thumbnail_height = None;
        }
        answer.kind = "video";
        answer.html = Some(iframe_code(origin, channel, &answer.title, width, height));
        answer.width = Some(width);
        answer.height = Some(height);
        answer
    }
}

/// `size` scaled down (keeping its shape) to fit within the consumer's maximum, if any.
fn fit(
    (width, height): (u32, u32),
    (max_width, max_height): (Option<u32>, Option<u32>),
) -> (u32, u32) {
    let scale = [
        max_width.map(|m| m as f64 / width as f64),
        max_height.map(|m| m as f64 / height as f64),
    ]
    .into_iter()
    .flatten()
    .fold(1.0f64, f64::min)
    .max(0.0);
    (
        ((width as f64 * scale).round() as u32).max(1),
        ((height as f64 * scale).round() as u32).max(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site::new("tv.example", true)
    }

    #[test]
    fn pages_of_this_site_are_found_and_others_are_not() {
        let site = site();
        assert_eq!(
            page_of("https://tv.example/watch/Ana", &site),
            Some(Page::Watch("ana".into()))
        );
        assert_eq!(
            page_of("https://tv.example/embed/ana", &site),
            Some(Page::Watch("ana".into()))
        );
        assert_eq!(
            page_of("https://tv.example/replay/12?t=30", &site),
            Some(Page::Replay(12))
        );
        assert_eq!(
            page_of("http://127.0.0.1:3000/clip/7", &site),
            Some(Page::Clip(7))
        );
        for other in [
            "https://evil.example/watch/ana",
            "https://tv.example/studio",
            "https://tv.example/watch/ana/extra",
            "https://tv.example/replay/x",
            "https://tv.example/watch/a%20b",
            "javascript:alert(1)",
            "ftp://tv.example/watch/ana",
            "not a url",
        ] {
            assert_eq!(page_of(other, &site), None, "{other}");
        }
    }

    #[test]
    fn a_player_fits_the_consumers_maximum_and_keeps_its_shape() {
        assert_eq!(fit((640, 360), (None, None)), (640, 360));
        assert_eq!(fit((640, 360), (Some(320), None)), (320, 180));
        assert_eq!(fit((640, 360), (Some(1000), Some(90))), (160, 90));
        assert_eq!(fit((640, 360), (Some(0), None)), (1, 1));
        let answer = Answer::player(
            "https://tv.example",
            "A & B".into(),
            "ana",
            true,
            (Some(480), None),
        );
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(json["type"], "video");
        assert_eq!(json["width"], 480);
        assert_eq!(json["height"], 270);
        assert_eq!(
            json["thumbnail_url"],
            "https://tv.example/live/ana/thumbnail.jpg"
        );
        assert!(
            json["html"]
                .as_str()
                .unwrap()
                .contains("title=\"A &amp; B\"")
        );
        let offline = Answer::player("https://tv.example", "t".into(), "ana", false, (None, None));
        assert!(
            serde_json::to_value(&offline)
                .unwrap()
                .get("thumbnail_url")
                .is_none()
        );
    }
}
