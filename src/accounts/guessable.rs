//! Passwords an attacker tries first: those on lists of leaked passwords (and small variations
//! of them), and those guessed in under about a million tries. `zxcvbn` (Dropbox's estimator,
//! ported to Rust) carries the 30 000 most common leaked passwords, names, words and keyboard
//! patterns, and estimates the guesses a cracker would need; it runs offline, in well under a
//! millisecond, so no password leaves the server to be checked.

use zxcvbn::Score;

use super::rules::TOO_EASY_TO_GUESS;
use zxcvbn::feedback::Warning;

pub const LEAKED: &str = "That password is on lists of leaked passwords; choose another.";

/// Refuses a new password that is leaked or guessable (the username and the site's name count
/// as known to the attacker). Returns the message to show.
pub fn check(password: &str, username: &str) -> Result<(), &'static str> {
    let estimate = zxcvbn::zxcvbn(password, &[username, "onair"]);
    if estimate.score() >= Score::Two {
        return Ok(());
    }
    let warning = estimate.feedback().and_then(|feedback| feedback.warning());
    match warning {
        Some(
            Warning::ThisIsATop10Password
            | Warning::ThisIsATop100Password
            | Warning::ThisIsACommonPassword
            | Warning::ThisIsSimilarToACommonlyUsedPassword,
        ) => Err(LEAKED),
        _ => Err(TOO_EASY_TO_GUESS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaked_passwords_and_their_variations_are_refused() {
        for leaked in [
            "password1",
            "iloveyou",
            "qwerty123",
            "P@ssw0rd",
            "letmein123",
            "sunshine",
        ] {
            assert_eq!(check(leaked, "sam"), Err(LEAKED), "{leaked}");
        }
    }

    #[test]
    fn guessable_passwords_are_refused_and_passphrases_pass() {
        for easy in ["sam12345", "onair2026", "abcdefgh1"] {
            assert!(check(easy, "sam").is_err(), "{easy}");
        }
        for fine in [
            "correct horse 1",
            "another pass 2",
            "tulip-quarry-9-lantern",
            "Xk#9vq!2Lm",
        ] {
            assert_eq!(check(fine, "sam"), Ok(()), "{fine}");
        }
    }
}
