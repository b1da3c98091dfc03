//! What a broadcast's title may be: shared, so the studio's form and the server agree.

pub const TITLE_MAX: usize = 120;

/// A usable title: trimmed, 1–120 characters, no control characters.
pub fn check_title(title: &str) -> Result<String, String> {
    let title = title.trim();
    if title.is_empty() {
        return Err("Give the broadcast a title.".into());
    }
    if title.chars().count() > TITLE_MAX {
        return Err(format!("A title has at most {TITLE_MAX} characters."));
    }
    if title.chars().any(char::is_control) {
        return Err("A title is one line of text.".into());
    }
    Ok(title.to_string())
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
    }
}
