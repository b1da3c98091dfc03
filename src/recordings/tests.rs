//! The recorder and the recovery on real ffmpeg output, on both databases and both homes (the
//! folder, a real S3-compatible server): what is written is indexed as back-to-back segments
//! that each start at a keyframe, and a recording cut in the middle of a fragment keeps every
//! whole fragment before it.

use super::api::RecordingState;
use super::recorder::Recording;
use super::storage::{Storage, testing as homes};
use super::store;
use crate::broadcasts::api::EndReason;
use crate::db::testing;
use crate::live::splitter::{Fragment, InitSegment, Piece, Splitter};

fn split(bytes: &[u8]) -> (InitSegment, Vec<Fragment>) {
    let mut splitter = Splitter::new();
    let mut init = None;
    let mut fragments = Vec::new();
    for piece in splitter.push(bytes).expect("ffmpeg's output splits") {
        match piece {
            Piece::Init(i) => init = Some(i),
            Piece::Fragment(f) => fragments.push(f),
        }
    }
    (init.expect("an init segment"), fragments)
}

/// The fragments of `data` after `init`, as the splitter reads them.
fn fragments_of(init: &InitSegment, data: &[u8]) -> Vec<Fragment> {
    let mut splitter = Splitter::new();
    splitter.push(&init.data).unwrap();
    splitter
        .push(data)
        .unwrap()
        .into_iter()
        .filter_map(|p| match p {
            Piece::Fragment(f) => Some(f),
            Piece::Init(_) => None,
        })
        .collect()
}

/// A broadcast of ana's on record, and its recording begun: the recording's id.
async fn recorded_broadcast(db: &crate::db::Db) -> i64 {
    let id = crate::broadcasts::store::begin(db, "ana", "Test", "test pattern")
        .await
        .unwrap();
    store::begin(db, id, "ana", "Test", 1).await.unwrap();
    id
}

/// Records `init` and `fragments` as recording `id` through its tap, to the end.
async fn record<'a>(
    db: &crate::db::Db,
    storage: &Storage,
    id: i64,
    init: &InitSegment,
    fragments: impl IntoIterator<Item = &'a Fragment>,
) {
    let recording = Recording::start(db.clone(), storage.clone(), id, "ana".into());
    let tap = recording.tap();
    tap.init(init);
    for fragment in fragments {
        tap.fragment(fragment);
    }
    recording.finish().await;
}

/// Each database with each home.
async fn every_pair() -> Vec<(testing::TestDb, homes::TestStorage)> {
    let mut pairs = Vec::new();
    for which in 0..2 {
        for test_db in testing::each().await {
            pairs.push((test_db, homes::each().swap_remove(which)));
        }
    }
    pairs
}

fn seconds(fragments: &[Fragment]) -> f64 {
    fragments.iter().filter_map(|f| f.duration_secs).sum()
}

#[tokio::test]
async fn a_broadcast_is_written_as_back_to_back_segments_each_from_a_keyframe() {
    let (init, fragments) = split(&crate::live::testing::encode_test_pattern(4));
    for (test_db, home) in every_pair().await {
        let db = test_db.db();
        let storage = &home.storage;
        let id = recorded_broadcast(db).await;
        record(db, storage, id, &init, &fragments).await;

        let row = store::get(db, id)
            .await
            .unwrap()
            .expect("the recording's row");
        assert_eq!(row.state, RecordingState::Complete);
        let segments = store::segments(db, id).await.unwrap();
        assert!(
            segments.len() >= 3,
            "4 s with a keyframe a second: {segments:?}"
        );
        assert_eq!(segments[0].at_ms(), 0);
        let mut bytes = 0;
        let mut played = 0.0;
        for pair in segments.windows(2) {
            assert_eq!(
                pair[1].at_ms(),
                pair[0].end_ms(),
                "no gap, no overlap: {segments:?}"
            );
            assert_eq!(pair[1].seq(), pair[0].seq() + 1);
        }
        for segment in &segments {
            let data = storage
                .segment(id, segment.seq())
                .await
                .unwrap()
                .expect("its file");
            let inside = fragments_of(&init, &data);
            assert!(
                inside[0].keyframe,
                "segment {} starts at a keyframe",
                segment.seq()
            );
            assert_eq!(
                inside.iter().map(|f| f.data.len()).sum::<usize>(),
                data.len(),
                "whole fragments only"
            );
            assert!((seconds(&inside) * 1000.0 - segment.duration_ms() as f64).abs() <= 1.0);
            bytes += data.len() as i64;
            played += seconds(&inside);
        }
        assert_eq!(row.bytes, bytes);
        assert!((row.duration_ms as f64 - played * 1000.0).abs() <= segments.len() as f64);
        // Everything the broadcast sent is in it (it starts at the first keyframe).
        assert!(
            (played - seconds(&fragments)).abs() < 0.01,
            "{played} of {}",
            seconds(&fragments)
        );
        assert_eq!(store::inits(db, id).await.unwrap().len(), 1);
        assert_eq!(&storage.init(id, 1).await.unwrap()[..], &init.data[..]);
    }
}

