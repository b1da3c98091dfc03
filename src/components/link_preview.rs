//! What a chat app or a social site shows for a pasted link to a page: Open Graph and Twitter
//! card tags in the page's head (title, what it is, its picture, the video itself for a clip),
//! and the page's oEmbed address (`/oembed`). Addresses in them are absolute, as those readers
//! need.

use leptos::prelude::*;
use leptos_meta::{Link, Meta};

use crate::sharing::{oembed_url, page_origin};

/// `path`, `picture` and `video` are this site's paths; `picture` None: the page has none
/// (an offline channel).
#[component]
pub fn LinkPreview(
    title: String,
    description: String,
    path: String,
    picture: Option<String>,
    #[prop(optional)] video: Option<String>,
) -> impl IntoView {
    let origin = page_origin();
    let url = format!("{origin}{path}");
    let oembed = oembed_url(&origin, &url);
    let card = if picture.is_some() {
        "summary_large_image"
    } else {
        "summary"
    };
    let picture = picture.map(|picture| {
        let picture = format!("{origin}{picture}");
        view! {
            <Meta property="og:image" content=picture.clone()/>
            <Meta name="twitter:image" content=picture/>
        }
    });
    let video = video.map(|video| {
        view! {
            <Meta property="og:video" content=format!("{origin}{video}")/>
            <Meta property="og:video:type" content="video/mp4"/>
        }
    });
    view! {
        <Meta property="og:site_name" content="OnAir"/>
        <Meta property="og:type" content="video.other"/>
        <Meta property="og:title" content=title.clone()/>
        <Meta property="og:description" content=description.clone()/>
        <Meta property="og:url" content=url/>
        <Meta name="description" content=description.clone()/>
        <Meta name="twitter:card" content=card/>
        <Meta name="twitter:title" content=title.clone()/>
        <Meta name="twitter:description" content=description/>
        {picture}
        {video}
        <Link rel="alternate" type_="application/json+oembed" href=oembed title=title/>
    }
}
