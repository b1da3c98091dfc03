//! What an emote's name may be (2–20 letters, digits or `_`, as Twitch's), how many a channel
//! and a message may have, and how a chat line is cut into text and `:name:` emotes.

/// The most emotes a channel has.
pub const PER_CHANNEL_MAX: usize = 50;
/// The most emotes one message may show: more is a bomb that floods everyone's chat.
pub const PER_MESSAGE_MAX: usize = 20;
/// The largest upload taken (the picture is made small on the server).
pub const UPLOAD_MAX_BYTES: usize = 512 << 10;
/// The largest side an emote is shown and kept at, in pixels (twice its size in chat, for
/// sharp screens).
pub const SIDE_PX: u32 = 112;
const NAME_MIN: usize = 2;
const NAME_MAX: usize = 20;

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `name` may be an emote's name.
pub fn check_name(name: &str) -> Result<(), String> {
    let fits = (NAME_MIN..=NAME_MAX).contains(&name.len()) && name.chars().all(is_name_char);
    if fits {
        Ok(())
    } else {
        Err(format!(
            "An emote's name has {NAME_MIN}–{NAME_MAX} letters, digits or _ (used in chat as :name:)."
        ))
    }
}

/// A piece of a chat line: text as written, or an emote's name written as `:name:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Emote(&'a str),
}

/// `text` cut into text and the `:name:`s that `is_emote` knows; anything else stays text.
pub fn pieces<'a>(text: &'a str, is_emote: impl Fn(&str) -> bool) -> Vec<Piece<'a>> {
    let mut pieces = Vec::new();
    let mut plain_from = 0;
    let mut at = 0;
    while let Some(open) = text[at..].find(':').map(|i| at + i) {
        let name_len = text[open + 1..]
            .find(|c: char| !is_name_char(c))
            .unwrap_or(text.len() - open - 1);
        let close = open + 1 + name_len;
        let name = &text[open + 1..close];
        if text[close..].starts_with(':') && check_name(name).is_ok() && is_emote(name) {
            if plain_from < open {
                pieces.push(Piece::Text(&text[plain_from..open]));
            }
            pieces.push(Piece::Emote(name));
            at = close + 1;
            plain_from = at;
        } else {
            // The colon that ends a name that is not an emote may start one.
            at = if name_len > 0 && text[close..].starts_with(':') {
                close
            } else {
                open + 1
            };
        }
    }
    if plain_from < text.len() {
        pieces.push(Piece::Text(&text[plain_from..]));
    }
    pieces
}

/// How many `:name:`s `text` writes, emotes or not (what a message is allowed, checked without
/// asking which are the channel's).
pub fn written_count(text: &str) -> usize {
    pieces(text, |_| true)
        .iter()
        .filter(|piece| matches!(piece, Piece::Emote(_)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_two_to_twenty_letters_digits_or_underscores() {
        for good in ["hi", "PogChamp", "a_1", &"x".repeat(20)] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "x",
            &"x".repeat(21),
            "a b",
            "a-b",
            "é1",
            "a:b",
            "../x",
            "x.png",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_line_is_cut_at_the_emotes_it_knows_and_the_rest_stays_text() {
        let known = |name: &str| matches!(name, "wave" | "cat");
        assert_eq!(
            pieces("hi :wave: and :cat::cat:!", known),
            [
                Piece::Text("hi "),
                Piece::Emote("wave"),
                Piece::Text(" and "),
                Piece::Emote("cat"),
                Piece::Emote("cat"),
                Piece::Text("!"),
            ]
        );
        assert_eq!(
            pieces(":dog: :wave:", known),
            [Piece::Text(":dog: "), Piece::Emote("wave")]
        );
        assert_eq!(
            pieces("time 10:30:45", known),
            [Piece::Text("time 10:30:45")]
        );
        assert_eq!(pieces("a::b: :", known), [Piece::Text("a::b: :")]);
        assert_eq!(
            pieces("x:nope:wave:", known),
            [Piece::Text("x:nope"), Piece::Emote("wave")]
        );
        assert_eq!(pieces("", known), []);
        assert_eq!(
            pieces("é:cat:ü", known),
            [Piece::Text("é"), Piece::Emote("cat"), Piece::Text("ü")]
        );
    }

    #[test]
    fn every_written_emote_counts_against_a_message() {
        assert_eq!(written_count(":a1::b2: :c3: :x: 12:00"), 3);
        assert_eq!(written_count(&":kappa:".repeat(100)), 100);
    }

    proptest::proptest! {
        /// A line cut into pieces reads back as it was written, whatever it holds.
        #[test]
        fn pieces_put_back_together_are_the_line(text in "[a-c:_ é1]{0,60}", known in "[a-c_]{2,4}") {
            let cut = pieces(&text, |name| name == known || name.len() == 3);
            let joined: String = cut
                .iter()
                .map(|piece| match piece {
                    Piece::Text(text) => text.to_string(),
                    Piece::Emote(name) => format!(":{name}:"),
                })
                .collect();
            proptest::prop_assert_eq!(joined, text);
        }
    }
}