#[tokio::test]
async fn a_recording_cut_in_the_middle_of_a_fragment_keeps_every_whole_one_before() {
    let (init, fragments) = split(&crate::live::testing::encode_test_pattern(3));
    // The first two keyframe groups.
    let starts: Vec<usize> = (0..fragments.len())
        .filter(|&i| fragments[i].keyframe)
        .collect();
    assert!(starts.len() >= 3, "a keyframe a second");
    let (first, second) = (
        &fragments[starts[0]..starts[1]],
        &fragments[starts[1]..starts[2]],
    );
    let torn = &fragments[starts[2]];
    for (test_db, home) in every_pair().await {
        let db = test_db.db();
        let storage = &home.storage;
        let id = recorded_broadcast(db).await;
        // What a server killed while writing leaves: the first segment indexed, the second
        // on disk with half of a third group's first fragment after it.
        record(db, storage, id, &init, first.iter().chain(second)).await;
        let segments = store::segments(db, id).await.unwrap();
        assert_eq!(segments.len(), 2);
        sqlx::query("DELETE FROM recording_segments WHERE recording = $1 AND seq = 2")
            .bind(id)
            .execute(db)
            .await
            .unwrap();
        sqlx::query("UPDATE recordings SET state = 'recording', duration_ms = $1 WHERE id = $2")
            .bind(segments[0].end_ms())
            .bind(id)
            .execute(db)
            .await
            .unwrap();
        let mut file = storage.create_segment(id, 2).await.unwrap();
        for fragment in second {
            file.append(&fragment.data).await.unwrap();
        }
        file.append(&torn.data[..torn.data.len() / 2])
            .await
            .unwrap();
        // A recording whose broadcast is still on air (another instance's) is left alone.
        super::recovery::close_left_open(db, storage).await.unwrap();
        assert_eq!(
            store::get(db, id).await.unwrap().unwrap().state,
            RecordingState::Recording
        );
        crate::broadcasts::store::end(db, id, EndReason::Interrupted, None, 0)
            .await
            .unwrap();

        assert_eq!(
            super::recovery::close_left_open(db, storage).await.unwrap(),
            1
        );
        let row = store::get(db, id).await.unwrap().unwrap();
        assert_eq!(row.state, RecordingState::Cut);
        assert!(row.problem.unwrap().contains("stopped while recording"));
        let after = store::segments(db, id).await.unwrap();
        assert_eq!(after.len(), 2);
        assert_eq!(after[1].at_ms(), after[0].end_ms());
        let kept = storage.segment(id, 2).await.unwrap().unwrap();
        let whole: usize = second.iter().map(|f| f.data.len()).sum();
        assert_eq!(kept.len(), whole, "the torn fragment is cut off");
        assert!((after[1].duration_ms() as f64 - seconds(second) * 1000.0).abs() <= 1.0);
        assert_eq!(row.duration_ms, after[1].end_ms());
        // Closed once: a second start finds nothing to close.
        assert_eq!(
            super::recovery::close_left_open(db, storage).await.unwrap(),
            0
        );
    }
}

#[tokio::test]
async fn retention_removes_the_oldest_finished_recordings_and_never_one_being_written() {
    use super::retention::Retention;
    use super::{Recordings, RecordingsConfig};
    for (test_db, home) in every_pair().await {
        let db = test_db.db();
        let storage = &home.storage;
        let now = crate::clock::now_ms();
        let day = 24 * 3600 * 1000;
        // (started days ago, MiB, still being written)
        let made: [(u64, i64, bool); 4] = [
            (40, 1, false),
            (20, 2, false),
            (10, 2, false),
            (50, 3, true),
        ];
        let mut ids = Vec::new();
        for (days_ago, mib, writing) in made {
            let id = crate::broadcasts::store::begin(db, "ana", "T", "test pattern")
                .await
                .unwrap();
            store::begin(db, id, "ana", "T", now - days_ago * day)
                .await
                .unwrap();
            sqlx::query("UPDATE recordings SET bytes = $1, state = $2 WHERE id = $3")
                .bind(mib << 20)
                .bind(if writing { "recording" } else { "complete" })
                .bind(id)
                .execute(db)
                .await
                .unwrap();
            storage
                .put_init(id, 1, bytes::Bytes::from_static(b"init"))
                .await
                .unwrap();
            ids.push(id);
        }
        let recordings = Recordings::new(
            db.clone(),
            RecordingsConfig {
                enabled: true,
                dir: home.dir.path().to_path_buf(),
                objects: home.objects.clone(),
                ffmpeg: "ffmpeg".into(),
                limits: crate::child_process::ChildLimits {
                    memory_bytes: 256 << 20,
                    cpu_secs: None,
                },
                // 30 days, and 6 MiB in all: the 40-day-old one goes for its age, then the
                // 20-day-old for room (3 + 2 + 2 = 7 MiB > 6); the one being written stays.
                retention: Retention {
                    keep_days: 30,
                    max_total_bytes: 6 << 20,
                },
                unrecorded: Vec::new(),
            },
        )
        .unwrap();
        assert_eq!(recordings.sweep().await.unwrap(), 2);
        for (id, kept) in ids.iter().zip([false, false, true, true]) {
            assert_eq!(
                store::get(db, *id).await.unwrap().is_some(),
                kept,
                "recording {id}"
            );
            assert_eq!(
                storage.init(*id, 1).await.is_ok(),
                kept,
                "{}: files of {id}",
                home.name
            );
        }
        assert_eq!(recordings.sweep().await.unwrap(), 0, "within bounds now");
    }
}

