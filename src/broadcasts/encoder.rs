//! The H.264 encoder every picture of ours is made with (a broadcast's source when it is
//! encoded, and each rung of its ladder): libx264 on the CPU by default, or a GPU's encoder
//! (`[ffmpeg] encoder`), and the arguments each takes for low latency, a bitrate, and keyframes
//! where it is told. All of it comes from the settings, none from a request.

use std::path::PathBuf;

use super::source::strings;

/// Which encoder, by ffmpeg's name for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encoder {
    /// `libx264`: on the CPU, everywhere.
    Software,
    /// `h264_vaapi`: Intel and AMD GPUs on Linux, through the render node `device`. Frames are
    /// uploaded to it after they are scaled.
    Vaapi { device: PathBuf },
    /// `h264_nvenc`: NVIDIA GPUs.
    Nvenc,
    /// `h264_qsv`: Intel Quick Sync.
    Qsv,
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

/// The names `[ffmpeg] encoder` takes, as ffmpeg names the encoders.
pub const ENCODER_NAMES: [&str; 4] = ["libx264", "h264_vaapi", "h264_nvenc", "h264_qsv"];

impl Encoder {
    /// The encoder `name` names (one of [`ENCODER_NAMES`]); `vaapi_device` is used by VAAPI
    /// only.
    pub fn named(name: &str, vaapi_device: PathBuf) -> Result<Self, String> {
        match name {
            "libx264" => Ok(Encoder::Software),
            "h264_vaapi" => Ok(Encoder::Vaapi {
                device: vaapi_device,
            }),
            "h264_nvenc" => Ok(Encoder::Nvenc),
            "h264_qsv" => Ok(Encoder::Qsv),
            other => Err(format!(
                "{other:?} is not an encoder: name one of {}",
                ENCODER_NAMES.join(", ")
            )),
        }
    }

