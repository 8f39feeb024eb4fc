//! The one rule for the text users submit (titles, posts, comments), and the messages that refuse it.

use std::collections::BTreeMap;

/// Messages per field name, as the API's 422 answers carry them in `errors`.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// No refused control, then 1 to `max` characters after trimming (scalar values, what a person
/// counts). Records a message under `field` when it fails.
pub fn check_text(errors: &mut FieldErrors, field: &str, text: &str, max: usize) -> Option<String> {
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

/// ASCII controls but tab, LF and CR, and DEL: never typed, invisible, and PostgreSQL refuses
/// U+0000 while SQLite stores it. Refused even where trimming would remove them, so the answer does
/// not depend on where they were. U+0080–U+009F pass: both databases store them, U+0085 is a break.
pub fn is_refused_control(c: char) -> bool {
    c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r')
}
