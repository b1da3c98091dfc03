//! A channel's avatar over real HTTP: the owner uploads, everyone gets our own PNG of it, and
//! an off-air channel with no recorded broadcast shows it as its picture.

use super::support::{SERIAL, answer, browser, call, png, sign_up, start_server_with};
use crate::error::AppError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_sets_an_avatar_shown_for_the_channel_off_air() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let (host, fan) = (browser(), browser());
    sign_up(&host, &base, "host").await;
    sign_up(&fan, &base, "fan").await;
    let upload = |client: &reqwest::Client, body: Vec<u8>| {
        let request = client
            .post(format!("{base}/avatars/host"))
            .body(body)
            .send();
        async move {
            let response = request.await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let get = |path: &str| reqwest::get(format!("{base}{path}"));

    assert_eq!(get("/avatars/host").await.unwrap().status(), 404);
    assert_eq!(get("/live/host/thumbnail.jpg").await.unwrap().status(), 404);
    assert_eq!(upload(&browser(), png(8, 8)).await.0, 401);
    assert_eq!(upload(&fan, png(8, 8)).await.0, 403);
    let (status, said) = upload(&host, b"\x89PNG\r\n\x1a\nbroken".to_vec()).await;
    assert!(
        status == 400 && said.contains("could not be read"),
        "{status} {said}"
    );
    let (status, said) = upload(&host, vec![0; 600 << 10]).await;
    assert!(status == 413 && said.contains("512 KiB"), "{status} {said}");

    let (status, said) = upload(&host, png(600, 300)).await;
    assert_eq!(status, 204, "{said}");
    let has: bool = answer(&fan, &base, "has_avatar", &[("channel", "host")]).await;
    assert!(has);
    let served = get("/avatars/host").await.unwrap();
    assert_eq!(served.headers()["content-type"], "image/png");
    let avatar = served.bytes().await.unwrap();
    let picture = image::load_from_memory(&avatar).unwrap();
    assert_eq!(
        (picture.width(), picture.height()),
        (256, 128),
        "our own, made small"
    );
    // Off air with nothing recorded, the channel's picture is its avatar.
    let card = get("/live/host/thumbnail.jpg").await.unwrap();
    assert_eq!(card.status(), 200);
    assert_eq!(card.bytes().await.unwrap(), avatar);

    assert!(matches!(
        call(
            &fan,
            &base,
            "remove_avatar",
            Some(&[("channel", "host")]),
            None
        )
        .await,
        Err(AppError::Forbidden(_))
    ));
    call(
        &host,
        &base,
        "remove_avatar",
        Some(&[("channel", "host")]),
        None,
    )
    .await
    .unwrap();
    assert_eq!(get("/avatars/host").await.unwrap().status(), 404);
    assert_eq!(get("/live/host/thumbnail.jpg").await.unwrap().status(), 404);

    server.shutdown().await.unwrap();
}
