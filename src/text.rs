//! Plain text that people type and others see (chat messages, titles): which characters are
//! removed because they change how the text around them reads, and which show nothing.

/// Direction controls (embeddings, overrides, isolates, marks): they can reverse the text after
/// them, making a line read differently from what was typed, or spill over the page.
pub fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing (zero-width, fillers, variation selectors, tags): kept
/// inside a text (emoji sequences need the joiner), but a text of only these is empty.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{206F}'
            | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
            | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// `text` without direction controls and without invisible characters at its ends.
pub fn visible(text: &str) -> String {
    let kept: String = text.chars().filter(|c| !is_direction_control(*c)).collect();
    kept.trim_matches(is_invisible).to_string()
}
