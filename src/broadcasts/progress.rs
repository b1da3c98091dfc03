//! ffmpeg's `-progress` output (blocks of `key=value` lines ending in `progress=…`) turned into
//! the figures the studio shows.

use super::api::EncoderFigures;

/// Collects one block of progress lines at a time.
#[derive(Default)]
pub struct ProgressReader {
    block: EncoderFigures,
}

impl ProgressReader {
    /// Whether `line` is a progress line (the rest of stderr is log).
    pub fn is_progress(line: &str) -> bool {
        line.split_once('=').is_some_and(|(key, _)| {
            !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
    }

    /// Takes one progress line; returns the figures when a block is complete.
    pub fn line(&mut self, line: &str) -> Option<EncoderFigures> {
        let (key, value) = line.split_once('=')?;
        let value = value.trim();
        match key {
            "frame" => self.block.frames = value.parse().unwrap_or(self.block.frames),
            "fps" => self.block.fps = value.parse().ok(),
            "bitrate" => {
                self.block.kbps = value
                    .strip_suffix("kbits/s")
                    .and_then(|v| v.trim().parse().ok())
            }
            "speed" => {
                self.block.speed = value.strip_suffix('x').and_then(|v| v.trim().parse().ok())
            }
            "progress" => return Some(self.block.clone()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_of_progress_lines_makes_figures() {
        let block = "frame=120\nfps=30.01\nstream_0_0_q=23.0\nbitrate= 912.4kbits/s\n\
                     total_size=456789\nout_time_us=4000000\nspeed=1.00x\nprogress=continue";
        let mut reader = ProgressReader::default();
        let mut figures = None;
        for line in block.lines() {
            assert!(ProgressReader::is_progress(line), "{line}");
            figures = reader.line(line).or(figures);
        }
        let figures = figures.expect("a complete block");
        assert_eq!(figures.frames, 120);
        assert_eq!(figures.fps, Some(30.01));
        assert_eq!(figures.kbps, Some(912.4));
        assert_eq!(figures.speed, Some(1.0));
    }

    #[test]
    fn unknown_values_are_left_out_and_log_lines_are_not_progress() {
        let mut reader = ProgressReader::default();
        assert_eq!(reader.line("bitrate=N/A"), None);
        assert_eq!(reader.line("speed=N/A"), None);
        let figures = reader.line("progress=continue").unwrap();
        assert_eq!((figures.kbps, figures.speed), (None, None));
        assert!(!ProgressReader::is_progress(
            "[libx264 @ 0x55] frame=3 warning"
        ));
        assert!(!ProgressReader::is_progress("Input #0, lavfi, from 'x':"));
    }
}
