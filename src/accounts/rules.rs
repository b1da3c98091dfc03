//! What makes a username and a password acceptable, and where a sign-in may lead. Usernames become channel URLs
//! (`/watch/{name}`), so they are short and made of URL-safe characters only.

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 24;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 256;

/// Said of a password an attacker would guess early (also by the server's `guessable` check).
pub const TOO_EASY_TO_GUESS: &str = "That password is too easy to guess.";

/// Names that already mean something on this site.
const RESERVED: &[&str] = &["demo", "admin", "api", "live", "onair", "studio", "watch"];

/// Whether `text` has a username's length and characters: 1–24 ASCII letters, digits, `_` or
/// `-`. (What an account's name or a channel's can be; `check_username` asks more of a new one.)
pub fn could_be_username(text: &str) -> bool {
    (1..=USERNAME_MAX).contains(&text.len()) && text.chars().all(is_username_char)
}

pub fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Checks a username: 3–24 ASCII letters, digits, `_` or `-`, starting with a letter or digit,
/// and not reserved. Returns the message to show when it is not acceptable.
pub fn check_username(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if len == 0 {
        return Err("Choose a username.".into());
    }
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&len) {
        return Err(format!(
            "A username has {USERNAME_MIN} to {USERNAME_MAX} characters."
        ));
    }
    if !name.chars().all(is_username_char) {
        return Err("A username uses only letters, digits, _ and -.".into());
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("A username starts with a letter or a digit.".into());
    }
    if RESERVED.contains(&channel_name(name).as_str()) {
        return Err(format!("The name {name} is reserved; choose another."));
    }
    Ok(())
}

/// Checks a new password: 8–256 characters, not only one repeated character, not the username.
pub fn check_password(password: &str, username: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len == 0 {
        return Err("Choose a password.".into());
    }
    if len < PASSWORD_MIN {
        return Err(format!(
            "A password has at least {PASSWORD_MIN} characters."
        ));
    }
    if len > PASSWORD_MAX {
        return Err(format!("A password has at most {PASSWORD_MAX} characters."));
    }
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(TOO_EASY_TO_GUESS.into());
    }
    if password.eq_ignore_ascii_case(username) {
        return Err("The password cannot be the username.".into());
    }
    Ok(())
}

/// The messages the account forms can come back with, `{}` standing for a username or a
/// number: a form posted without JavaScript gets its error back in the address
/// (`?__err=…`), where anyone can write anything, so the pages show only these.
const FORM_MESSAGES: &[&str] = &[
    "Choose a username.",
    "A username has {} to {} characters.",
    "A username uses only letters, digits, _ and -.",
    "A username starts with a letter or a digit.",
    "The name {} is reserved; choose another.",
    "Choose a password.",
    "A password has at least {} characters.",
    "A password has at most {} characters.",
    "That password is too easy to guess.",
    "That password is on lists of leaked passwords; choose another.",
    "The password cannot be the username.",
    "The username {} is taken; choose another.",
    "Enter your username and password.",
    "Wrong username or password.",
    "Too many failed sign-ins. Try again in {} seconds.",
    "Too many failed sign-ins. Try again in {} minutes.",
    "Too many new accounts from your address: at most {} an hour. Try again later.",
];

/// Whether `text` is one of the account forms' own messages.
pub fn is_form_message(text: &str) -> bool {
    FORM_MESSAGES.iter().any(|template| fits(template, text))
}

/// `text` is `template` with each `{}` replaced by 1–24 username characters.
fn fits(template: &str, text: &str) -> bool {
    let mut parts = template.split("{}");
    let Some(first) = parts.next() else {
        return false;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for literal in parts {
        let filled = if literal.is_empty() {
            rest.len()
        } else {
            match rest.find(literal) {
                Some(at) => at,
                None => return false,
            }
        };
        let value = &rest[..filled];
        if !could_be_username(value) {
            return false;
        }
        rest = &rest[filled + literal.len()..];
    }
    rest.is_empty()
}

/// The channel a user owns: the username in lower case.
pub fn channel_name(username: &str) -> String {
    username.to_ascii_lowercase()
}

/// Where to go after signing in: a path on this site, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_string()
        }
        _ => "/studio".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_own_messages_are_known_and_made_up_ones_are_not() {
        let ours = [
            check_username("").unwrap_err(),
            check_username("ab").unwrap_err(),
            check_username("a b c").unwrap_err(),
            check_username("_abc").unwrap_err(),
            check_username("Demo").unwrap_err(),
            check_password("", "ana").unwrap_err(),
            check_password("short", "ana").unwrap_err(),
            check_password(&"ab".repeat(200), "ana").unwrap_err(),
            check_password("aaaaaaaaaa", "ana").unwrap_err(),
            check_password("anabanana", "ANABANANA").unwrap_err(),
            "The username Carla_2 is taken; choose another.".into(),
            "Too many failed sign-ins. Try again in 15 minutes.".into(),
        ];
        for message in ours {
            assert!(is_form_message(&message), "{message}");
        }
        for forged in [
            "Your account is locked: call +1 555 0100.",
            "Wrong username or password. Visit evil.example",
            "The username <b>x</b> is taken; choose another.",
            "The username is taken; choose another.",
            "Too many failed sign-ins. Try again in 1 0 minutes.",
        ] {
            assert!(!is_form_message(forged), "{forged}");
        }
    }

    #[test]
    fn after_sign_in_only_paths_on_this_site_are_followed() {
        assert_eq!(safe_next(Some("/studio")), "/studio");
        assert_eq!(safe_next(Some("/watch/ana")), "/watch/ana");
        for elsewhere in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "",
            "studio",
        ] {
            assert_eq!(safe_next(Some(elsewhere)), "/studio", "{elsewhere}");
        }
        assert_eq!(safe_next(None), "/studio");
    }

    #[test]
    fn usernames_are_short_and_url_safe() {
        for good in ["ana", "Ana_B", "dj-7", "x1y", "abcdefghijklmnopqrstuvwx"] {
            assert_eq!(check_username(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "ab",
            "abcdefghijklmnopqrstuvwxy",
            "ana b",
            "ana/b",
            "../x",
            "_ana",
            "-ana",
            "ana.b",
            "ané",
            "ana%2f",
            "<script>",
            "DEMO",
            "studio",
        ] {
            assert!(check_username(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn only_what_a_username_could_be_passes_as_one() {
        for could in ["a", "DEMO", "_x", "dj-7", "abcdefghijklmnopqrstuvwx"] {
            assert!(could_be_username(could), "{could:?}");
        }
        for never in [
            "",
            "abcdefghijklmnopqrstuvwxy",
            "ana b",
            "ana/b",
            "ana.b",
            "ané",
            "a%2f",
        ] {
            assert!(!could_be_username(never), "{never:?}");
        }
    }

    #[test]
    fn weak_and_empty_passwords_are_refused() {
        assert_eq!(check_password("correct horse", "ana"), Ok(()));
        assert_eq!(check_password("", "ana"), Err("Choose a password.".into()));
        assert!(check_password("short", "ana").is_err());
        assert!(check_password("aaaaaaaaaaaa", "ana").is_err());
        assert!(check_password("Ana_Banana", "ana_banana").is_err());
        assert!(check_password(&"ab".repeat(200), "ana").is_err());
    }

    #[test]
    fn a_channel_is_the_username_in_lower_case() {
        assert_eq!(channel_name("Ana_B"), "ana_b");
    }
}
