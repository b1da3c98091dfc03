//! Cutting clips: which segments a clip takes (from the keyframe at or before its start,
//! within one encoder run), and the ffmpeg run that copies them into one MP4 (`-c copy`, moov
//! first for a quick start), fed on stdin from the recording's storage: nothing a user sends
//! reaches ffmpeg's arguments but numbers we computed.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use super::api::SegmentEntry;
use super::storage::Storage;
use crate::child_process::ChildLimits;

/// How long cutting a clip may take.
const CUT_TIMEOUT: Duration = Duration::from_secs(30);
/// Processor seconds a cut may use.
const CUT_CPU_SECS: u64 = 20;

/// The segments a clip takes and the range it covers.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub run: i64,
    pub seqs: Vec<i64>,
    /// Where the clip starts on the recording's timeline (a keyframe), and how long it is.
    pub from_ms: i64,
    pub duration_ms: i64,
}

/// The clip of `from_ms..to_ms` out of `segments` (in order): from the segment holding
/// `from_ms`, up to the one holding the end, within the run `from_ms` is in.
pub fn plan(segments: &[SegmentEntry], from_ms: i64, to_ms: i64) -> Option<Plan> {
    let first = segments
        .iter()
        .rposition(|s| s.at_ms() <= from_ms)
        .or_else(|| (!segments.is_empty()).then_some(0))?;
    let run = segments[first].run();
    let start = segments[first].at_ms();
    let taken: Vec<&SegmentEntry> = segments[first..]
        .iter()
        .take_while(|s| s.run() == run && s.at_ms() < to_ms)
        .collect();
    let end = taken.last()?.end_ms().min(to_ms);
    (end > start).then(|| Plan {
        run,
        seqs: taken.iter().map(|s| s.seq()).collect(),
        from_ms: start,
        duration_ms: end - start,
    })
}

/// Copies `plan`'s segments of `recording` into one MP4 at `out`.
pub async fn cut(
    ffmpeg: &str,
    limits: ChildLimits,
    storage: &Storage,
    recording: i64,
    plan: &Plan,
    out: &Path,
) -> Result<(), String> {
    let init = storage
        .init(recording, plan.run)
        .await
        .map_err(|e| format!("the recording's init segment: {e}"))?;
    let length = format!("{:.3}", plan.duration_ms as f64 / 1000.0);
    let mut child = crate::child_process::command(ffmpeg, limits.with_cpu_secs(CUT_CPU_SECS))
        .args([
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "mp4",
            "-i",
            "pipe:0",
        ])
        .args([
            "-t",
            &length,
            "-map",
            "0",
            "-c",
            "copy",
            "-movflags",
            "+faststart",
        ])
        .args(["-f", "mp4", "-y"])
        .arg(out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {ffmpeg}: {e}"))?;
    let Some(mut stdin) = child.stdin.take() else {
        return Err("ffmpeg has no stdin".into());
    };
    let feed = async move {
        stdin.write_all(&init).await?;
        for &seq in &plan.seqs {
            let (mut body, _) = storage.open_segment(recording, seq).await?;
            while let Some(chunk) = body.next().await {
                stdin.write_all(&chunk?).await?;
            }
        }
        // stdin drops here: ffmpeg sees the end of its input.
        Ok::<(), std::io::Error>(())
    };
    let run = async {
        // ffmpeg may stop reading once it has its length: a cut-off feed is not a failure.
        let _ = feed.await;
        child.wait_with_output().await
    };
    let output = tokio::time::timeout(CUT_TIMEOUT, run)
        .await
        .map_err(|_| "ffmpeg took too long".to_string())?
        .map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        let said = String::from_utf8_lossy(&output.stderr);
        Err(format!(
            "ffmpeg failed ({}): {}",
            output.status,
            said.lines().last().unwrap_or("")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments() -> Vec<SegmentEntry> {
        vec![
            SegmentEntry(1, 1, 0, 1000, 0, 0),
            SegmentEntry(2, 1, 1000, 1000, 0, 0),
            SegmentEntry(3, 1, 2000, 1000, 0, 0),
            // An encoder restart.
            SegmentEntry(4, 2, 3000, 1000, 0, 0),
        ]
    }

    #[test]
    fn a_clip_starts_at_the_keyframe_before_its_start_and_ends_where_asked() {
        let plan = plan(&segments(), 1500, 2600).unwrap();
        assert_eq!(plan.seqs, vec![2, 3]);
        assert_eq!((plan.from_ms, plan.duration_ms), (1000, 1600));
    }

    #[test]
    fn a_clip_stays_within_one_run() {
        let plan = plan(&segments(), 2500, 3900).unwrap();
        assert_eq!(plan.seqs, vec![3]);
        assert_eq!((plan.from_ms, plan.duration_ms), (2000, 1000));
    }

    #[test]
    fn a_clip_of_nothing_is_none() {
        assert_eq!(plan(&[], 0, 1000), None);
        assert_eq!(plan(&segments(), 500, 0), None);
    }
}
