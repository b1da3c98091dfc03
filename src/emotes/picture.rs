//! An uploaded emote made safe to serve: only PNG, GIF or WebP (told by their first bytes, not
//! by what the upload says), decoded with the `image` crate under a size and memory budget,
//! shrunk to fit [`SIDE_PX`] and re-encoded as a PNG. What is served is always our own
//! encoding; an animated upload keeps its first frame.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

use super::rules::SIDE_PX;

/// The widest and tallest upload decoded, in pixels.
const SOURCE_SIDE_MAX: u32 = 2048;
/// What a decoder may allocate for one upload.
const DECODE_ALLOC_MAX: u64 = 32 << 20;

/// The emote as the PNG we serve, or why the upload is refused.
pub fn reencode(upload: &[u8]) -> Result<Vec<u8>, String> {
    let format = match image::guess_format(upload) {
        Ok(format @ (ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP)) => format,
        _ => return Err("An emote is a PNG, GIF or WebP picture.".into()),
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
    let small = if decoded.width() > SIDE_PX || decoded.height() > SIDE_PX {
        decoded.thumbnail(SIDE_PX, SIDE_PX)
    } else {
        decoded
    };
    let mut png = Vec::new();
    small
        .to_rgba8()
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|_| "That picture could not be made into an emote.".to_string())?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgba};

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
        let large = reencode(&encoded(560, 280, ImageFormat::Png)).unwrap();
        assert_eq!(size_of(&large), (112, 56), "shrunk, its shape kept");
        let small = reencode(&encoded(28, 28, ImageFormat::Gif)).unwrap();
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
            let refused = reencode(&upload).unwrap_err();
            assert!(refused.contains(says), "{refused}");
        }
    }

    #[test]
    fn a_picture_that_claims_to_be_huge_costs_nothing() {
        // A valid PNG header for 60000×60000 pixels (about 14 GB decoded), no data behind it.
        let mut bomb = encoded(1, 1, ImageFormat::Png);
        bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        let refused = reencode(&bomb).unwrap_err();
        assert!(
            refused.contains("too large") || refused.contains("could not be read"),
            "{refused}"
        );
        let wide = encoded(2100, 1, ImageFormat::Png);
        assert!(reencode(&wide).unwrap_err().contains("too large"));
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
            if let Ok(png) = reencode(&[signature, &tail].concat()) {
                let (width, height) = size_of(&png);
                proptest::prop_assert!(width <= SIDE_PX && height <= SIDE_PX);
            }
        }
    }
}