    /// ffmpeg's name for it.
    pub fn name(&self) -> &'static str {
        match self {
            Encoder::Software => ENCODER_NAMES[0],
            Encoder::Vaapi { .. } => ENCODER_NAMES[1],
            Encoder::Nvenc => ENCODER_NAMES[2],
            Encoder::Qsv => ENCODER_NAMES[3],
        }
    }

    /// Options before the inputs: the device frames are uploaded to.
    pub fn global_args(&self) -> Vec<String> {
        match self {
            Encoder::Vaapi { device } => {
                vec!["-vaapi_device".into(), device.display().to_string()]
            }
            _ => Vec::new(),
        }
    }

    /// The filter that ends every chain feeding it: VAAPI encodes only frames in the GPU's
    /// memory; the others take frames as they are.
    pub fn upload(&self) -> Option<&'static str> {
        match self {
            Encoder::Vaapi { .. } => Some("format=nv12,hwupload"),
            _ => None,
        }
    }

    /// `filter` followed by the upload, if either: the whole chain before this encoder.
    pub fn chain(&self, filter: Option<&str>) -> Option<String> {
        match (filter, self.upload()) {
            (Some(filter), Some(upload)) => Some(format!("{filter},{upload}")),
            (Some(filter), None) => Some(filter.to_string()),
            (None, upload) => upload.map(str::to_string),
        }
    }

    /// H.264 tuned for low latency (no B-frames, no look-ahead) at `fps` and a constant `kbps`,
    /// with keyframes (IDR frames, which a viewer can start at) where `keyframes` says.
    pub fn h264_args(&self, fps: u32, kbps: u32, keyframes: Keyframes) -> Vec<String> {
        let rate = format!("{kbps}k");
        let mut args = strings(&["-c:v", self.name()]);
        args.extend(strings(match self {
            Encoder::Software => &[
                "-preset",
                "veryfast",
                "-tune",
                "zerolatency",
                "-pix_fmt",
                "yuv420p",
                "-sc_threshold",
                "0",
            ],
            // A forced keyframe is an IDR frame only when asked.
            Encoder::Nvenc => &[
                "-preset",
                "p1",
                "-tune",
                "ull",
                "-zerolatency",
                "1",
                "-rc",
                "cbr",
                "-forced-idr",
                "1",
                "-bf",
                "0",
                "-pix_fmt",
                "yuv420p",
            ],
            Encoder::Qsv => &[
                "-preset",
                "veryfast",
                "-forced_idr",
                "1",
                "-async_depth",
                "1",
                "-bf",
                "0",
                "-pix_fmt",
                "nv12",
            ],
            // Its frames are the GPU's (see `upload`); every I-frame is an IDR frame.
            Encoder::Vaapi { .. } => &["-rc_mode", "CBR", "-async_depth", "1", "-bf", "0"],
        }));
        args.extend(strings(&["-r", &fps.to_string()]));
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
            "-b:v", &rate, "-maxrate", &rate, "-bufsize", &rate,
        ]));
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every() -> [Encoder; 4] {
        [
            Encoder::Software,
            Encoder::Vaapi {
                device: "/dev/dri/renderD128".into(),
            },
            Encoder::Nvenc,
            Encoder::Qsv,
        ]
    }

    #[test]
    fn each_encoder_is_named_as_ffmpeg_names_it_and_others_are_refused() {
        for encoder in every() {
            let named = Encoder::named(encoder.name(), "/dev/dri/renderD128".into());
            assert_eq!(named, Ok(encoder));
        }
        let refused = Encoder::named("x264", PathBuf::new()).unwrap_err();
        assert!(refused.contains("libx264, h264_vaapi"), "{refused}");
    }

    /// The options an encoder's help lists, each with its type and the named values it takes.
    fn options_of(encoder: &str) -> Vec<(String, String, Vec<String>)> {
        let help = std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-h", &format!("encoder={encoder}")])
            .output()
            .expect("ffmpeg is installed");
        let help = String::from_utf8_lossy(&help.stdout);
        let mut options: Vec<(String, String, Vec<String>)> = Vec::new();
        for line in help.lines() {
            let indent = line.len() - line.trim_start().len();
            let mut words = line.split_whitespace();
            let word = words.next().unwrap_or_default();
            if indent == 2 && word.starts_with('-') {
                let kind = words.next().unwrap_or_default().to_string();
                options.push((word.to_string(), kind, Vec::new()));
            } else if indent > 2
                && let Some((_, _, values)) = options.last_mut()
            {
                values.push(word.to_string());
            }
        }
        options
    }

    /// No hardware here, so these are argument tests: every option given to an encoder is one
    /// this ffmpeg's encoder lists (or one every encoder takes), with a value it names where it
    /// takes named values; a typo would stop every broadcast on that hardware.
    #[test]
    fn every_option_given_to_an_encoder_is_one_it_takes() {
        const EVERY_ENCODER: [&str; 11] = [
            "-c:v",
            "-bf",
            "-sc_threshold",
            "-r",
            "-g",
            "-keyint_min",
            "-force_key_frames",
            "-b:v",
            "-maxrate",
            "-bufsize",
            "-pix_fmt",
        ];
        for encoder in every() {
            let options = options_of(encoder.name());
            assert!(!options.is_empty(), "ffmpeg has no {}", encoder.name());
            for keyframes in [
                Keyframes::Gop { secs: 2 },
                Keyframes::Every { secs: 1 },
                Keyframes::AsSource,
            ] {
                let args = encoder.h264_args(30, 1000, keyframes);
                for pair in args.chunks(2) {
                    let [flag, value] = pair else {
                        panic!("{args:?} pairs flags with values")
                    };
                    if EVERY_ENCODER.contains(&flag.as_str()) {
                        continue;
                    }
                    let (_, kind, values) = options
                        .iter()
                        .find(|(name, _, _)| name == flag)
                        .unwrap_or_else(|| panic!("{} takes no {flag}", encoder.name()));
                    let fits = match kind.as_str() {
                        "<string>" => true,
                        "<boolean>" => ["0", "1"].contains(&value.as_str()),
                        _ => value.parse::<i64>().is_ok() || values.contains(value),
                    };
                    assert!(
                        fits,
                        "{} {flag} {kind} takes no {value:?} (named: {values:?})",
                        encoder.name()
                    );
                }
            }
        }
    }

    #[test]
    fn frames_reach_vaapi_uploaded_after_their_own_filters_and_the_others_as_they_are() {
        let vaapi = Encoder::Vaapi {
            device: "/dev/dri/renderD129".into(),
        };
        assert_eq!(
            vaapi.global_args(),
            ["-vaapi_device", "/dev/dri/renderD129"]
        );
        assert_eq!(
            vaapi.chain(Some("scale=-2:240")).as_deref(),
            Some("scale=-2:240,format=nv12,hwupload")
        );
        assert_eq!(vaapi.chain(None).as_deref(), Some("format=nv12,hwupload"));
        for other in [Encoder::Software, Encoder::Nvenc, Encoder::Qsv] {
            assert!(other.global_args().is_empty());
            assert_eq!(other.chain(None), None);
            assert_eq!(
                other.chain(Some("scale=-2:240")).as_deref(),
                Some("scale=-2:240")
            );
        }
    }

    #[test]
    fn keyframes_are_forced_at_the_same_instants_on_a_ladder_and_by_gop_alone() {
        for encoder in every() {
            let has = |args: &[String], pair: [&str; 2]| args.windows(2).any(|w| w == pair);
            let gop = encoder.h264_args(30, 900, Keyframes::Gop { secs: 1 });
            assert!(has(&gop, ["-g", "30"]) && has(&gop, ["-keyint_min", "30"]));
            assert!(!gop.iter().any(|a| a == "-force_key_frames"));
            let ladder = encoder.h264_args(30, 900, Keyframes::Every { secs: 2 });
            assert!(has(
                &ladder,
                ["-force_key_frames", "expr:gte(t,n_forced*2)"]
            ));
            let copied = encoder.h264_args(30, 900, Keyframes::AsSource);
            assert!(has(&copied, ["-force_key_frames", "source"]));
            assert!(has(&copied, ["-b:v", "900k"]) && has(&copied, ["-maxrate", "900k"]));
        }
    }
}