#[tokio::test]
async fn a_full_disk_stops_the_recording_with_a_reason_and_keeps_what_was_written() {
    let (init, fragments) = split(&crate::live::testing::encode_test_pattern(3));
    let test_db = testing::sqlite().await;
    let db = test_db.db();
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::new(dir.path());
    let id = recorded_broadcast(db).await;
    // The second segment's file is a disk with no room left (writes fail with ENOSPC).
    std::fs::create_dir_all(dir.path().join(id.to_string())).unwrap();
    std::os::unix::fs::symlink("/dev/full", dir.path().join(id.to_string()).join("2.m4s")).unwrap();
    // The tap never blocks nor fails, whatever the writer meets.
    record(db, &storage, id, &init, &fragments).await;
    let row = store::get(db, id).await.unwrap().unwrap();
    assert_eq!(row.state, RecordingState::Stopped);
    assert_eq!(row.problem.as_deref(), Some("the recordings' disk is full"));
    let kept = store::segments(db, id).await.unwrap();
    assert_eq!(
        kept.len(),
        1,
        "the first segment, written before, stays playable"
    );
    assert!(kept[0].duration_ms() >= 900);
}

#[tokio::test]
async fn an_object_store_that_is_down_stops_the_recording_with_its_reason_within_seconds() {
    let (init, fragments) = split(&crate::live::testing::encode_test_pattern(2));
    let test_db = testing::sqlite().await;
    let db = test_db.db();
    let spool = tempfile::tempdir().unwrap();
    // Nothing listens on the discard port.
    let mut config = homes::fresh_objects();
    config.endpoint = "http://127.0.0.1:9".into();
    let store = super::storage::objects::open(&config).unwrap();
    let storage = Storage::with_objects(spool.path(), store);
    let id = recorded_broadcast(db).await;
    let started = std::time::Instant::now();
    record(db, &storage, id, &init, &fragments).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "gave up after {:?}",
        started.elapsed()
    );
    let row = store::get(db, id).await.unwrap().unwrap();
    assert_eq!(row.state, RecordingState::Stopped);
    let why = row.problem.unwrap();
    assert!(why.contains("the object store"), "{why}");
    assert!(store::segments(db, id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_channels_recordings_come_a_page_at_a_time_newest_first() {
    for test_db in testing::each().await {
        let db = test_db.db();
        // Five recordings, two of them started in the same millisecond; one is private.
        let mut ids = Vec::new();
        for (started, private) in [
            (10, false),
            (20, false),
            (20, false),
            (30, true),
            (40, false),
        ] {
            let id = crate::broadcasts::store::begin(db, "ana", "T", "test pattern")
                .await
                .unwrap();
            store::begin(db, id, "ana", "T", started).await.unwrap();
            sqlx::query("UPDATE recordings SET duration_ms = 1000, visibility = $1 WHERE id = $2")
                .bind(if private { "private" } else { "public" })
                .bind(id)
                .execute(db)
                .await
                .unwrap();
            ids.push(id);
        }
        let page = |all: bool, before: Option<i64>| async move {
            store::by_channel(db, "ana", all, 2, before)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        // Newest first; of the same moment, the later id first.
        assert_eq!(page(true, None).await, vec![ids[4], ids[3]]);
        assert_eq!(page(true, Some(ids[3])).await, vec![ids[2], ids[1]]);
        assert_eq!(page(true, Some(ids[1])).await, vec![ids[0]]);
        assert_eq!(page(true, Some(ids[0])).await, Vec::<i64>::new());
        // Others never see the private one, on any page.
        assert_eq!(page(false, None).await, vec![ids[4], ids[2]]);
        assert_eq!(page(false, Some(ids[2])).await, vec![ids[1], ids[0]]);
        // A recording that is not there starts no page.
        assert_eq!(page(true, Some(i64::MAX)).await, Vec::<i64>::new());
    }
}
