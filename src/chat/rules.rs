//! What a chat message may be: 1–500 characters of plain text once control characters and
//! direction overrides are removed and the ends trimmed, with something visible in it; and
//! the bounds of a channel's chat rules and of a timeout.

pub const MESSAGE_MAX: usize = 500;
/// Bytes looked at, at most: 500 characters of UTF-8 and room for what cleaning removes.
const INPUT_MAX_BYTES: usize = 8 * MESSAGE_MAX;

use super::api::ChatRules;
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
    if crate::emotes::rules::written_count(cleaned) > EMOTES_MAX {
        return Err(format!(
            "A message shows at most {EMOTES_MAX} emotes: leave some out."
        ));
    }
    if mention_count(cleaned) > MENTIONS_MAX {
        return Err(format!(
            "A message mentions at most {MENTIONS_MAX} people: leave some @names out."
        ));
    }
    Ok(cleaned.to_string())
}

/// The most emotes one message may show.
pub const EMOTES_MAX: usize = crate::emotes::rules::PER_MESSAGE_MAX;

/// The most people one message may mention: more is a flood of highlights.
pub const MENTIONS_MAX: usize = 5;

/// How many `@name`s `text` holds (an `@` followed by a character a username may start with).
fn mention_count(text: &str) -> usize {
    text.match_indices('@')
        .filter(|(at, _)| {
            text[at + 1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
        })
        .count()
}

/// Whether `text` mentions `username` (`@name`, whatever the case, not inside a longer name).
pub fn mentions(text: &str, username: &str) -> bool {
    if username.is_empty() {
        return false;
    }
    let (text, wanted) = (text.to_ascii_lowercase(), username.to_ascii_lowercase());
    text.match_indices('@').any(|(at, _)| {
        let name = &text[at + 1..];
        name.starts_with(&wanted)
            && !name[wanted.len()..]
                .chars()
                .next()
                .is_some_and(crate::accounts::rules::is_username_char)
    })
}

/// Slow mode's choices in the studio, in seconds (0: off); any up to `SLOW_MAX_SECS` is taken.
pub const SLOW_CHOICES: [u64; 6] = [0, 3, 10, 30, 60, 120];
pub const SLOW_MAX_SECS: u64 = 600;
/// Followers-only's choices in the studio, in minutes followed (None: off).
pub const FOLLOWERS_CHOICES: [Option<u64>; 6] =
    [None, Some(0), Some(10), Some(30), Some(60), Some(24 * 60)];
/// Three months, as Twitch's longest.
pub const FOLLOWERS_MAX_MIN: u64 = 90 * 24 * 60;
/// The moderators' quick timeouts, in seconds: 1 min, 10 min, 1 h.
pub const TIMEOUT_CHOICES: [u64; 3] = [60, 600, 3600];
/// Two weeks; a longer one is a ban.
pub const TIMEOUT_MAX_SECS: u64 = 14 * 24 * 3600;

/// Chat rules a channel's owner may set.
pub fn check_chat_rules(wanted: ChatRules) -> Result<ChatRules, String> {
    if wanted.slow_secs > SLOW_MAX_SECS {
        return Err(format!(
            "Slow mode is at most one message every {SLOW_MAX_SECS} seconds."
        ));
    }
    if wanted
        .followers_only_min
        .is_some_and(|m| m > FOLLOWERS_MAX_MIN)
    {
        return Err("Followers-only asks for at most three months of following.".into());
    }
    Ok(wanted)
}

/// A timeout's length, in seconds.
pub fn check_timeout(secs: u64) -> Result<u64, String> {
    match secs {
        0 => Err("A timeout lasts at least a second.".into()),
        secs if secs > TIMEOUT_MAX_SECS => {
            Err("A timeout lasts at most two weeks: ban them instead.".into())
        }
        secs => Ok(secs),
    }
}

/// The most terms a channel blocks, and the longest one.
pub const BLOCKED_TERMS_MAX: usize = 200;
pub const BLOCKED_TERM_MAX_CHARS: usize = 50;

/// A channel's blocked terms as typed, one per line: each trimmed, in lower case, 2–50
/// characters; a `*` at either end stands for any letters there ("scam*" blocks "scammer").
/// Empty lines and repeats are dropped.
pub fn check_blocked_terms(typed: &str) -> Result<Vec<String>, String> {
    if typed.len() > BLOCKED_TERMS_MAX * BLOCKED_TERM_MAX_CHARS * 4 {
        return Err(format!(
            "A chat blocks at most {BLOCKED_TERMS_MAX} terms of {BLOCKED_TERM_MAX_CHARS} characters."
        ));
    }
    let mut terms: Vec<String> = Vec::new();
    for line in typed.lines() {
        let term = fold(line);
        let term = term.trim();
        if term.is_empty() || terms.iter().any(|t| t == term) {
            continue;
        }
        let letters = term.trim_matches('*').chars().count();
        if letters < 2 {
            return Err(format!(
                "\"{term}\" is too short to block: a term has at least 2 characters besides *."
            ));
        }
        if term.chars().count() > BLOCKED_TERM_MAX_CHARS {
            return Err(format!(
                "A blocked term has at most {BLOCKED_TERM_MAX_CHARS} characters."
            ));
        }
        if term.trim_matches('*').contains('*') {
            return Err(format!(
                "\"{term}\": a * stands for any letters at the start or the end of a term only."
            ));
        }
        terms.push(term.to_string());
    }
    if terms.len() > BLOCKED_TERMS_MAX {
        return Err(format!("A chat blocks at most {BLOCKED_TERMS_MAX} terms."));
    }
    Ok(terms)
}

/// Whether `text` holds one of `terms` (as `check_blocked_terms` keeps them) as a word or
/// phrase of its own, whatever its case, spacing or the invisible characters put inside it.
pub fn blocked_term_in(text: &str, terms: &[String]) -> bool {
    if terms.is_empty() {
        return false;
    }
    let text = fold(text);
    terms.iter().any(|term| {
        let (open_start, open_end) = (term.starts_with('*'), term.ends_with('*'));
        let core = term.trim_matches('*');
        text.match_indices(core).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + core.len()..].chars().next();
            let apart = |c: Option<char>| !c.is_some_and(char::is_alphanumeric);
            (open_start || apart(before)) && (open_end || apart(after))
        })
    })
}

