//! What a broadcast's ffmpeg reads, and the exact arguments it runs with. Arguments are built
//! as a list (ffmpeg is never run through a shell) and no part of them comes from a request.

use std::path::{Path, PathBuf};

use super::api::{BROWSER_CAMERA_LABEL, BROWSER_SCREEN_LABEL, RTMP_LABEL};
use crate::renditions::encode::{RungInput, rung_outputs};
use crate::renditions::ladder::Rung;

/// Font for the demo's clock; Debian's fonts-dejavu-core. Without it the clock is left out.
const CLOCK_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf";

/// The largest picture any ffmpeg of ours decodes (its `-max_pixels`): a 5K screen (14.7 M)
/// passes; a stream declaring 16383x16383 (268 M) is refused before a frame is allocated.
pub const MAX_PIXELS: u64 = 1 << 24;

/// Demuxers a media file may be read with. Anything else (playlists such as HLS or ffconcat,
/// which name further files or URLs) is refused by ffmpeg itself.
const FILE_FORMATS: &str = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mpegts,flv,avi";

/// What to broadcast. A source ffmpeg reads itself names it here; a pushed source names only
/// its container, and its bytes reach ffmpeg's stdin through the broadcast's `Feed`.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// ffmpeg's test pattern with a running clock, and a beeping tone.
    TestPattern { width: u32, height: u32, fps: u32 },
    /// A file from the media folder, looped. The path is canonical and checked to lie in the
    /// folder (see `media`); it reaches ffmpeg only through the `file:` protocol.
    MediaFile { path: PathBuf, max_height: u32 },
    /// Bytes a publisher pushes to us, read from stdin at the pace they arrive: remuxed as they
    /// are (H.264 and AAC), or with `transcode` encoded again like every other source.
    Pushed { format: PushFormat, transcode: bool },
}

/// The containers a publisher may push.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PushFormat {
    /// FLV, as RTMP carries it: H.264 and AAC (the ingest checks).
    Flv,
    /// WebM from the browser's MediaRecorder: Opus audio, and H.264 video where the browser
    /// records it (`h264`), VP8 or VP9 otherwise.
    WebM { h264: bool, screen: bool },
}

impl PushFormat {
    /// ffmpeg's demuxer for it: named, never guessed from the bytes.
    fn demuxer(self) -> &'static str {
        match self {
            PushFormat::Flv => "flv",
            PushFormat::WebM { .. } => "matroska",
        }
    }

    /// Whether its video is H.264 already (then it is copied, not encoded again).
    fn h264(self) -> bool {
        match self {
            PushFormat::Flv => true,
            PushFormat::WebM { h264, .. } => h264,
        }
    }
}

/// How to encode: the same for every source.
#[derive(Clone, Debug, PartialEq)]
pub struct Encoding {
    /// The largest picture made from a pushed source: larger ones are scaled down to fit
    /// (keeping their shape), never up.
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub video_kbps: u32,
    pub audio_kbps: u32,
    pub fragment_ms: u32,
    pub keyframe_secs: u32,
}

impl Source {
    /// How broadcast records and the studio name this source.
    /// How records begin a media file's label (its name follows).
    pub const MEDIA_FILE_PREFIX: &str = "file: ";

