//! What a broadcast's title may be: shared, so the studio's form and the server agree.

pub const TITLE_MAX: usize = 120;
/// Bytes looked at, at most: 120 characters of UTF-8 and room for what cleaning removes.
const INPUT_MAX_BYTES: usize = 8 * TITLE_MAX;

/// A usable title: 1–120 characters of one line, without direction controls (which would make
/// it read differently in the directory) or invisible characters at its ends, and with
/// something visible in it.
pub fn check_title(title: &str) -> Result<String, String> {
    let too_long = || format!("A title has at most {TITLE_MAX} characters.");
    if title.len() > INPUT_MAX_BYTES {
        return Err(too_long());
    }
    let title = crate::text::visible(title);
    if title.is_empty() {
        return Err("Give the broadcast a title.".into());
    }
    if title.chars().count() > TITLE_MAX {
        return Err(too_long());
    }
    if title.chars().any(char::is_control) {
        return Err("A title is one line of text.".into());
    }
    Ok(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_trimmed_line_of_reasonable_length() {
        assert_eq!(check_title("  Friday jam "), Ok("Friday jam".into()));
        assert!(check_title("   ").is_err());
        assert!(check_title("a\nb").is_err());
        assert!(check_title(&"x".repeat(TITLE_MAX + 1)).is_err());
        assert!(check_title(&"\u{200B}".repeat(10_000)).is_err());
    }

    /// Issue 25: a title is shown to everyone in the directory, so it loses what chat loses.
    #[test]
    fn titles_lose_direction_overrides_and_invisible_padding() {
        assert_eq!(check_title("see \u{202E}exe.txt"), Ok("see exe.txt".into()));
        assert_eq!(check_title("\u{200B}\u{3164}jam\u{FEFF}"), Ok("jam".into()));
        assert_eq!(
            check_title("\u{200B}\u{2800}"),
            Err("Give the broadcast a title.".into())
        );
        let family = "\u{1F468}\u{200D}\u{1F469}";
        assert_eq!(check_title(family), Ok(family.into()));
    }
}