/// Text as terms are matched: lower case, without control or invisible characters, each run
/// of spaces one space.
fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_direction_control(c) || (is_invisible(c) && !c.is_whitespace()) {
            continue;
        }
        if c.is_whitespace() {
            if !folded.ends_with(' ') {
                folded.push(' ');
            }
            continue;
        }
        folded.extend(c.to_lowercase());
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_terms_are_words_or_phrases_whatever_the_case_spacing_or_hidden_characters() {
        let terms = check_blocked_terms("Scam\n  buy  Followers \n\nscam\n*coin\nspoil*").unwrap();
        assert_eq!(terms, ["scam", "buy followers", "*coin", "spoil*"]);
        for blocked in [
            "this is a SCAM",
            "scam!",
            "(scam)",
            "Buy   followers now",
            "sc\u{200B}am",
            "free bitcoin",
            "no spoilers please",
            "BUY\u{2060} FOLLOWERS",
        ] {
            assert!(blocked_term_in(blocked, &terms), "{blocked:?}");
        }
        for allowed in [
            "scampi for dinner",
            "a scammer",
            "buy more followers",
            "coins",
            "unspoiled",
            "hello",
        ] {
            assert!(!blocked_term_in(allowed, &terms), "{allowed:?}");
        }
        assert!(!blocked_term_in("scam", &[]));
    }

    #[test]
    fn blocked_terms_are_bounded() {
        assert_eq!(check_blocked_terms(""), Ok(vec![]));
        assert!(check_blocked_terms("a").unwrap_err().contains("too short"));
        assert!(check_blocked_terms("**x**").is_err());
        assert!(
            check_blocked_terms("sc*am")
                .unwrap_err()
                .contains("start or the end")
        );
        assert!(check_blocked_terms(&"x".repeat(51)).is_err());
        let many: Vec<String> = (0..=BLOCKED_TERMS_MAX)
            .map(|i| format!("term{i}"))
            .collect();
        assert!(
            check_blocked_terms(&many.join("\n"))
                .unwrap_err()
                .contains("200")
        );
        assert_eq!(
            check_blocked_terms(&many[..200].join("\n")).map(|t| t.len()),
            Ok(200)
        );
        assert!(
            check_blocked_terms(&"\n".repeat(16 << 20)).is_err(),
            "16 MB are refused before they are looked at"
        );
    }

    #[test]
    fn a_message_shows_at_most_twenty_emotes() {
        assert!(clean_message(&":wave: ".repeat(20)).is_ok());
        assert_eq!(
            clean_message(&":wave:".repeat(21)),
            Err("A message shows at most 20 emotes: leave some out.".into())
        );
    }

    #[test]
    fn a_message_mentions_at_most_five_people() {
        assert!(clean_message("@a1 @b2 @c3 @d4 @e5 hello").is_ok());
        assert!(
            clean_message("@@@@@@@ mail me at x@ y @ z").is_ok(),
            "an @ alone is no mention"
        );
        assert_eq!(
            clean_message("@a1 @b2 @c3 @d4 @e5 @f6"),
            Err("A message mentions at most 5 people: leave some @names out.".into())
        );
        assert!(clean_message(&"@x ".repeat(100)).is_err());
    }

    #[test]
    fn a_mention_is_at_and_the_whole_name_whatever_the_case() {
        assert!(mentions("hi @Ana!", "ana"));
        assert!(mentions("@ana", "ANA"));
        assert!(mentions("cc @bob and @ana-b @ana", "ana"));
        assert!(!mentions("hi ana", "ana"), "no @");
        assert!(!mentions("hi @anabel", "ana"), "a longer name");
        assert!(!mentions("hi @ana_b", "ana"));
        assert!(!mentions("@", "ana"));
        assert!(!mentions("@@@é@", "ana"));
        assert!(!mentions("@ana", ""));
    }

    #[test]
    fn rules_and_timeouts_stay_within_their_bounds() {
        let rules = |slow_secs, followers_only_min| ChatRules {
            slow_secs,
            followers_only_min,
        };
        assert_eq!(check_chat_rules(rules(10, Some(0))), Ok(rules(10, Some(0))));
        assert!(check_chat_rules(rules(SLOW_MAX_SECS + 1, None)).is_err());
        assert!(check_chat_rules(rules(0, Some(FOLLOWERS_MAX_MIN + 1))).is_err());
        assert_eq!(check_timeout(60), Ok(60));
        assert!(check_timeout(0).is_err());
        assert!(
            check_timeout(TIMEOUT_MAX_SECS + 1)
                .unwrap_err()
                .contains("ban")
        );
    }

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
