//! What a broadcast's ffmpeg reads, and the exact arguments it runs with. Arguments are built
//! as a list (ffmpeg is never run through a shell) and no part of them comes from a request.

use std::path::Path;

/// Font for the demo's clock; Debian's fonts-dejavu-core. Without it the clock is left out.
const CLOCK_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf";

/// What to broadcast. OBS (RTMP), media files and the browser camera join this list later.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// ffmpeg's test pattern with a running clock, and a beeping tone.
    TestPattern { width: u32, height: u32, fps: u32 },
}

/// How to encode: the same for every source.
#[derive(Clone, Debug, PartialEq)]
pub struct Encoding {
    pub fps: u32,
    pub video_kbps: u32,
    pub audio_kbps: u32,
    pub fragment_ms: u32,
    pub keyframe_secs: u32,
}

impl Source {
    /// ffmpeg's input arguments for this source, read in real time.
    fn input_args(&self) -> Vec<String> {
        match self {
            Source::TestPattern { width, height, fps } => {
                let mut video = format!("testsrc2=size={width}x{height}:rate={fps}");
                if Path::new(CLOCK_FONT).exists() {
                    video.push_str(&format!(
                        ",drawtext=fontfile={CLOCK_FONT}:text=%{{localtime}}:fontsize={}:fontcolor=white\
                         :box=1:boxcolor=black@0.6:boxborderw=8:x=(w-tw)/2:y=h-th-24",
                        (height / 12).max(12)
                    ));
                }
                let audio = "sine=frequency=440:beep_factor=4:sample_rate=48000".to_string();
                [
                    "-re", "-f", "lavfi", "-i", &video, "-re", "-f", "lavfi", "-i", &audio,
                ]
                .map(String::from)
                .to_vec()
            }
        }
    }
}

/// The whole ffmpeg command line (without the program name): H.264 tuned for low latency and
/// AAC, as fragmented MP4 with a producer reference time box before every fragment, on stdout.
pub fn ffmpeg_args(source: &Source, enc: &Encoding) -> Vec<String> {
    let gop = (enc.fps * enc.keyframe_secs).max(1).to_string();
    let video_rate = format!("{}k", enc.video_kbps);
    let mut args: Vec<String> = [
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-loglevel",
        "warning",
    ]
    .map(String::from)
    .to_vec();
    args.extend(source.input_args());
    let output = [
        "-map",
        "0:v:0",
        "-map",
        "1:a:0",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "zerolatency",
        "-pix_fmt",
        "yuv420p",
        "-r",
        &enc.fps.to_string(),
        "-g",
        &gop,
        "-keyint_min",
        &gop,
        "-sc_threshold",
        "0",
        "-b:v",
        &video_rate,
        "-maxrate",
        &video_rate,
        "-bufsize",
        &video_rate,
        "-c:a",
        "aac",
        "-b:a",
        &format!("{}k", enc.audio_kbps),
        "-ar",
        "48000",
        "-ac",
        "2",
        "-f",
        "mp4",
        "-movflags",
        "empty_moov+default_base_moof+frag_keyframe",
        "-frag_duration",
        &(enc.fragment_ms * 1000).to_string(),
        "-write_prft",
        "wallclock",
        "-flush_packets",
        "1",
        "pipe:1",
    ];
    args.extend(output.map(String::from));
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_ask_for_low_latency_fragments_with_prft() {
        let (source, enc) = crate::live::testing::small_test_pattern();
        let args = ffmpeg_args(&source, &enc);
        let after = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .map(|i| args[i + 1].as_str())
        };
        assert_eq!(after("-tune"), Some("zerolatency"));
        // 30 fps with a keyframe every second; 100 ms fragments, in microseconds.
        assert_eq!(after("-g"), Some("30"));
        assert_eq!(after("-frag_duration"), Some("100000"));
        assert_eq!(after("-write_prft"), Some("wallclock"));
        assert_eq!(args.last().map(String::as_str), Some("pipe:1"));
    }
}
