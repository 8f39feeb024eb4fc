//! The OpenAPI schemas of the text fields: the rule of `model/text.rs` written as JSON Schema, so a
//! client can check a value before sending it, and the server accepts exactly what the schema allows.
//!
//! JSON Schema has no "length after trimming", so the pattern says it: optional whitespace, then a
//! character that is not whitespace, then at most `max - 2` characters of any kind and a last one
//! that is not whitespace, then optional whitespace; and no refused control anywhere. "Whitespace"
//! is Rust's `char::is_whitespace`, listed by code point (JSON Schema's `\s` is JavaScript's, a
//! slightly different set). No `maxLength`: it would count the whitespace that trimming removes,
//! and refuse values the server accepts.

use utoipa::openapi::{ObjectBuilder, Type, schema::Object};

use super::{COMMENT_MAX, POST_MAX, TITLE_MAX};

/// The characters `str::trim` removes (Rust's `char::is_whitespace`), as a character-class body.
const WHITESPACE: &str =
    r"\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// The whitespace a text may have: [`WHITESPACE`] without the refused controls U+000B, U+000C.
const ALLOWED_WHITESPACE: &str =
    r"\u0009\u000A\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// The controls no text may have ([`super::is_refused_control`]).
const CONTROLS: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F";

pub fn title() -> Object {
    text(TITLE_MAX, "1–200 characters after trimming.")
}

pub fn post() -> Object {
    text(POST_MAX, "1–10 000 characters after trimming.")
}

pub fn comment() -> Object {
    text(COMMENT_MAX, "1–2 000 characters after trimming.")
}

fn text(max: usize, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .min_length(Some(1))
        .pattern(Some(trimmed_length_pattern(max)))
        .build()
}

/// A regular expression (ECMA-262, as JSON Schema's; Rust's `regex` reads it the same) that
/// matches text without refused controls, of 1 to `max` characters after trimming.
pub fn trimmed_length_pattern(max: usize) -> String {
    let space = format!("[{ALLOWED_WHITESPACE}]");
    let visible = format!("[^{WHITESPACE}{CONTROLS}]");
    let any = format!("[^{CONTROLS}]");
    let middle = max.saturating_sub(2);
    format!("^{space}*{visible}(?:{any}{{0,{middle}}}{visible})?{space}*$")
}

/// The schemas must state the rule exactly, or OpenAPI clients (and schemathesis) would send
/// values the server refuses, or expect refusals it does not give. The schemas as the API
/// publishes them are checked in `tests/unit/model.rs`.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FieldErrors, is_refused_control, text::check_text};

    /// `matching` as a character-class body, by ranges of code points.
    fn class_of(matching: impl Fn(char) -> bool) -> String {
        let mut ranges: Vec<(char, char)> = Vec::new();
        for c in (char::MIN..=char::MAX).filter(|&c| matching(c)) {
            match ranges.last_mut() {
                Some((_, end)) if *end as u32 + 1 == c as u32 => *end = c,
                _ => ranges.push((c, c)),
            }
        }
        ranges
            .iter()
            .map(|&(start, end)| match end as u32 - start as u32 {
                0 => format!("\\u{:04X}", start as u32),
                1 => format!("\\u{:04X}\\u{:04X}", start as u32, end as u32),
                _ => format!("\\u{:04X}-\\u{:04X}", start as u32, end as u32),
            })
            .collect()
    }

    #[test]
    fn whitespace_is_exactly_what_trim_removes() {
        assert_eq!(WHITESPACE, class_of(char::is_whitespace));
    }

    #[test]
    fn the_classes_of_controls_and_allowed_whitespace_are_exactly_the_rule() {
        assert_eq!(CONTROLS, class_of(is_refused_control));
        assert_eq!(
            ALLOWED_WHITESPACE,
            class_of(|c| c.is_whitespace() && !is_refused_control(c))
        );
    }

    #[test]
    fn the_pattern_matches_exactly_the_text_validation_accepts() {
        for max in [TITLE_MAX, COMMENT_MAX, POST_MAX] {
            // A counted repetition of a large class is a big automaton: more than `regex`'s
            // default 10 MiB for the longest limit.
            let pattern = regex::RegexBuilder::new(&trimmed_length_pattern(max))
                .size_limit(1 << 28)
                .build()
                .expect("a regex");
            let samples = [
                String::new(),
                " ".to_owned(),
                "\u{85}\u{3000}\t".to_owned(),
                "a".to_owned(),
                " a ".to_owned(),
                "a b".to_owned(),
                "\u{FEFF}".to_owned(),
                "x".repeat(max),
                format!(" {}\n", "x".repeat(max)),
                "x".repeat(max + 1),
                format!("\u{3000}{}\u{85}", "é".repeat(max)),
                "😀".repeat(max),
                "😀".repeat(max + 1),
                format!("a{}a", " ".repeat(max - 2)),
                format!("a{}a", " ".repeat(max - 1)),
                "\0".to_owned(),
                "a\0b".to_owned(),
                " a\u{B}".to_owned(),
                "\u{C}a".to_owned(),
                "a\u{1F}".to_owned(),
                "a\u{7F}".to_owned(),
                "\u{1}".repeat(max),
                "\ta\r\nb\n".to_owned(),
                "a\u{80}\u{9F}b\u{85}".to_owned(),
            ];
            for sample in samples {
                let valid = check_text(&mut FieldErrors::new(), "text", &sample, max).is_some();
                assert_eq!(pattern.is_match(&sample), valid, "max {max}: {sample:?}");
            }
        }
    }
}
