//! What a broadcast's ffmpeg reads, and the exact arguments it runs with. Arguments are built
//! as a list (ffmpeg is never run through a shell) and no part of them comes from a request.

use std::path::{Path, PathBuf};

use super::api::{BROWSER_CAMERA_LABEL, BROWSER_SCREEN_LABEL, RTMP_LABEL};
use super::encoder::{Encoder, Keyframes};
use crate::renditions::encode::{RungInput, rung_outputs};
use crate::renditions::ladder::Rung;

/// Font for the demo's clock; Debian's fonts-dejavu-core. Without it the clock is left out.
const CLOCK_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf";

/// The largest picture any ffmpeg of ours decodes (its `-max_pixels`): a 5K screen (14.7 M)
/// passes; a stream declaring 16383x16383 (268 M) is refused before a frame is allocated.
pub const MAX_PIXELS: u64 = 1 << 24;

/// Demuxers a media file may be read with. Anything else (playlists such as HLS or ffconcat,
/// which name further files or URLs) is refused by ffmpeg itself.
const FILE_FORMATS: &str =
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mpegts,flv,avi,mp3,aac,ogg,flac,wav";

/// What to broadcast. A source ffmpeg reads itself names it here; a pushed source names only
/// its container, and its bytes reach ffmpeg's stdin through the broadcast's `Feed`.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// ffmpeg's test pattern with a running clock, and a beeping tone.
    TestPattern { width: u32, height: u32, fps: u32 },
    /// A file from the media folder, looped. The path is canonical and checked to lie in the
    /// folder (see `media`); it reaches ffmpeg only through the `file:` protocol. A file of
    /// `sound_alone` (an MP3, say) is broadcast without a picture.
    MediaFile {
        path: PathBuf,
        max_height: u32,
        sound_alone: bool,
    },
    /// Bytes a publisher pushes to us, read from stdin at the pace they arrive: remuxed as they
    /// are (H.264 and AAC), or with `transcode` encoded again like every other source. What the
    /// publisher `announced` of them fits the ladder to them.
    Pushed {
        format: PushFormat,
        transcode: bool,
        announced: Announced,
    },
}

/// What a publisher said of its stream before sending it (RTMP's onMetaData; the browser's
/// WebM says nothing). Only the ladder is fitted to it: ffmpeg never scales a picture up,
/// whatever was said, and a size no decoder here would take is not believed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Announced {
    /// Its picture's width and height.
    pub size: Option<(u32, u32)>,
    /// It has sound (so a rung of sound alone can be made).
    pub sound: bool,
    /// It is sound alone, with no picture: its broadcast is made in one rung of sound alone.
    pub sound_alone: bool,
}