    pub fn test_pattern_label() -> &'static str {
        "test pattern"
    }

    pub fn label(&self) -> String {
        match self {
            Source::TestPattern { .. } => Self::test_pattern_label().into(),
            Source::MediaFile { path, .. } => format!(
                "{}{}",
                Self::MEDIA_FILE_PREFIX,
                path.file_name().unwrap_or_default().to_string_lossy()
            ),
            Source::Pushed { format, .. } => match format {
                PushFormat::Flv => RTMP_LABEL.into(),
                PushFormat::WebM { screen: false, .. } => BROWSER_CAMERA_LABEL.into(),
                PushFormat::WebM { screen: true, .. } => BROWSER_SCREEN_LABEL.into(),
            },
        }
    }

    /// Whether its ffmpeg encodes (about half a core) rather than only remuxing (next to
    /// nothing): the two are capped separately.
    pub fn encodes(&self) -> bool {
        match self {
            Source::Pushed { format, transcode } => *transcode || !format.h264(),
            _ => true,
        }
    }

    /// Whether its sound is passed through as it is (RTMP's AAC, when not transcoding).
    fn copies_sound(&self) -> bool {
        matches!(
            self,
            Source::Pushed {
                format: PushFormat::Flv,
                transcode: false
            }
        )
    }

    /// ffmpeg's stream specifier for its sound (which may be missing, except in the test
    /// pattern).
    fn sound_input(&self) -> &'static str {
        match self {
            Source::TestPattern { .. } => "1:a:0",
            _ => "0:a:0",
        }
    }

    /// What a ladder is made for: its picture's size as far as it is known before ffmpeg reads
    /// it (a file or a pushed stream is taken to be as large as the broadcast's size), and
    /// whether it surely has sound.
    pub fn shape(&self, enc: &Encoding) -> Shape {
        match self {
            Source::TestPattern { width, height, .. } => Shape {
                width: *width,
                height: *height,
                known: true,
                sound: true,
            },
            Source::MediaFile { max_height, .. } => Shape {
                width: max_height * 16 / 9,
                height: *max_height,
                known: false,
                sound: false,
            },
            Source::Pushed { .. } => Shape {
                width: enc.width,
                height: enc.height,
                known: false,
                sound: false,
            },
        }
    }

    /// ffmpeg's input arguments for this source, read in real time, then its stream mapping
    /// (and any filter) for the output.
    fn input_args(&self, enc: &Encoding) -> (Vec<String>, Vec<String>) {
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
                let inputs = [
                    "-re", "-f", "lavfi", "-i", &video, "-re", "-f", "lavfi", "-i", &audio,
                ];
                let maps = ["-map", "0:v:0", "-map", "1:a:0"];
                (strings(&inputs), strings(&maps))
            }
            Source::MediaFile { path, max_height } => {
                let input = format!("file:{}", path.display());
                let inputs = [
                    "-protocol_whitelist",
                    "file",
                    "-format_whitelist",
                    FILE_FORMATS,
                    "-re",
                    "-stream_loop",
                    "-1",
                    "-i",
                    &input,
                ];
                // Even dimensions (H.264 needs them), no taller than the configured height.
                let scale = format!("scale=-2:'trunc(min({max_height},ih)/2)*2'");
                let maps = ["-map", "0:v:0", "-map", "0:a:0?", "-vf", &scale];
                (strings(&inputs), strings(&maps))
            }
            Source::Pushed { format, .. } => {
                // Start at once: no long probing of a stream that is live. (Not `-fflags
                // nobuffer`: it drops what was read while probing, the first keyframe with it.)
                // No picture larger than MAX_PIXELS is decoded, even to probe it.
                let max_pixels = MAX_PIXELS.to_string();
                let inputs = [
                    "-analyzeduration",
                    "500000",
                    "-max_pixels",
                    &max_pixels,
                    "-f",
                    format.demuxer(),
                    "-i",
                    "pipe:0",
                ];
                let mut maps = strings(&["-map", "0:v:0", "-map", "0:a:0?"]);
                if self.encodes() {
                    // Encoded at most at the broadcast's size, even-sized (H.264 needs it).
                    let fit = format!(
                        "scale=w='min({w},iw)':h='min({h},ih)':force_original_aspect_ratio=decrease\
                         :force_divisible_by=2",
                        w = enc.width,
                        h = enc.height
                    );
                    maps.extend(strings(&["-vf", &fit]));
                }
                (strings(&inputs), maps)
            }
        }
    }
}

/// A source's picture as a ladder is made for it (see [`Source::shape`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub width: u32,
    pub height: u32,
    /// The size is the picture's own (else the most it may be).
    pub known: bool,
    /// It surely has sound (so a rung of sound alone can be made).
    pub sound: bool,
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Where an H.264 encoder puts keyframes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyframes {
    /// Every `secs` seconds, by the encoder's own GOP: a broadcast of one rendition.
    Gop { secs: u32 },
    /// Every `secs` seconds, forced at the same instants on every rung of a ladder.
    Every { secs: u32 },
    /// Wherever the source has one: the source rung is the publisher's stream, passed through.
    AsSource,
}

