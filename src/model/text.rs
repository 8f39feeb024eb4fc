//! The one rule for the text users submit (titles, posts, comments), and the messages that refuse it.

use std::collections::BTreeMap;

/// Messages per field name, as the API's 422 answers carry them in `errors`.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// No control characters (see [`is_refused_control`]), then trimmed, between 1 and `max` characters
/// (Unicode scalar values, which is what a person counts, not bytes). Records a message under
/// `field` when it fails.
pub(super) fn check_text(
    errors: &mut FieldErrors,
    field: &str,
    text: &str,
    max: usize,
) -> Option<String> {
    let trimmed = text.trim();
    let length = trimmed.chars().count();
    let message = if let Some(control) = text.chars().find(|&c| is_refused_control(c)) {
        format!(
            "{field} must not contain control characters (it has U+{:04X})",
            u32::from(control)
        )
    } else if length == 0 {
        format!("{field} is required")
    } else if length > max {
        format!("{field} must be at most {max} characters (it has {length})")
    } else {
        return Some(trimmed.to_owned());
    };
    errors.entry(field.to_owned()).or_default().push(message);
    None
}

/// The ASCII control characters but tab, line feed and carriage return (which text typed in a
/// form has), and DEL: never typed, invisible when shown, and U+0000 is refused by PostgreSQL
/// (`invalid byte sequence for encoding "UTF8"`) while SQLite stores it. Refused anywhere in the
/// text, even where trimming would remove them (U+000B and U+000C are whitespace), so that the
/// answer does not depend on where they were. Other Unicode controls (U+0080–U+009F) are left to
/// the reader: both databases store them, and U+0085 is a line break.
pub fn is_refused_control(c: char) -> bool {
    c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r')
}