impl Announced {
    /// Of a picture (`width` x `height` if said) with or without `sound`.
    pub fn new(width: Option<u32>, height: Option<u32>, sound: bool) -> Self {
        let size = match (width, height) {
            (Some(w), Some(h))
                if (2..=16_384).contains(&w)
                    && (2..=16_384).contains(&h)
                    && u64::from(w) * u64::from(h) <= MAX_PIXELS =>
            {
                Some((w, h))
            }
            _ => None,
        };
        Self {
            size,
            sound,
            sound_alone: false,
        }
    }
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
    /// Which H.264 encoder makes every picture (the source's, when encoded, and each rung's).
    pub encoder: Encoder,
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
            Source::Pushed {
                format, transcode, ..
            } => *transcode || !format.h264(),
            _ => true,
        }
    }

    /// Whether its sound is passed through as it is (RTMP's AAC, when not transcoding).
    fn copies_sound(&self) -> bool {
        matches!(
            self,
            Source::Pushed {
                format: PushFormat::Flv,
                transcode: false,
                ..
            }
        )
    }

    /// Whether it is sound alone: its publisher announced no picture, or it is a file of
    /// sound.
    pub fn sound_alone(&self) -> bool {
        match self {
            Source::TestPattern { .. } => false,
            Source::MediaFile { sound_alone, .. } => *sound_alone,
            Source::Pushed { announced, .. } => announced.sound_alone,
        }
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
            Source::Pushed { announced, .. } => match announced.size {
                Some((width, height)) => {
                    // Encoded here, it is made to fit the broadcast's size.
                    let (width, height) = if self.encodes() {
                        fit(width, height, enc.width, enc.height)
                    } else {
                        (width, height)
                    };
                    Shape {
                        width,
                        height,
                        known: true,
                        sound: announced.sound,
                    }
                }
                None => Shape {
                    width: enc.width,
                    height: enc.height,
                    known: false,
                    sound: announced.sound,
                },
            },
        }
    }

    /// ffmpeg's input arguments for this source, read in real time, its stream mapping for the
    /// output, and the filter its picture goes through before it is encoded, if any.
    fn input_args(&self, enc: &Encoding) -> (Vec<String>, Vec<String>, Option<String>) {
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
                (strings(&inputs), strings(&maps), None)
            }
            Source::MediaFile {
                path, max_height, ..
            } => {
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
                if self.sound_alone() {
                    // Its sound, not a cover picture it may carry.
                    return (strings(&inputs), strings(&["-map", "0:a:0", "-vn"]), None);
                }
                // Even dimensions (H.264 needs them), no taller than the configured height.
                let scale = format!("scale=-2:'trunc(min({max_height},ih)/2)*2'");
                let maps = ["-map", "0:v:0", "-map", "0:a:0?"];
                (strings(&inputs), strings(&maps), Some(scale))
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
                let maps = if self.sound_alone() {
                    strings(&["-map", "0:a:0", "-vn"])
                } else {
                    strings(&["-map", "0:v:0", "-map", "0:a:0?"])
                };
                // Encoded at most at the broadcast's size, even-sized (H.264 needs it).
                let fit = self.encodes().then(|| {
                    format!(
                        "scale=w='min({w},iw)':h='min({h},ih)':force_original_aspect_ratio=decrease\
                         :force_divisible_by=2",
                        w = enc.width,
                        h = enc.height
                    )
                });
                (strings(&inputs), maps, fit)
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

/// `width` x `height` scaled down (never up) to fit `max_width` x `max_height`, shape kept,
/// even-sized: what the fitting filter of a pushed picture encoded here makes of it.
fn fit(width: u32, height: u32, max_width: u32, max_height: u32) -> (u32, u32) {
    let scale = (f64::from(max_width) / f64::from(width))
        .min(f64::from(max_height) / f64::from(height))
        .min(1.0);
    let even = |n: f64| ((n as u32) / 2 * 2).max(2);
    (
        even(f64::from(width) * scale),
        even(f64::from(height) * scale),
    )
}

/// An argument list from string literals.
pub(super) fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
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
    let picture = !source.sound_alone();
    if picture && (source.encodes() || !lower.is_empty()) {
        args.extend(enc.encoder.global_args());
    }
    let (inputs, maps, filter) = source.input_args(enc);
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
    if !picture {
        // Sound alone: no picture to make.
    } else if source.encodes() {
        if let Some(chain) = enc.encoder.chain(filter.as_deref()) {
            args.extend(["-vf".to_string(), chain]);
        }
        args.extend(enc.encoder.h264_args(enc.fps, enc.video_kbps, keyframes));
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
            encoder: enc.encoder.clone(),
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
            sound_alone: false,
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
            announced: Announced::default(),
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
            announced: Announced::default(),
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
            announced: Announced::default(),
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
                announced: Announced::default(),
            },
            &enc,
            &[],
        );
        assert!(has(&remux, ["-max_pixels", &max]));
        assert!(!remux.iter().any(|a| a == "-vf"));
    }

    /// A GPU's encoder gets its frames uploaded after the source's own filter, on the source
    /// rung and every scaled rung, and a remux with no rungs below it touches no GPU.
    #[test]
    fn a_gpu_encodes_every_picture_after_its_filters() {
        let (pattern, mut enc) = crate::live::testing::small_test_pattern();
        enc.encoder = Encoder::Vaapi {
            device: "/dev/dri/renderD128".into(),
        };
        let after = |args: &[String], flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .map(|i| args[i + 1].clone())
        };
        let args = ffmpeg_args(&pattern, &enc, &[]);
        assert_eq!(after(&args, "-c:v").as_deref(), Some("h264_vaapi"));
        assert_eq!(after(&args, "-vf").as_deref(), Some("format=nv12,hwupload"));
        let at = |flag: &str| args.iter().position(|a| a == flag).unwrap();
        assert!(at("-vaapi_device") < at("-i"));
        let file = Source::MediaFile {
            path: PathBuf::from("/srv/media/talk.mp4"),
            max_height: 720,
            sound_alone: false,
        };
        let args = ffmpeg_args(&file, &enc, &[]);
        assert_eq!(
            after(&args, "-vf").as_deref(),
            Some("scale=-2:'trunc(min(720,ih)/2)*2',format=nv12,hwupload")
        );
        let rtmp = Source::Pushed {
            format: PushFormat::Flv,
            transcode: false,
            announced: Announced::default(),
        };
        let alone = ffmpeg_args(&rtmp, &enc, &[]);
        assert!(
            !alone
                .iter()
                .any(|a| a.contains("vaapi") || a.contains("hwupload"))
        );
        let setting = crate::renditions::ladder::parse("source, 240p:300").unwrap();
        let ladder = crate::renditions::ladder::for_source(&setting, 1280, 720);
        let with_rung = ffmpeg_args(&rtmp, &enc, &ladder);
        assert!(with_rung.iter().any(|a| a == "-vaapi_device"));
        assert_eq!(after(&with_rung, "-c:v").as_deref(), Some("copy"));
        let graph = after(&with_rung, "-filter_complex").unwrap();
        assert!(graph.ends_with("format=nv12,hwupload[r0]"), "{graph}");
        assert!(with_rung.windows(2).any(|w| w == ["-c:v", "h264_vaapi"]));
    }

    /// What OBS says in onMetaData fits the ladder to its stream: a 640x360 stream with sound
    /// gets no rung as tall as itself, and sound alone; one encoded here fits the broadcast's
    /// size; a size no decoder here would take is not believed.
    #[test]
    fn a_pushed_stream_is_as_large_as_it_announced_and_has_the_sound_it_announced() {
        let (_, enc) = crate::live::testing::small_test_pattern();
        let pushed = |transcode, announced| Source::Pushed {
            format: PushFormat::Flv,
            transcode,
            announced,
        };
        let said = Announced::new(Some(640), Some(360), true);
        let shape = pushed(false, said).shape(&enc);
        assert_eq!(
            (shape.width, shape.height, shape.known, shape.sound),
            (640, 360, true, true)
        );
        // Encoded at most at the broadcast's 320x180, shape kept.
        let shape = pushed(true, said).shape(&enc);
        assert_eq!((shape.width, shape.height), (320, 180));
        let tall = Announced::new(Some(1080), Some(1920), false);
        let shape = pushed(true, tall).shape(&enc);
        assert_eq!((shape.width, shape.height, shape.sound), (100, 180, false));
        // Nothing said: the broadcast's size at most, no sound assumed.
        let shape = pushed(false, Announced::default()).shape(&enc);
        assert_eq!(
            (shape.width, shape.height, shape.known, shape.sound),
            (320, 180, false, false)
        );
        for (width, height) in [
            (Some(0), Some(0)),
            (Some(16_383), Some(16_383)),
            (Some(640), None),
        ] {
            assert_eq!(
                Announced::new(width, height, true).size,
                None,
                "{width:?}x{height:?}"
            );
        }
    }

    /// A stream of sound alone is read and written as sound: its one output maps the audio and
    /// no video, with no video codec, filter or GPU, its AAC copied (or encoded again when
    /// pushed streams are transcoded, and from a file of sound).
    #[test]
    fn a_stream_of_sound_alone_makes_sound_and_no_picture() {
        let (_, mut enc) = crate::live::testing::small_test_pattern();
        enc.encoder = Encoder::Vaapi {
            device: "/dev/dri/renderD128".into(),
        };
        let radio = |transcode| Source::Pushed {
            format: PushFormat::Flv,
            transcode,
            announced: Announced {
                sound_alone: true,
                ..Announced::new(None, None, true)
            },
        };
        assert!(radio(false).sound_alone());
        let podcast = Source::MediaFile {
            path: PathBuf::from("/srv/media/show.mp3"),
            max_height: 720,
            sound_alone: true,
        };
        let ladder = [Rung::sound_alone()];
        for (source, audio_codec) in [
            (radio(false), "copy"),
            (radio(true), "aac"),
            (podcast, "aac"),
        ] {
            let args = ffmpeg_args(&source, &enc, &ladder);
            let maps: Vec<&str> = args
                .windows(2)
                .filter(|w| w[0] == "-map")
                .map(|w| w[1].as_str())
                .collect();
            assert_eq!(maps, ["0:a:0"], "{args:?}");
            assert!(args.iter().any(|a| a == "-vn"), "{args:?}");
            for video in ["-c:v", "-vf", "-filter_complex", "-g", "-vaapi_device"] {
                assert!(!args.iter().any(|a| a == video), "{video} in {args:?}");
            }
            let codec = args.windows(2).find(|w| w[0] == "-c:a").map(|w| &w[1]);
            assert_eq!(codec.map(String::as_str), Some(audio_codec));
            assert_eq!(
                args.last().map(String::as_str),
                Some("pipe:1"),
                "one output"
            );
        }
    }
}
