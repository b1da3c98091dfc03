//! The ladder's rungs below the source, as more outputs of the broadcast's one ffmpeg: the
//! decoded picture is split once and scaled per rung, each rung is encoded as the source rung
//! is (low-latency H.264, fragmented MP4 with a producer time before each fragment) at its own
//! bitrate, and every rung has its keyframes at the same instants as the source rung, so a
//! viewer can move to any rung at any keyframe.

use super::ladder::Rung;

/// Where every rung's keyframes fall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyframes {
    /// Wherever the source has one: the source rung is the publisher's stream, passed through.
    AsSource,
    /// Every `secs` seconds, the source rung encoded under the same rule.
    Every { secs: u32 },
}

impl Keyframes {
    /// ffmpeg's `-force_key_frames` value for it.
    pub fn force(self) -> String {
        match self {
            Keyframes::AsSource => "source".into(),
            Keyframes::Every { secs } => format!("expr:gte(t,n_forced*{})", secs.max(1)),
        }
    }
}

/// What the rungs are made from and how they are cut.
#[derive(Clone, Debug)]
pub struct RungInput {
    /// ffmpeg's stream specifiers for the source's picture and sound (`0:v:0`, `1:a:0`); None
    /// when it has no sound.
    pub video: String,
    pub audio: Option<String>,
    pub fps: u32,
    pub audio_kbps: u32,
    pub fragment_ms: u32,
    pub keyframes: Keyframes,
}

/// ffmpeg arguments that add `rungs` (a ladder without its source rung) as outputs, the n-th
/// written to `targets[n]`. Rungs without a target are left out.
pub fn rung_outputs(rungs: &[Rung], input: &RungInput, targets: &[String]) -> Vec<String> {
    let rungs: Vec<(&Rung, &String)> = rungs.iter().zip(targets).collect();
    let scaled: Vec<(u32, u32)> = rungs.iter().filter_map(|(rung, _)| rung.size).collect();
    let mut args = Vec::new();
    if !scaled.is_empty() {
        let mut graph = format!("[{}]split={}", input.video, scaled.len());
        for n in 0..scaled.len() {
            graph.push_str(&format!("[s{n}]"));
        }
        for (n, (width, height)) in scaled.iter().enumerate() {
            graph.push_str(&format!(";[s{n}]scale={width}:{height}[r{n}]"));
        }
        args.extend(["-filter_complex".to_string(), graph]);
    }
    let mut next_scaled = 0;
    for (rung, target) in rungs {
        match (rung.size, rung.kbps) {
            (Some(_), kbps) => {
                args.extend(["-map".to_string(), format!("[r{next_scaled}]")]);
                next_scaled += 1;
                args.extend(video_args(input, kbps.unwrap_or(1000)));
                if let Some(audio) = &input.audio {
                    args.extend(["-map".to_string(), format!("{audio}?")]);
                }
            }
            (None, _) => match &input.audio {
                Some(audio) => args.extend(["-map".to_string(), audio.clone(), "-vn".into()]),
                // Sound alone from a source without sound: nothing to make.
                None => continue,
            },
        }
        if input.audio.is_some() {
            args.extend(audio_args(input.audio_kbps));
        }
        args.extend(fragmented_mp4(input.fragment_ms, target));
    }
    args
}

/// H.264 as the source rung is encoded, at `kbps`, with keyframes only where they are forced.
fn video_args(input: &RungInput, kbps: u32) -> Vec<String> {
    let rate = format!("{kbps}k");
    // Far apart: every keyframe is a forced one, at the same instant on every rung.
    let longest_gop = (input.fps * 60).max(1).to_string();
    [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "zerolatency",
        "-pix_fmt",
        "yuv420p",
        "-r",
        &input.fps.to_string(),
        "-force_key_frames",
        &input.keyframes.force(),
        "-g",
        &longest_gop,
        "-sc_threshold",
        "0",
        "-b:v",
        &rate,
        "-maxrate",
        &rate,
        "-bufsize",
        &rate,
    ]
    .map(String::from)
    .to_vec()
}

fn audio_args(kbps: u32) -> Vec<String> {
    let rate = format!("{kbps}k");
    ["-c:a", "aac", "-b:a", &rate, "-ar", "48000", "-ac", "2"]
        .map(String::from)
        .to_vec()
}

/// Fragmented MP4 cut as the source rung's is, to `target`.
fn fragmented_mp4(fragment_ms: u32, target: &str) -> Vec<String> {
    let fragment_us = (fragment_ms * 1000).to_string();
    [
        "-f",
        "mp4",
        "-movflags",
        "empty_moov+default_base_moof+frag_keyframe",
        "-frag_duration",
        &fragment_us,
        "-write_prft",
        "wallclock",
        "-flush_packets",
        "1",
        target,
    ]
    .map(String::from)
    .to_vec()
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
            audio: Some("1:a:0".into()),
            fps: 30,
            audio_kbps: 64,
            fragment_ms: 200,
            keyframes: Keyframes::Every { secs: 1 },
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
        args.extend(video_args(&input, 800));
        args.extend(audio_args(64));
        args.extend(fragmented_mp4(200, &files[0]));
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
    fn a_passed_through_source_sets_the_keyframes_and_no_sound_makes_no_audio_rung() {
        assert_eq!(Keyframes::AsSource.force(), "source");
        assert_eq!(
            Keyframes::Every { secs: 2 }.force(),
            "expr:gte(t,n_forced*2)"
        );
        let setting = ladder::parse("source, 240p:300, audio").unwrap();
        let rungs = ladder::for_source(&setting, 1280, 720);
        let input = RungInput {
            video: "0:v:0".into(),
            audio: None,
            fps: 30,
            audio_kbps: 96,
            fragment_ms: 200,
            keyframes: Keyframes::AsSource,
        };
        let targets = ["pipe:3".to_string(), "pipe:4".to_string()];
        let args = rung_outputs(&rungs[1..], &input, &targets);
        assert_eq!(args.iter().filter(|a| a.starts_with("pipe:")).count(), 1);
        assert!(!args.iter().any(|a| a == "-c:a"), "{args:?}");
        let forced = args.iter().position(|a| a == "-force_key_frames").unwrap();
        assert_eq!(args[forced + 1], "source");
        assert!(args.contains(&"[0:v:0]split=1[s0];[s0]scale=426:240[r0]".to_string()));
    }
}
