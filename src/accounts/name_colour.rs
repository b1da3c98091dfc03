//! The colour a user picks for their name in chat: `#rrggbb`, taken only if it reads well on
//! both of the site's themes (WCAG's 3:1, the contrast asked of large or bold text, against the
//! chat's background in the dark theme and in the light one). Shared by the picker in the
//! studio and the server.

/// The chat's background in the dark theme (`--panel`) and in the light one.
pub const BACKGROUNDS: [(&str, [u8; 3]); 2] =
    [("dark", [0x18, 0x1a, 0x21]), ("light", [0xff, 0xff, 0xff])];

/// WCAG 2's contrast for large or bold text (chat names are bold).
pub const MIN_CONTRAST: f64 = 3.0;

/// The picker's swatches: each reads well on both themes (tested).
pub const PRESETS: [&str; 10] = [
    "#dc2626", "#ea580c", "#65a30d", "#16a34a", "#0891b2", "#1e90ff", "#2563eb", "#7c3aed",
    "#c026d3", "#db2777",
];

/// The colour as stored (`#rrggbb`, lower case), or what is wrong with it.
pub fn check(typed: &str) -> Result<String, String> {
    let typed = typed.trim();
    let Some(rgb) = parse(typed) else {
        return Err("Pick a colour as #rrggbb, for example #1e90ff.".into());
    };
    for (theme, background) in BACKGROUNDS {
        let contrast = contrast(rgb, background);
        if contrast < MIN_CONTRAST {
            let hint = match theme {
                "dark" => "pick a lighter one",
                _ => "pick a darker one",
            };
            return Err(format!(
                "That colour is hard to read on the {theme} theme (contrast {contrast:.1}:1, \
                 at least {MIN_CONTRAST}:1 is needed): {hint}."
            ));
        }
    }
    Ok(typed.to_ascii_lowercase())
}

/// The colour a message may be drawn in: a stored one that still parses (anything else, the
/// default).
pub fn shown(colour: Option<&str>) -> Option<String> {
    colour
        .filter(|c| parse(c).is_some())
        .map(str::to_ascii_lowercase)
}

/// `#rrggbb` as its three channels.
fn parse(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |at: usize| u8::from_str_radix(&hex[at..at + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// WCAG 2's relative luminance.
fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// WCAG 2's contrast ratio, 1 to 21.
fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (a, b) = (luminance(a), luminance(b));
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_swatch_reads_well_on_both_themes() {
        for preset in PRESETS {
            assert_eq!(check(preset), Ok(preset.to_string()));
        }
    }

    #[test]
    fn colours_hard_to_read_on_either_theme_are_refused_with_a_way_out() {
        let on_dark = check("#0000ff").unwrap_err();
        assert!(
            on_dark.contains("dark theme") && on_dark.contains("lighter"),
            "{on_dark}"
        );
        let on_light = check("#FFFF00").unwrap_err();
        assert!(
            on_light.contains("light theme") && on_light.contains("darker"),
            "{on_light}"
        );
        assert!(check("#000000").is_err());
        assert!(check("#ffffff").is_err());
        assert_eq!(check(" #1E90FF "), Ok("#1e90ff".into()));
    }

    #[test]
    fn only_six_hex_digits_are_a_colour() {
        for bad in [
            "",
            "#",
            "1e90ff",
            "#1e90f",
            "#1e90ff0",
            "#1e90fg",
            "red",
            "#1e90ff;x:y",
            "#ｆｆ0000",
            "#é90ff",
        ] {
            assert!(check(bad).unwrap_err().contains("#rrggbb"), "{bad:?}");
            assert_eq!(shown(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(shown(Some("#1E90FF")), Some("#1e90ff".into()));
        assert_eq!(shown(None), None);
    }

    #[test]
    fn contrast_is_wcags() {
        assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
        assert!((contrast([9, 9, 9], [9, 9, 9]) - 1.0).abs() < 1e-9);
    }
}
