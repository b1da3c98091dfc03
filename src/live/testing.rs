//! Test support: real ffmpeg output, made the way broadcasts make it but faster than real time.

use std::process::Command;

use crate::broadcasts::source::{Encoding, Source, ffmpeg_args};

/// A small, quick test pattern and how the tests encode it.
pub fn small_test_pattern() -> (Source, Encoding) {
    let source = Source::TestPattern {
        width: 320,
        height: 180,
        fps: 30,
    };
    let encoding = Encoding {
        width: 320,
        height: 180,
        fps: 30,
        video_kbps: 400,
        audio_kbps: 64,
        fragment_ms: 100,
        keyframe_secs: 1,
        encoder: crate::broadcasts::encoder::Encoder::Software,
    };
    (source, encoding)
}

/// `seconds` of the small test pattern as fragmented MP4, exactly as a broadcast encodes it.
pub fn encode_test_pattern(seconds: u32) -> Vec<u8> {
    let (source, encoding) = small_test_pattern();
    let mut args: Vec<String> = ffmpeg_args(&source, &encoding, &[])
        .into_iter()
        .filter(|a| a != "-re")
        .collect();
    let output = args.len() - 1;
    args.splice(output..output, ["-t".to_string(), seconds.to_string()]);
    ffmpeg_stdout(&args)
}

/// `seconds` of the small test pattern made in `ladder` (see `renditions::ladder`) exactly as a
/// broadcast makes it: each rung's fragmented MP4, from the top.
pub fn encode_test_pattern_ladder(seconds: u32, ladder: &str) -> Vec<Vec<u8>> {
    let (source, encoding) = small_test_pattern();
    let setting = crate::renditions::ladder::parse(ladder).expect("a ladder");
    let rungs = crate::renditions::ladder::for_source(&setting, 320, 180);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = |n: usize| {
        dir.path()
            .join(format!("rung{n}.mp4"))
            .display()
            .to_string()
    };
    let mut args = Vec::new();
    for arg in ffmpeg_args(&source, &encoding, &rungs) {
        match arg.as_str() {
            "-re" => {}
            "-i" => args.extend(["-t".to_string(), seconds.to_string(), arg]),
            "pipe:1" => args.push(file(0)),
            pipe if pipe.starts_with("pipe:") && pipe != "pipe:2" => {
                let n: usize = pipe[5..].parse().expect("a descriptor");
                args.push(file(n - 2));
            }
            _ => args.push(arg),
        }
    }
    ffmpeg_stdout(&args);
    (0..rungs.len())
        .map(|n| std::fs::read(file(n)).expect("the rung was made"))
        .collect()
}

/// ffmpeg's arguments for a small test pattern with a tone, read in real time for `seconds`,
/// as a publisher's camera and microphone: put the encoding and the output after them.
pub fn live_test_pattern_input(seconds: u32) -> Vec<String> {
    let seconds = seconds.to_string();
    [
        "-hide_banner",
        "-loglevel",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x180:rate=30",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        &seconds,
    ]
    .map(String::from)
    .to_vec()
}

/// `seconds` of a test pattern with a tone as FLV (H.264 + AAC, a keyframe every second), the
/// way a streaming program pushes it over RTMP.
pub fn encode_test_pattern_flv(seconds: u32) -> Vec<u8> {
    // The publisher's input, as fast as ffmpeg can make it rather than in real time.
    let mut args: Vec<String> = live_test_pattern_input(seconds)
        .into_iter()
        .filter(|a| a != "-re")
        .collect();
    args.extend(
        [
            "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-pix_fmt", "yuv420p", "-c:a",
            "aac", "-f", "flv", "pipe:1",
        ]
        .map(String::from),
    );
    ffmpeg_stdout(&args)
}

/// What ffmpeg writes to stdout with `args`; fails the test if ffmpeg fails.
fn ffmpeg_stdout<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(args)
        .output()
        .expect("ffmpeg is installed (scripts/setup)");
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A small deterministic generator for split points and corruption offsets.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}
