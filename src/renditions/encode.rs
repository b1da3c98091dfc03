//! The ladder's rungs below the source, as more outputs of the broadcast's one ffmpeg: the
//! decoded picture is split once and scaled per rung (to the rung's height, never taller than
//! the picture), each rung is encoded as the source rung is (see `broadcasts::source`) at its
//! own bitrate, and every rung has its keyframes at the same instants as the source rung, so a
//! viewer can move to any rung at any keyframe.

use super::ladder::Rung;
use crate::broadcasts::encoder::{Encoder, Keyframes};
use crate::broadcasts::source::{aac_args, fragmented_mp4_args};

/// What the rungs are made from and how they are cut.
#[derive(Clone, Debug)]
pub struct RungInput {
    /// ffmpeg's stream specifiers for the source's picture and sound (`0:v:0`, `1:a:0`).
    pub video: String,
    /// Its sound; a rung of sound alone is made only if the ladder names one.
    pub audio: String,
    /// The sound is passed through as it is (the source rung's is too), not encoded again.
    pub copy_audio: bool,
    pub fps: u32,
    pub audio_kbps: u32,
    pub fragment_ms: u32,
    pub keyframes: Keyframes,
    /// What encodes each picture rung (the source rung's encoder, when it has one).
    pub encoder: Encoder,
}

