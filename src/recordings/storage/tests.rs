//! Both homes, the folder and a real S3-compatible server, keep and give back the same bytes.

use bytes::Bytes;
use futures::TryStreamExt;

use super::testing;
use super::{ByteStream, Ranged};

async fn read(body: ByteStream) -> Vec<u8> {
    body.try_fold(Vec::new(), |mut all, chunk| async move {
        all.extend_from_slice(&chunk);
        Ok(all)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_segment_written_in_pieces_is_read_back_whole_on_either_home() {
    for test in testing::each() {
        let (name, storage) = (test.name, &test.storage);
        storage
            .put_init(7, 1, Bytes::from_static(b"init"))
            .await
            .unwrap();
        let mut segment = storage.create_segment(7, 1).await.unwrap();
        segment.append(b"one").await.unwrap();
        segment.append(b"two").await.unwrap();
        assert_eq!(segment.written(), 6);
        assert_eq!(
            storage.written_segment(7, 1).await.unwrap().as_deref(),
            Some(&b"onetwo"[..]),
            "{name}"
        );
        // A crash's half fragment is cut off before the segment is sealed.
        storage.truncate_segment(7, 1, 3).await.unwrap();
        storage.seal_segment(7, 1).await.unwrap();
        storage.release_segment(7, 1).await.unwrap();

        assert_eq!(&storage.init(7, 1).await.unwrap()[..], b"init", "{name}");
        assert_eq!(
            storage.segment(7, 1).await.unwrap().as_deref(),
            Some(&b"one"[..]),
            "{name}"
        );
        let (body, len) = storage.open_segment(7, 1).await.unwrap();
        assert_eq!((read(body).await, len), (b"one".to_vec(), 3), "{name}");
        assert_eq!(storage.segment(7, 2).await.unwrap(), None, "{name}");
        assert!(storage.open_segment(7, 2).await.is_err(), "{name}");

        storage
            .put_thumbnail(7, 1, Bytes::from_static(b"jpeg"))
            .await
            .unwrap();
        assert_eq!(
            storage.thumbnail(7, 1).await.unwrap().as_deref(),
            Some(&b"jpeg"[..]),
            "{name}"
        );
        assert_eq!(storage.thumbnail(7, 2).await.unwrap(), None, "{name}");

        storage.remove(7).await.unwrap();
        assert!(storage.init(7, 1).await.is_err(), "{name}");
        assert_eq!(storage.segment(7, 1).await.unwrap(), None, "{name}");
        assert_eq!(storage.thumbnail(7, 1).await.unwrap(), None, "{name}");
        // Removing what is not there is not an error.
        storage.remove(7).await.unwrap();
    }
}

#[tokio::test]
async fn with_an_object_store_the_spool_keeps_only_what_is_not_home_yet() {
    let test = testing::each().pop().unwrap();
    let storage = &test.storage;
    let mut segment = storage.create_segment(3, 1).await.unwrap();
    segment.append(b"fragment").await.unwrap();
    // Written, not sealed: in the spool only; nothing is served from there.
    assert!(storage.written_segment(3, 1).await.unwrap().is_some());
    assert_eq!(storage.segment(3, 1).await.unwrap(), None);
    storage.seal_segment(3, 1).await.unwrap();
    assert_eq!(
        storage.segment(3, 1).await.unwrap().as_deref(),
        Some(&b"fragment"[..])
    );
    storage.release_segment(3, 1).await.unwrap();
    assert_eq!(storage.written_segment(3, 1).await.unwrap(), None);
    storage.release_spool(3).await.unwrap();
    assert!(!test.dir.path().join("3").exists());
}

#[tokio::test]
async fn a_clip_is_served_whole_or_by_the_range_asked_for_on_either_home() {
    let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    for test in testing::each() {
        let (name, storage) = (test.name, &test.storage);
        let scratch = storage.clip_scratch(5).await.unwrap();
        tokio::fs::write(&scratch, &data).await.unwrap();
        storage.keep_clip(9, &scratch).await.unwrap();
        assert!(!scratch.exists(), "{name}: the scratch file goes");
        storage
            .put_clip_picture(9, Bytes::from_static(b"jpeg"))
            .await
            .unwrap();

        match storage.clip(9, false, None).await.unwrap() {
            Some(Ranged::Whole { body, len }) => {
                assert_eq!(len, 10_000, "{name}");
                assert_eq!(read(body).await, data, "{name}");
            }
            _ => panic!("{name}: the whole clip"),
        }
        for (header, range) in [
            ("bytes=100-199", 100..=199),
            ("bytes=9990-", 9990..=9999),
            ("bytes=-5", 9995..=9999),
            ("bytes=9000-20000", 9000..=9999),
        ] {
            match storage.clip(9, false, Some(header)).await.unwrap() {
                Some(Ranged::Part {
                    body,
                    range: got,
                    total,
                }) => {
                    assert_eq!(
                        (got.clone(), total),
                        (range.clone(), 10_000),
                        "{name} {header}"
                    );
                    let want = &data[*range.start() as usize..=*range.end() as usize];
                    assert_eq!(read(body).await, want, "{name} {header}");
                }
                _ => panic!("{name}: {header} is a part"),
            }
        }
        assert!(
            matches!(
                storage.clip(9, false, Some("bytes=20000-")).await.unwrap(),
                Some(Ranged::Unsatisfiable { total: 10_000 })
            ),
            "{name}"
        );
        // A header that is not a range is ignored.
        assert!(
            matches!(
                storage.clip(9, false, Some("lines=1-2")).await.unwrap(),
                Some(Ranged::Whole { .. })
            ),
            "{name}"
        );
        match storage.clip(9, true, None).await.unwrap() {
            Some(Ranged::Whole { body, .. }) => assert_eq!(read(body).await, b"jpeg", "{name}"),
            _ => panic!("{name}: the clip's picture"),
        }
        assert!(
            storage.clip(10, false, None).await.unwrap().is_none(),
            "{name}"
        );
        storage.remove_clip(9).await.unwrap();
        assert!(
            storage.clip(9, false, None).await.unwrap().is_none(),
            "{name}"
        );
        assert!(
            storage.clip(9, true, None).await.unwrap().is_none(),
            "{name}"
        );
        storage.remove_clip(9).await.unwrap();
    }
}
