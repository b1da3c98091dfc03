//! Pictures people upload (channel emotes, channel avatars) made safe to serve: only PNG, GIF
//! or WebP (told by their first bytes, not by what the upload says), decoded with the `image`
//! crate under a size and memory budget, shrunk to fit a square and re-encoded as a PNG. What
//! is served is always our own encoding; an animated upload keeps its first frame. Decoding
//! runs on the blocking pool, a few at a time for the whole server (`Pictures`), so uploads
//! never hold up the media path.

use std::io::Cursor;
use std::sync::Arc;

use image::{ImageFormat, ImageReader, Limits};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// The widest and tallest upload decoded, in pixels.
const SOURCE_SIDE_MAX: u32 = 2048;
/// What a decoder may allocate for one upload.
const DECODE_ALLOC_MAX: u64 = 32 << 20;

/// Uploads decoded at once, in all.
const DECODING_AT_ONCE: usize = 2;

/// The server's picture decoder, shared by everything that takes uploads.
#[derive(Clone)]
pub struct Pictures {
    decoding: Arc<Semaphore>,
}

impl Default for Pictures {
    fn default() -> Self {
        Self {
            decoding: Arc::new(Semaphore::new(DECODING_AT_ONCE)),
        }
    }
}

impl Pictures {
    /// `upload` as our own PNG at most `side` pixels a side, in its turn; a refusal says why.
    pub async fn reencode(&self, upload: Vec<u8>, side: u32) -> Result<Vec<u8>, AppError> {
        let _turn = self
            .decoding
            .acquire()
            .await
            .map_err(|_| AppError::Busy("The server is stopping.".into()))?;
        tokio::task::spawn_blocking(move || reencode(&upload, side))
            .await
            .map_err(|_| AppError::Server("a picture could not be decoded".into()))?
            .map_err(AppError::Invalid)
    }
}

/// Refuses an upload of more than `max` bytes before it is decoded: `what` names it ("An
/// emote's picture") in the message.
pub fn check_size(upload: &[u8], max: usize, what: &str) -> Result<(), AppError> {
    if upload.len() > max {
        return Err(AppError::TooLarge(format!(
            "{what} is at most {} KiB.",
            max >> 10
        )));
    }
    Ok(())
}

/// The picture as the PNG we serve, at most `side` pixels a side, or why the upload is refused.
pub fn reencode(upload: &[u8], side: u32) -> Result<Vec<u8>, String> {
    let format = match image::guess_format(upload) {
        Ok(format @ (ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP)) => format,
        _ => return Err("Upload a PNG, GIF or WebP picture.".into()),
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(SOURCE_SIDE_MAX);
    limits.max_image_height = Some(SOURCE_SIDE_MAX);
    limits.max_alloc = Some(DECODE_ALLOC_MAX);
    let mut reader = ImageReader::with_format(Cursor::new(upload), format);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|err| match err {
        image::ImageError::Limits(_) => {
            format!(
                "That picture is too large: at most {SOURCE_SIDE_MAX}×{SOURCE_SIDE_MAX} pixels."
            )
        }
        _ => "That picture could not be read: upload a PNG, GIF or WebP file.".to_string(),
    })?;
    let small = if decoded.width() > side || decoded.height() > side {
        decoded.thumbnail(side, side)
    } else {
        decoded
    };
    let mut png = Vec::new();
    small
        .to_rgba8()
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|_| "That picture could not be re-encoded.".to_string())?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgba};

    const SIDE_PX: u32 = 112;

    fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let picture = ImageBuffer::from_fn(width, height, |x, y| {
            Rgba([(x % 256) as u8, (y % 256) as u8, 200, 255])
        });
        let mut bytes = Vec::new();
        let picture = image::DynamicImage::ImageRgba8(picture);
        let picture = match format {
            ImageFormat::Gif => image::DynamicImage::ImageRgba8(picture.to_rgba8()),
            _ => picture,
        };
        picture
            .write_to(&mut Cursor::new(&mut bytes), format)
            .unwrap();
        bytes
    }

    fn size_of(png: &[u8]) -> (u32, u32) {
        let decoded = image::load_from_memory_with_format(png, ImageFormat::Png).unwrap();
        (decoded.width(), decoded.height())
    }

    #[test]
    fn a_png_or_gif_becomes_a_png_no_larger_than_an_emote() {
        let large = reencode(&encoded(560, 280, ImageFormat::Png), SIDE_PX).unwrap();
        assert_eq!(size_of(&large), (112, 56), "shrunk, its shape kept");
        let small = reencode(&encoded(28, 28, ImageFormat::Gif), SIDE_PX).unwrap();
        assert_eq!(size_of(&small), (28, 28), "never made larger");
        assert!(small.starts_with(b"\x89PNG"), "served as our own PNG");
    }

    #[test]
    fn anything_else_is_refused_with_a_reason() {
        for (upload, says) in [
            (b"<svg onload=alert(1)>".to_vec(), "PNG, GIF or WebP"),
            (b"\xFF\xD8\xFF\xE0 a jpeg".to_vec(), "PNG, GIF or WebP"),
            (b"\x89PNG\r\n\x1a\nbroken".to_vec(), "could not be read"),
            (Vec::new(), "PNG, GIF or WebP"),
        ] {
            let refused = reencode(&upload, SIDE_PX).unwrap_err();
            assert!(refused.contains(says), "{refused}");
        }
    }

    #[test]
    fn a_picture_that_claims_to_be_huge_costs_nothing() {
        // A valid PNG header for 60000×60000 pixels (about 14 GB decoded), no data behind it.
        let mut bomb = encoded(1, 1, ImageFormat::Png);
        bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        let refused = reencode(&bomb, SIDE_PX).unwrap_err();
        assert!(
            refused.contains("too large") || refused.contains("could not be read"),
            "{refused}"
        );
        let wide = encoded(2100, 1, ImageFormat::Png);
        assert!(reencode(&wide, SIDE_PX).unwrap_err().contains("too large"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(crate::ingest::flv::fuzz_cases(300)))]

        /// Whatever follows a PNG, GIF or WebP signature, an upload is refused or made into
        /// a small PNG, never a panic.
        #[test]
        fn any_upload_is_refused_or_made_small(
            kind in 0usize..3,
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048),
        ) {
            let signature: &[u8] = match kind {
                0 => b"\x89PNG\r\n\x1a\n",
                1 => b"GIF89a",
                _ => b"RIFF\x00\x01\x00\x00WEBPVP8 ",
            };
            if let Ok(png) = reencode(&[signature, &tail].concat(), SIDE_PX) {
                let (width, height) = size_of(&png);
                proptest::prop_assert!(width <= SIDE_PX && height <= SIDE_PX);
            }
        }
    }
}