/// ffmpeg arguments that add `rungs` (a ladder without its source rung) as outputs, the n-th
/// written to `targets[n]`. Rungs without a target are left out. A picture rung takes the
/// source's sound if it has any.
pub fn rung_outputs(rungs: &[Rung], input: &RungInput, targets: &[String]) -> Vec<String> {
    let rungs: Vec<(&Rung, &String)> = rungs.iter().zip(targets).collect();
    let heights: Vec<u32> = rungs
        .iter()
        .filter_map(|(rung, _)| rung.size.map(|(_, height)| height))
        .collect();
    let mut args = Vec::new();
    if !heights.is_empty() {
        let mut graph = format!("[{}]split={}", input.video, heights.len());
        for n in 0..heights.len() {
            graph.push_str(&format!("[s{n}]"));
        }
        for (n, height) in heights.iter().enumerate() {
            let scale = format!("scale=-2:'trunc(min({height},ih)/2)*2'");
            let chain = input.encoder.chain(Some(&scale)).unwrap_or(scale);
            graph.push_str(&format!(";[s{n}]{chain}[r{n}]"));
        }
        args.extend(["-filter_complex".to_string(), graph]);
    }
    let mut next_scaled = 0;
    for (rung, target) in rungs {
        if rung.size.is_some() {
            args.extend(["-map".to_string(), format!("[r{next_scaled}]")]);
            next_scaled += 1;
            let kbps = rung.kbps.unwrap_or(1000);
            args.extend(input.encoder.h264_args(input.fps, kbps, input.keyframes));
            args.extend(["-map".to_string(), format!("{}?", input.audio)]);
        } else {
            args.extend(["-map".to_string(), input.audio.clone(), "-vn".into()]);
        }
        if input.copy_audio {
            args.extend(["-c:a".to_string(), "copy".into()]);
        } else {
            args.extend(aac_args(input.audio_kbps));
        }
        args.extend(fragmented_mp4_args(input.fragment_ms, target));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::renditions::ladder;

    /// The keyframes' times in `file`'s video, and its picture's height; None without video.
    fn keyframes_and_height(file: &std::path::Path) -> Option<(Vec<String>, u32)> {
        let probe = |args: &[&str]| {
            let out = std::process::Command::new("ffprobe")
                .args(["-v", "error", "-select_streams", "v:0"])
                .args(args)
                .arg(file)
                .output()
                .expect("ffprobe is installed");
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let height = probe(&["-show_entries", "stream=height", "-of", "csv=p=0"]);
        let height: u32 = height.parse().ok()?;
        let frames = probe(&[
            "-show_entries",
            "frame=key_frame,pts_time",
            "-of",
            "csv=p=0",
        ]);
        let keyframes = frames
            .lines()
            .filter_map(|line| line.strip_prefix("1,"))
            .map(str::to_string)
            .collect();
        Some((keyframes, height))
    }

    #[test]
    fn every_rung_has_its_keyframes_where_the_source_rung_has_them() {
        let setting = ladder::parse("source, 240p:300, 120p:150, audio").unwrap();
        let rungs = ladder::for_source(&setting, 640, 360);
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<String> = (0..rungs.len())
            .map(|n| {
                dir.path()
                    .join(format!("rung{n}.mp4"))
                    .display()
                    .to_string()
            })
            .collect();
        let input = RungInput {
            video: "0:v:0".into(),
            audio: "1:a:0".into(),
            copy_audio: false,
            fps: 30,
            audio_kbps: 64,
            fragment_ms: 200,
            keyframes: Keyframes::Every { secs: 1 },
            encoder: Encoder::Software,
        };
        let mut args: Vec<String> = [
            "-hide_banner",
            "-loglevel",
            "error",
            // Three seconds of each input, so every output ends.
            "-t",
            "3",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=30",
            "-t",
            "3",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
        ]
        .map(String::from)
        .to_vec();
        // The source rung, encoded under the same keyframe rule, as a broadcast's is.
        args.extend(["-map".into(), "0:v:0".into(), "-map".into(), "1:a:0".into()]);
        args.extend(input.encoder.h264_args(30, 800, input.keyframes));
        args.extend(aac_args(64));
        args.extend(fragmented_mp4_args(200, &files[0]));
        args.extend(rung_outputs(&rungs[1..], &input, &files[1..]));
        let made = std::process::Command::new("ffmpeg")
            .args(&args)
            .status()
            .expect("ffmpeg is installed");
        assert!(made.success(), "ffmpeg {args:?}");

        let (source_keyframes, source_height) =
            keyframes_and_height(std::path::Path::new(&files[0])).expect("the source rung");
        assert_eq!(source_height, 360);
        assert!(source_keyframes.len() >= 3, "{source_keyframes:?}");
        for (rung, file) in rungs.iter().zip(&files).skip(1) {
            let probed = keyframes_and_height(std::path::Path::new(file));
            match rung.size {
                Some((_, height)) => {
                    let (keyframes, made_height) = probed.expect("a picture");
                    assert_eq!(made_height, height, "{}", rung.name);
                    assert_eq!(keyframes, source_keyframes, "{}", rung.name);
                }
                None => assert!(probed.is_none(), "sound alone has no picture"),
            }
        }
    }

    #[test]
    fn a_passed_through_source_sets_the_keyframes_and_its_sound_is_copied() {
        let setting = ladder::parse("source, 240p:300, audio").unwrap();
        let rungs = ladder::for_source(&setting, 1280, 720);
        let input = RungInput {
            video: "0:v:0".into(),
            audio: "0:a:0".into(),
            copy_audio: true,
            fps: 30,
            audio_kbps: 96,
            fragment_ms: 200,
            keyframes: Keyframes::AsSource,
            encoder: Encoder::Software,
        };
        let targets = ["pipe:3".to_string(), "pipe:4".to_string()];
        let args = rung_outputs(&rungs[1..], &input, &targets);
        let has = |pair: [&str; 2]| args.windows(2).any(|w| w == pair);
        assert!(has(["-force_key_frames", "source"]), "{args:?}");
        assert!(has(["-c:a", "copy"]) && !has(["-c:a", "aac"]));
        // The picture rung's sound is optional; sound alone is not.
        assert!(has(["-map", "0:a:0?"]) && has(["-map", "0:a:0"]) && has(["0:a:0", "-vn"]));
        assert!(has([
            "-filter_complex",
            "[0:v:0]split=1[s0];[s0]scale=-2:'trunc(min(240,ih)/2)*2'[r0]"
        ]));
        assert_eq!(args.last().map(String::as_str), Some("pipe:4"));
    }
}
