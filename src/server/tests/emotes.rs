//! Emotes over real HTTP: the owner uploads, everyone fetches our own PNG of it, chat counts
//! them, and bad uploads are refused with a reason.

use super::support::{SERIAL, answer, browser, call, png, sign_up, start_server_with};
use crate::error::AppError;

async fn upload(client: &reqwest::Client, base: &str, name: &str, body: Vec<u8>) -> (u16, String) {
    let response = client
        .post(format!("{base}/emotes/host/{name}"))
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_uploads_emotes_that_everyone_gets_as_our_own_small_png() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let (host, fan) = (browser(), browser());
    sign_up(&host, &base, "host").await;
    sign_up(&fan, &base, "fan").await;

    let (status, _) = upload(&browser(), &base, "wave", png(64, 64)).await;
    assert_eq!(status, 401, "signed out");
    let (status, _) = upload(&fan, &base, "wave", png(64, 64)).await;
    assert_eq!(status, 403, "not the owner");
    let (status, said) = upload(&host, &base, "no-dash", png(64, 64)).await;
    assert!(
        status == 400 && said.contains("letters, digits or _"),
        "{status} {said}"
    );
    let (status, said) = upload(
        &host,
        &base,
        "evil",
        b"<svg onload=alert(1)></svg>".to_vec(),
    )
    .await;
    assert!(
        status == 400 && said.contains("PNG, GIF or WebP"),
        "{status} {said}"
    );
    let (status, said) = upload(&host, &base, "huge", vec![0x89; 600 << 10]).await;
    assert!(status == 413 && said.contains("512 KiB"), "{status} {said}");

    let (status, said) = upload(&host, &base, "wave", png(448, 224)).await;
    assert_eq!(status, 201, "{said}");
    let (status, said) = upload(&host, &base, "wave", png(8, 8)).await;
    assert!(status == 400 && said.contains("already"), "{status} {said}");
    let names: Vec<String> = answer(&fan, &base, "emotes", &[("channel", "host")]).await;
    assert_eq!(names, ["wave"]);

    // Served as our own PNG, shrunk to 112 px, kept a little while by browsers.
    let served = reqwest::get(format!("{base}/emotes/host/wave"))
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["cache-control"], "public, max-age=300");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    let picture = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
    assert_eq!((picture.width(), picture.height()), (112, 56));
    assert_eq!(
        reqwest::get(format!("{base}/emotes/host/nope"))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        reqwest::get(format!("{base}/emotes/host/..%2F..%2Fetc"))
            .await
            .unwrap()
            .status(),
        404
    );

    // A message shows at most 20 emotes.
    let say = |text: String| {
        let (fan, base) = (fan.clone(), base.clone());
        async move {
            call(
                &fan,
                &base,
                "post_chat",
                Some(&[("channel", "host"), ("text", &text)]),
                None,
            )
            .await
            .map(drop)
        }
    };
    say(":wave: ".repeat(20)).await.unwrap();
    let bomb = say(":wave:".repeat(21)).await.unwrap_err();
    assert!(
        matches!(&bomb, AppError::Invalid(t) if t.contains("at most 20 emotes")),
        "{bomb:?}"
    );

    // Only the owner deletes; then it is gone.
    let form = [("channel", "host"), ("name", "wave")];
    assert!(matches!(
        call(&fan, &base, "delete_emote", Some(&form), None).await,
        Err(AppError::Forbidden(_))
    ));
    call(&host, &base, "delete_emote", Some(&form), None)
        .await
        .unwrap();
    assert_eq!(
        reqwest::get(format!("{base}/emotes/host/wave"))
            .await
            .unwrap()
            .status(),
        404
    );

    server.shutdown().await.unwrap();
}