/// The whole ffmpeg command line (without the program name): H.264 tuned for low latency and
/// AAC, as fragmented MP4 with a producer reference time box before every fragment, on stdout;
/// and each rung of `ladder` below the source (see `renditions::encode`) on the descriptors
/// after stderr (`pipe:3` for the second rung, and so on).
pub fn ffmpeg_args(source: &Source, enc: &Encoding, ladder: &[Rung]) -> Vec<String> {
    let lower = ladder.get(1..).unwrap_or_default();
    let mut args = strings(&[
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-loglevel",
        "warning",
        // The encoder's own figures (fps, bitrate, speed) as key=value lines on stderr.
        "-progress",
        "pipe:2",
        "-stats_period",
        "1",
    ]);
    let (inputs, maps) = source.input_args(enc);
    args.extend(inputs);
    args.extend(maps);
    let keyframes = if lower.is_empty() {
        Keyframes::Gop {
            secs: enc.keyframe_secs,
        }
    } else {
        Keyframes::Every {
            secs: enc.keyframe_secs,
        }
    };
    if source.encodes() {
        args.extend(h264_args(enc.fps, enc.video_kbps, keyframes));
    } else {
        // Remux: the publisher's H.264 as it is.
        args.extend(strings(&["-c:v", "copy"]));
    }
    if source.copies_sound() {
        // RTMP's AAC as it is.
        args.extend(strings(&["-c:a", "copy"]));
    } else {
        args.extend(aac_args(enc.audio_kbps));
    }
    args.extend(fragmented_mp4_args(enc.fragment_ms, "pipe:1"));
    if !lower.is_empty() {
        let input = RungInput {
            video: "0:v:0".into(),
            audio: source.sound_input().into(),
            copy_audio: source.copies_sound(),
            fps: enc.fps,
            audio_kbps: enc.audio_kbps,
            fragment_ms: enc.fragment_ms,
            keyframes: if source.encodes() {
                keyframes
            } else {
                Keyframes::AsSource
            },
        };
        let targets: Vec<String> = (0..lower.len())
            .map(|n| format!("pipe:{}", 3 + n))
            .collect();
        args.extend(rung_outputs(lower, &input, &targets));
    }
    args
}

/// H.264 tuned for low latency at `fps` and `kbps`, with keyframes where `keyframes` says.
pub fn h264_args(fps: u32, kbps: u32, keyframes: Keyframes) -> Vec<String> {
    let rate = format!("{kbps}k");
    let mut args = strings(&[
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "zerolatency",
        "-pix_fmt",
        "yuv420p",
        "-r",
        &fps.to_string(),
    ]);
    match keyframes {
        Keyframes::Gop { secs } => {
            let gop = (fps * secs).max(1).to_string();
            args.extend(strings(&["-g", &gop, "-keyint_min", &gop]));
        }
        forced => {
            let force = match forced {
                Keyframes::Every { secs } => format!("expr:gte(t,n_forced*{})", secs.max(1)),
                _ => "source".into(),
            };
            // Far apart: every keyframe is a forced one, at the same instant on every rung.
            let longest_gop = (fps * 60).max(1).to_string();
            args.extend(strings(&["-force_key_frames", &force, "-g", &longest_gop]));
        }
    }
    args.extend(strings(&[
        "-sc_threshold",
        "0",
        "-b:v",
        &rate,
        "-maxrate",
        &rate,
        "-bufsize",
        &rate,
    ]));
    args
}

/// AAC at `kbps`, 48 kHz stereo.
pub fn aac_args(kbps: u32) -> Vec<String> {
    strings(&[
        "-c:a",
        "aac",
        "-b:a",
        &format!("{kbps}k"),
        "-ar",
        "48000",
        "-ac",
        "2",
    ])
}

