//! Pages over real HTTP: rendered on the server (unknown channels are 404), a live channel's
//! thumbnail, and the studio page finishing its render under load.

use std::time::Duration;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_on_the_server_and_unknown_channels_are_404() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let base = format!("http://{}", server.addr);
    // Once media flows the channel is live.
    read_events(&format!("{base}/live/demo/events"), None, |e| {
        media_count(e) >= 1
    })
    .await;
    let client = reqwest::Client::new();
    let watch = client
        .get(format!("{base}/watch/demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(watch.status(), 200);
    // Pages cannot be framed by other sites, sniffed as another type, or leak the address.
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        assert_eq!(
            watch.headers().get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{name}"
        );
    }
    assert!(
        watch.headers().get("strict-transport-security").is_none(),
        "plain HTTP (the default) asks for no HTTPS"
    );
    // Scripts run only with this page's nonce, which its hydration scripts carry.
    let policy = watch.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a script nonce")
        .to_string();
    assert!(nonce.len() >= 16, "{nonce}");
    let html = watch.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the scripts carry it"
    );
    let scripts = html.matches("<script").count();
    let with_nonce = html.matches(&format!("<script nonce=\"{nonce}\"")).count()
        + html
            .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
            .count();
    assert_eq!(
        scripts, with_nonce,
        "every inline script has the nonce: {html}"
    );
    // The page asks for its stream from the head, where the stylesheet cannot hold it up.
    let stream = html.find("\"/live/demo/events\"").expect("the head start");
    let style = html.find("rel=\"stylesheet\"").expect("the stylesheet");
    assert!(stream < style, "{html}");
    assert!(
        html.contains("OnAir demo: test pattern"),
        "the title is server-rendered"
    );
    assert!(
        html.contains("data-state=\"live\""),
        "the channel's state is server-rendered"
    );
    let home = client
        .get(&base)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("href=\"/watch/demo\""),
        "the directory lists the demo channel"
    );
    assert!(
        !home.contains("onairEarlyEvents"),
        "only a watch page starts a stream early"
    );
    assert!(
        !home.contains("onairEarlyReplay"),
        "only a replay page starts a replay early"
    );
    for path in [
        "/live/nobody/events",
        "/live/nobody/thumbnail.jpg",
        "/watch/nobody",
    ] {
        let status = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{path}");
    }
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_channel_has_a_thumbnail_of_its_picture() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let base = format!("http://{}", server.addr);
    read_events(&format!("{base}/live/demo/events"), None, |e| {
        media_count(e) >= 1
    })
    .await;
    let response = reqwest::get(format!("{base}/live/demo/thumbnail.jpg"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let jpeg = response.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("thumbnail.jpg");
    std::fs::write(&path, &jpeg).unwrap();
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,width",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .expect("ffprobe is installed");
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "mjpeg,320");
    server.shutdown().await.unwrap();
}

/// The studio page, rendered on the server, resolves each of its parts (state, files, the
/// moderators; the ban list is fetched when opened). Leptos renders them more than once (first to find what they wait for), so calls from
/// a pass already thrown away may resume without the request's context: they must end, not
/// panic and leave the page waiting forever (40 pages at once made that happen every time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_studio_page_always_finishes_rendering() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let ana = browser();
    sign_up(&ana, &base, "studioana").await;
    let load = || async {
        let page = ana.get(format!("{base}/studio")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        page.text().await.unwrap()
    };
    for _ in 0..10 {
        let pages = tokio::time::timeout(
            Duration::from_secs(30),
            futures::future::join_all((0..40).map(|_| load())),
        )
        .await
        .expect("every studio page finishes within 30 s");
        for page in pages {
            assert!(
                page.contains("No moderators yet."),
                "the moderators resolved"
            );
            assert!(page.contains("Go live"), "the controls rendered");
        }
    }
    server.shutdown().await.unwrap();
}
