//! The ladder: the rungs one broadcast is made in. The setting lists them from the top, e.g.
//! `source, 720p:2500, 480p:1000, 240p:300, audio` (a height with its video bitrate in
//! kbit/s; `source` is the broadcaster's own picture; `audio` is sound alone). A broadcast gets
//! the rungs below its source's height — a 480p source gets `source`, 240p and audio — each
//! as wide as the source's shape makes it, rounded to even numbers as encoders need.

use crate::live::wire::{AUDIO_RUNG, SOURCE_RUNG};

/// One rung as the setting names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RungSetting {
    /// The source itself, as it arrives (passed through, or encoded once as today).
    Source,
    /// Video scaled down to `height` lines at about `kbps`, with the source's sound.
    Scaled { height: u32, kbps: u32 },
    /// Sound alone.
    AudioOnly,
}

/// The tallest and shortest scaled rung a setting may name, and the bitrates it may ask for.
const HEIGHTS: std::ops::RangeInclusive<u32> = 90..=4320;
const KBPS: std::ops::RangeInclusive<u32> = 50..=50_000;
/// Rungs in one ladder, at most.
pub const MAX_RUNGS: usize = 8;

/// Reads a ladder setting: rungs from the top, separated by commas.
pub fn parse(setting: &str) -> Result<Vec<RungSetting>, String> {
    let mut rungs = Vec::new();
    for part in setting.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let rung = match part {
            SOURCE_RUNG => RungSetting::Source,
            AUDIO_RUNG => RungSetting::AudioOnly,
            scaled => parse_scaled(scaled)?,
        };
        if rungs.contains(&rung) {
            return Err(format!("the rung {part} is named twice"));
        }
        rungs.push(rung);
        if rungs.len() > MAX_RUNGS {
            return Err(format!("at most {MAX_RUNGS} rungs"));
        }
    }
    if rungs.first() != Some(&RungSetting::Source) {
        return Err("the ladder starts with source".into());
    }
    if rungs[1..].contains(&RungSetting::Source) {
        return Err("source is named twice".into());
    }
    if let Some(at) = rungs.iter().position(|r| *r == RungSetting::AudioOnly)
        && at != rungs.len() - 1
    {
        return Err("audio comes last".into());
    }
    let heights: Vec<u32> = rungs
        .iter()
        .filter_map(|r| match r {
            RungSetting::Scaled { height, .. } => Some(*height),
            _ => None,
        })
        .collect();
    if heights.windows(2).any(|w| w[0] <= w[1]) {
        return Err("scaled rungs go from the tallest down".into());
    }
    Ok(rungs)
}

/// `720p:2500`: a height and a bitrate.
fn parse_scaled(part: &str) -> Result<RungSetting, String> {
    let unknown = || {
        format!("{part:?} is not a rung: name source, audio, or a height and kbit/s like 480p:1000")
    };
    let (height, kbps) = part.split_once(':').ok_or_else(unknown)?;
    let height: u32 = height
        .strip_suffix('p')
        .and_then(|h| h.parse().ok())
        .ok_or_else(unknown)?;
    let kbps: u32 = kbps.parse().map_err(|_| unknown())?;
    if !HEIGHTS.contains(&height) {
        return Err(format!(
            "{part}: a height from {} to {}",
            HEIGHTS.start(),
            HEIGHTS.end()
        ));
    }
    if !KBPS.contains(&kbps) {
        return Err(format!(
            "{part}: a bitrate from {} to {} kbit/s",
            KBPS.start(),
            KBPS.end()
        ));
    }
    Ok(RungSetting::Scaled { height, kbps })
}

/// One rung of a broadcast's ladder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rung {
    /// What viewers see it called: "source", "480p", "audio".
    pub name: String,
    /// Its picture; None for sound alone.
    pub size: Option<(u32, u32)>,
    /// The video bitrate it is encoded at, kbit/s; None for the source (its own) and sound.
    pub kbps: Option<u32>,
}

impl Rung {
    /// The rung of sound alone.
    pub fn sound_alone() -> Self {
        Rung {
            name: AUDIO_RUNG.into(),
            size: None,
            kbps: None,
        }
    }

