//! The text rule of `model/text.rs` as JSON Schema, so the server accepts exactly what the schema
//! allows. JSON Schema has no "length after trimming", so a pattern says it. Whitespace is Rust's,
//! listed by code point (JSON Schema's `\s` is JavaScript's, a slightly different set). No
//! `maxLength`: it would count the whitespace trimming removes, and refuse values the server takes.

use utoipa::openapi::{ObjectBuilder, Type, schema::Object};

use super::{COMMENT_MAX, POST_MAX, TITLE_MAX};

/// What `str::trim` removes, as a character-class body.
pub const WHITESPACE: &str =
    r"\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// [`WHITESPACE`] without the refused controls U+000B, U+000C.
pub const ALLOWED_WHITESPACE: &str =
    r"\u0009\u000A\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
pub const CONTROLS: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F";

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

/// ECMA-262, which Rust's `regex` reads the same.
pub fn trimmed_length_pattern(max: usize) -> String {
    let space = format!("[{ALLOWED_WHITESPACE}]");
    let visible = format!("[^{WHITESPACE}{CONTROLS}]");
    let any = format!("[^{CONTROLS}]");
    let middle = max.saturating_sub(2);
    format!("^{space}*{visible}(?:{any}{{0,{middle}}}{visible})?{space}*$")
}
