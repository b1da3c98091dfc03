//! What a chat message may be: 1–500 characters of plain text once control characters are
//! removed and the ends trimmed.

pub const MESSAGE_MAX: usize = 500;

/// The message as it will be stored and shown, or what is wrong with it.
pub fn clean_message(text: &str) -> Result<String, String> {
    let cleaned: String = text.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim();
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
    fn empty_and_overlong_messages_are_refused() {
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