    pub fn is_audio_only(&self) -> bool {
        self.size.is_none()
    }
}

/// The ladder for a source `width`×`height`: the setting's rungs that are shorter than the
/// source, each as wide as the source's shape makes it (even numbers), from the top.
pub fn for_source(setting: &[RungSetting], width: u32, height: u32) -> Vec<Rung> {
    let mut rungs = Vec::new();
    for rung in setting {
        match *rung {
            RungSetting::Source => rungs.push(Rung {
                name: SOURCE_RUNG.into(),
                size: Some((width, height)),
                kbps: None,
            }),
            RungSetting::Scaled { height: h, kbps } if h < height => {
                let w = u64::from(width) * u64::from(h) / u64::from(height.max(1));
                rungs.push(Rung {
                    name: format!("{h}p"),
                    size: Some((even(w as u32), even(h))),
                    kbps: Some(kbps),
                });
            }
            RungSetting::Scaled { .. } => {}
            RungSetting::AudioOnly => rungs.push(Rung::sound_alone()),
        }
    }
    rungs
}

/// `n` rounded up to an even number, at least 2.
fn even(n: u32) -> u32 {
    (n.div_ceil(2) * 2).max(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "source, 720p:2500, 480p:1000, 240p:300, audio";

    #[test]
    fn the_default_ladder_reads_from_the_top() {
        assert_eq!(
            parse(DEFAULT).unwrap(),
            vec![
                RungSetting::Source,
                RungSetting::Scaled {
                    height: 720,
                    kbps: 2500
                },
                RungSetting::Scaled {
                    height: 480,
                    kbps: 1000
                },
                RungSetting::Scaled {
                    height: 240,
                    kbps: 300
                },
                RungSetting::AudioOnly,
            ]
        );
        assert_eq!(parse("source").unwrap(), vec![RungSetting::Source]);
    }

    #[test]
    fn a_ladder_that_cannot_be_made_is_refused_saying_why() {
        for (setting, says) in [
            ("", "starts with source"),
            ("720p:2500", "starts with source"),
            ("source, 480p:1000, 720p:2500", "tallest down"),
            ("source, audio, 240p:300", "audio comes last"),
            ("source, 480p", "not a rung"),
            ("source, 480:1000", "not a rung"),
            ("source, 480p:lots", "not a rung"),
            ("source, 10p:100", "a height from"),
            ("source, 480p:5", "a bitrate from"),
            ("source, 480p:1000, 480p:1000", "named twice"),
            ("source, source", "named twice"),
            ("source, 900p:9, 800p:9", "a bitrate from"),
        ] {
            let err = parse(setting).unwrap_err();
            assert!(err.contains(says), "{setting:?}: {err}");
        }
        let long = std::iter::once("source".to_string())
            .chain((1..=9).map(|i| format!("{}p:500", 1000 - i * 10)))
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse(&long).unwrap_err().contains("at most"));
    }

    #[test]
    fn a_source_is_never_upscaled_and_every_size_is_even() {
        let setting = parse(DEFAULT).unwrap();
        let names = |rungs: Vec<Rung>| rungs.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(for_source(&setting, 854, 480)),
            ["source", "240p", "audio"],
            "a 480p source gets 480p (its own), 240p and audio"
        );
        let ladder = for_source(&setting, 1920, 1080);
        assert_eq!(
            names(ladder.clone()),
            ["source", "720p", "480p", "240p", "audio"]
        );
        assert_eq!(ladder[1].size, Some((1280, 720)));
        assert_eq!(ladder[2].size, Some((854, 480)));
        assert_eq!(ladder[3].size, Some((426, 240)));
        assert!(ladder[4].is_audio_only());
        // A portrait phone's 720×1280: each rung keeps its shape, with even sides.
        let portrait = for_source(&setting, 720, 1280);
        assert_eq!(portrait[1].size, Some((406, 720)));
        for rung in portrait.iter().chain(&ladder) {
            if let Some((w, h)) = rung.size {
                assert!(w % 2 == 0 && h % 2 == 0, "{rung:?}");
            }
        }
    }
}
