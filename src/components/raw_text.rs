//! Text for elements whose content Leptos writes unescaped: `<textarea>` (tachys 0.2 treats it like
//! `<script>`) and `<title>` (leptos_meta 0.8). Unescaped, a `</textarea>` in the text would end
//! the element and the rest become markup; escaped, the browser reads back the same text.

/// `text` with `&`, `<` and `>` as character references.
pub fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A `<textarea>` holding `text`: escaped after a line break on the server (HTML drops the first
/// one); the text itself in the browser, where hydration leaves a textarea's content alone.
pub fn textarea_text(text: &str) -> String {
    if cfg!(feature = "ssr") {
        format!("\n{}", escape_text(text))
    } else {
        text.to_owned()
    }
}
