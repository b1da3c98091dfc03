//! What a chat message may be: 1–500 characters of plain text once control characters and
//! direction overrides are removed and the ends trimmed, with something visible in it.

pub const MESSAGE_MAX: usize = 500;
/// Bytes looked at, at most: 500 characters of UTF-8 and room for what cleaning removes.
const INPUT_MAX_BYTES: usize = 8 * MESSAGE_MAX;

use crate::text::{is_direction_control, is_invisible};

/// The message as it will be stored and shown, or what is wrong with it.
pub fn clean_message(text: &str) -> Result<String, String> {
    if text.len() > INPUT_MAX_BYTES {
        return Err(format!("A message has at most {MESSAGE_MAX} characters."));
    }
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_control() && !is_direction_control(*c))
        .collect();
    let cleaned = cleaned.trim_matches(is_invisible);
    if cleaned.is_empty() {
        return Err("Type a message first.".into());
    }
    if cleaned.chars().count() > MESSAGE_MAX {
        return Err(format!("A message has at most {MESSAGE_MAX} characters."));
    }
    Ok(cleaned.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_trimmed_and_lose_control_characters() {
        assert_eq!(clean_message("  hi there \n"), Ok("hi there".into()));
        assert_eq!(clean_message("a\u{0}b\u{7}c\r\nd"), Ok("abcd".into()));
        assert_eq!(
            clean_message("<img src=x onerror=alert(1)>"),
            Ok("<img src=x onerror=alert(1)>".into()),
            "kept as text; the page shows it literally"
        );
    }

    #[test]
    fn direction_overrides_are_removed_and_invisible_only_messages_refused() {
        // "txt.exe" shown reversed by a right-to-left override.
        assert_eq!(
            clean_message("see \u{202E}exe.txt"),
            Ok("see exe.txt".into())
        );
        assert_eq!(
            clean_message("a\u{2067}b\u{2069}c\u{200F}"),
            Ok("abc".into())
        );
        for invisible in [
            "\u{200B}\u{200B}",
            "\u{3164}",
            "\u{2800}\u{FEFF}",
            " \u{200D} ",
            "\u{E0041}",
        ] {
            assert_eq!(
                clean_message(invisible),
                Err("Type a message first.".into()),
                "{invisible:?}"
            );
        }
        // Joiners inside a message stay: they make emoji sequences.
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(clean_message(family), Ok(family.into()));
        // Invisible padding around a message goes.
        assert_eq!(clean_message("\u{200B}hi\u{3164}"), Ok("hi".into()));
    }

    #[test]
    fn empty_and_overlong_messages_are_refused() {
        assert_eq!(
            clean_message(&"\u{200B}".repeat(5000)),
            Err("A message has at most 500 characters.".into()),
            "15,000 bytes are refused before they are looked at"
        );
        assert!(clean_message("").is_err());
        assert!(clean_message(" \t\n\u{1b} ").is_err());
        assert_eq!(
            clean_message(&"é".repeat(MESSAGE_MAX)).map(|m| m.chars().count()),
            Ok(500)
        );
        assert_eq!(
            clean_message(&"x".repeat(MESSAGE_MAX + 1)),
            Err("A message has at most 500 characters.".into())
        );
    }
}
