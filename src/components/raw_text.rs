//! Text for the elements whose content Leptos writes into the server's HTML without escaping it:
//! `<textarea>` (tachys 0.2 counts it with `<script>` and `<style>`, whose content is not HTML) and
//! the document's `<title>` (leptos_meta 0.8). Text from a request or the database put there as it is
//! would end the element at its first `</textarea>` or `</title>` and the rest would be markup in the
//! page; escaped, the browser decodes it back to the same text.

/// `text` with `&`, `<` and `>` as character references: what the browser reads back as `text` in
/// an element whose content is text.
pub fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The content to put between `<textarea>` and `</textarea>` so that the field starts out holding
/// `text`. On the server it is escaped, and preceded by a line break because HTML drops the one that
/// follows `<textarea>` (a text's own first line break would be lost). Islands never render a
/// textarea's content in the browser (hydration leaves it alone; the typed value is the element's
/// `value`), so there it is the text itself, as a text node would hold it.
pub fn textarea_text(text: &str) -> String {
    if cfg!(feature = "ssr") {
        format!("\n{}", escape_text(text))
    } else {
        text.to_owned()
    }
}