/// Fragmented MP4 to `target`: a fragment at every keyframe and every `fragment_ms`, each led by
/// a producer reference time box (wall clock), flushed as it is made.
pub fn fragmented_mp4_args(fragment_ms: u32, target: &str) -> Vec<String> {
    strings(&[
        "-f",
        "mp4",
        "-movflags",
        "empty_moov+default_base_moof+frag_keyframe",
        "-frag_duration",
        &(fragment_ms * 1000).to_string(),
        "-write_prft",
        "wallclock",
        "-flush_packets",
        "1",
        target,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_ask_for_low_latency_fragments_with_prft() {
        let (source, enc) = crate::live::testing::small_test_pattern();
        let args = ffmpeg_args(&source, &enc, &[]);
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

    #[test]
    fn a_media_file_is_read_only_as_a_local_file_of_a_known_format() {
        let (_, enc) = crate::live::testing::small_test_pattern();
        let source = Source::MediaFile {
            path: PathBuf::from("/srv/media/talk.mp4"),
            max_height: 720,
        };
        let args = ffmpeg_args(&source, &enc, &[]);
        let after = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .map(|i| args[i + 1].as_str())
        };
        assert_eq!(after("-i"), Some("file:/srv/media/talk.mp4"));
        assert_eq!(after("-protocol_whitelist"), Some("file"));
        assert_eq!(after("-format_whitelist"), Some(FILE_FORMATS));
        assert_eq!(after("-stream_loop"), Some("-1"));
        assert_eq!(source.label(), "file: talk.mp4");
    }

    #[test]
    fn pushed_streams_are_remuxed_unless_transcoding_is_asked_for() {
        let (_, enc) = crate::live::testing::small_test_pattern();
        let pushed = |transcode| Source::Pushed {
            format: PushFormat::Flv,
            transcode,
        };
        let remux = ffmpeg_args(&pushed(false), &enc, &[]);
        let has = |args: &[String], pair: [&str; 2]| args.windows(2).any(|w| w == pair);
        assert!(has(&remux, ["-c:v", "copy"]));
        assert!(has(&remux, ["-c:a", "copy"]));
        assert!(!remux.iter().any(|a| a == "libx264"));
        assert!(has(&remux, ["-i", "pipe:0"]));
        assert!(has(&remux, ["-write_prft", "wallclock"]));
        let transcode = ffmpeg_args(&pushed(true), &enc, &[]);
        assert!(has(&transcode, ["-c:v", "libx264"]));
        assert!(!has(&transcode, ["-c:v", "copy"]));
        // The browser's WebM: H.264 copied, Opus made AAC; VP8 encoded as H.264.
        let webm = |h264| Source::Pushed {
            format: PushFormat::WebM {
                h264,
                screen: false,
            },
            transcode: false,
        };
        let from_browser = ffmpeg_args(&webm(true), &enc, &[]);
        assert!(has(&from_browser, ["-f", "matroska"]));
        assert!(has(&from_browser, ["-c:v", "copy"]));
        assert!(has(&from_browser, ["-c:a", "aac"]));
        assert!(!webm(true).encodes() && webm(false).encodes());
        assert!(has(
            &ffmpeg_args(&webm(false), &enc, &[]),
            ["-c:v", "libx264"]
        ));
    }

    /// Issue 25, item 5: no pushed picture larger than MAX_PIXELS is decoded, and what is
    /// encoded from a pushed source fits the broadcast's size.
    #[test]
    fn pushed_pictures_are_bounded_and_encoded_at_most_at_the_broadcast_size() {
        let (_, enc) = crate::live::testing::small_test_pattern();
        let vp8 = Source::Pushed {
            format: PushFormat::WebM {
                h264: false,
                screen: true,
            },
            transcode: false,
        };
        let args = ffmpeg_args(&vp8, &enc, &[]);
        let has = |args: &[String], pair: [&str; 2]| args.windows(2).any(|w| w == pair);
        let max = MAX_PIXELS.to_string();
        assert!(has(&args, ["-max_pixels", &max]));
        let fit = args.iter().position(|a| a == "-vf").map(|i| &args[i + 1]);
        assert_eq!(
            fit.map(String::as_str),
            Some(
                "scale=w='min(320,iw)':h='min(180,ih)':force_original_aspect_ratio=decrease\
                 :force_divisible_by=2"
            )
        );
        // The input options come before the input they apply to.
        let at = |flag: &str| args.iter().position(|a| a == flag).unwrap();
        assert!(at("-max_pixels") < at("-i"));
        // A remux decodes nothing but its probe, which is bounded too; nothing is scaled.
        let remux = ffmpeg_args(
            &Source::Pushed {
                format: PushFormat::Flv,
                transcode: false,
            },
            &enc,
            &[],
        );
        assert!(has(&remux, ["-max_pixels", &max]));
        assert!(!remux.iter().any(|a| a == "-vf"));
    }
}
