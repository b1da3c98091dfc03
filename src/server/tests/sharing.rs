//! Reaching beyond the site over real HTTP: only the embeds may be framed, the chat overlay's
//! stream carries the chat alone and counts no viewer, and a link to a page previews as a card
//! (Open Graph tags, oEmbed).

use eventsource_stream::Eventsource;

use super::support::*;
use crate::live::wire::ChatEvent;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_embeds_may_be_framed_by_other_sites() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let base = format!("http://{}", server.addr);
    let client = reqwest::Client::new();
    let framing = |response: &reqwest::Response| {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        (header("x-frame-options"), header("content-security-policy"))
    };
    for path in ["/embed/demo", "/embed/demo/chat"] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let (deny, policy) = framing(&response);
        assert_eq!(deny, None, "{path}");
        let policy = policy.unwrap_or_default();
        assert!(policy.contains("frame-ancestors *"), "{path}: {policy}");
        assert!(
            policy.contains("script-src 'nonce-"),
            "{path} keeps its script policy"
        );
        let html = response.text().await.unwrap();
        assert!(!html.contains("class=\"topbar\""), "{path} has no site bar");
        assert!(html.contains("class=\"embed"), "{path}");
        assert_eq!(
            html.contains("onairEarlyEvents"),
            path == "/embed/demo",
            "{path}: only the player starts its stream early"
        );
    }
    for path in [
        "/",
        "/watch/demo",
        "/studio",
        "/signin",
        "/nothing/here",
        "/embedded",
        "/live/demo/thumbnail.jpg",
        "/oembed?format=json&url=x",
        "/health",
    ] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        let (deny, policy) = framing(&response);
        assert_eq!(deny.as_deref(), Some("DENY"), "{path}");
        let policy = policy.unwrap_or_default();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
    }
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_overlay_reads_the_chat_alone_and_is_no_viewer() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let base = format!("http://{}", server.addr);
    let refused = reqwest::get(format!("{base}/live/demo/events?only=video"))
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("`chat`"));

    let overlay = reqwest::get(format!("{base}/live/demo/events?only=chat"))
        .await
        .unwrap();
    assert_eq!(overlay.status(), 200);
    let mut overlay = overlay.bytes_stream().eventsource();
    assert_eq!(next_event(&mut overlay, "status").await.event, "status");
    let mut watching = reqwest::get(format!("{base}/live/demo/events?viewer=tab1"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    assert_eq!(
        next_viewer_count(&mut watching).await,
        1,
        "the overlay is not counted"
    );
    next_event(&mut watching, "media").await;
    let ana = browser();
    sign_up(&ana, &base, "overlayana").await;
    call(
        &ana,
        &base,
        "post_chat",
        Some(&[("channel", "demo"), ("text", "hello overlay")]),
        None,
    )
    .await
    .unwrap();
    // The overlay's next event but the channel's status is the message: no init, media or
    // count came before it.
    let next = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let event = futures::StreamExt::next(&mut overlay)
                .await
                .expect("open")
                .expect("well-formed");
            if !["message", "status"].contains(&event.event.as_str()) {
                return event;
            }
        }
    })
    .await
    .expect("the message arrives");
    assert_eq!(next.event, "chat");
    let message: ChatEvent = serde_json::from_str(&next.data).unwrap();
    assert_eq!(
        (message.author.as_str(), message.text.as_str()),
        ("overlayana", "hello overlay")
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_to_a_page_previews_as_a_card() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let base = format!("http://{}", server.addr);
    read_events(&format!("{base}/live/demo/events"), None, |e| {
        media_count(e) >= 1
    })
    .await;
    let html = reqwest::get(format!("{base}/watch/demo"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for tag in [
        "property=\"og:title\" content=\"OnAir demo: test pattern\"".to_string(),
        format!("property=\"og:url\" content=\"{base}/watch/demo\""),
        format!("property=\"og:image\" content=\"{base}/live/demo/thumbnail.jpg\""),
        "name=\"twitter:card\" content=\"summary_large_image\"".to_string(),
        "is live now on OnAir".to_string(),
        "type=\"application/json+oembed\"".to_string(),
    ] {
        assert!(html.contains(&tag), "{tag} in {html}");
    }
    let oembed = |query: String| {
        let url = format!("{base}/oembed?{query}");
        async move { reqwest::get(url).await.unwrap() }
    };
    let page = format!("{base}/watch/demo");
    let encoded: String = form_urlencoded::byte_serialize(page.as_bytes()).collect();
    let answer = oembed(format!("format=json&url={encoded}&maxwidth=320")).await;
    assert_eq!(answer.status(), 200);
    let answer: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(answer["type"], "video");
    assert_eq!(answer["version"], "1.0");
    assert_eq!(answer["title"], "OnAir demo: test pattern");
    assert_eq!(
        (answer["width"].as_u64(), answer["height"].as_u64()),
        (Some(320), Some(180))
    );
    let frame = answer["html"].as_str().unwrap();
    assert!(
        frame.contains(&format!("src=\"{base}/embed/demo\"")),
        "{frame}"
    );
    // The card's picture is there to be fetched.
    let picture = reqwest::get(answer["thumbnail_url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(picture.status(), 200);

    let other: String =
        form_urlencoded::byte_serialize(b"https://elsewhere.example/watch/demo").collect();
    assert_eq!(oembed(format!("url={other}")).await.status(), 404);
    let nobody: String =
        form_urlencoded::byte_serialize(format!("{base}/watch/nobody").as_bytes()).collect();
    assert_eq!(oembed(format!("url={nobody}")).await.status(), 404);
    assert_eq!(
        oembed(format!("url={encoded}&format=xml")).await.status(),
        501
    );
    let missing = oembed("format=json".into()).await;
    assert_eq!(missing.status(), 400);
    assert!(missing.text().await.unwrap().contains("url"));
    server.shutdown().await.unwrap();
}
