//! The nesting guard of `/api/graphql`: a document whose brackets (`[`, `{`, `(`: values, selection
//! sets, arguments, list types) nest deeper than [`MAX_NESTING`] is refused before it is parsed.
//! Hand-written because async-graphql's parser bounds recursion for selection sets only: list and
//! object values recurse without a bound, and 4 KiB of `[[[[…` overflow the stack and abort the
//! whole process. The scan reads strings, block strings and comments as the parser's grammar does,
//! so a bracket inside them does not count.

use std::sync::Arc;

use async_graphql::{
    Pos, Request, ServerError, ServerResult,
    async_trait::async_trait,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
};

/// The deepest bracket nesting a document may have: four times what the deepest real query needs
/// (GraphiQL's introspection query nests 14, a query at the schema's `MAX_DEPTH` 17 plus its
/// arguments), and a small fraction of what overflows the parser on a 2 MiB thread stack (~2 000).
pub const MAX_NESTING: usize = 64;

/// Where a document first nests deeper than [`MAX_NESTING`], as a GraphQL error.
pub fn check(document: &str) -> Result<(), ServerError> {
    match first_bracket_too_deep(document.as_bytes()) {
        None => Ok(()),
        Some(offset) => Err(ServerError::new(
            format!("The document nests brackets more than {MAX_NESTING} deep."),
            Some(position(document, offset)),
        )),
    }
}

/// The guard as a schema extension: the first thing the schema does with a request.
pub struct NestingGuard;

impl ExtensionFactory for NestingGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(NestingGuard)
    }
}

#[async_trait]
impl Extension for NestingGuard {
    async fn prepare_request(
        &self,
        context: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        check(&request.query)?;
        next.run(context, request).await
    }
}

/// The offset of the first opening bracket that nests deeper than [`MAX_NESTING`], if any.
fn first_bracket_too_deep(text: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = 0;
    let mut block_strings_close = true;
    while let Some(&byte) = text.get(at) {
        match byte {
            b'[' | b'{' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(at);
                }
                at += 1;
            }
            b']' | b'}' | b')' => {
                depth = depth.saturating_sub(1);
                at += 1;
            }
            b'#' => at = end_of_line(text, at),
            b'"' => at = end_of_string(text, at, &mut block_strings_close),
            _ => at += 1,
        }
    }
    None
}

/// Where a `#` comment ends: at the next line terminator (`\n` or `\r`).
fn end_of_line(text: &[u8], from: usize) -> usize {
    text[from..]
        .iter()
        .position(|&byte| byte == b'\n' || byte == b'\r')
        .map_or(text.len(), |length| from + length)
}

/// Where the string that opens at `from` ends (just past its closing quote). As in the grammar, a
/// `"""` is a block string only if a closing `"""` follows (else it reads as `""` and a new
/// string), and a plain string stops at a line terminator: from there the parser fails, and the
/// guard goes on counting, which can only make it stricter.
///
/// Once a block string finds no end, none after it can (a later search walks the same bytes), so
/// `block_strings_close` turns false and they are not searched again: else a document of
/// `\"""` and line breaks would be searched to its end at every line.
fn end_of_string(text: &[u8], from: usize, block_strings_close: &mut bool) -> usize {
    if *block_strings_close && text[from..].starts_with(b"\"\"\"") {
        match end_of_block_string(text, from + 3) {
            Some(end) => return end,
            None => *block_strings_close = false,
        }
    }
    let mut at = from + 1;
    while let Some(&byte) = text.get(at) {
        match byte {
            b'"' => return at + 1,
            b'\n' | b'\r' => return at,
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
    text.len()
}

/// Just past the `"""` that closes a block string whose content starts at `from` (`\"""` is an
/// escaped quote, not the end), if there is one.
fn end_of_block_string(text: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at < text.len() {
        let rest = &text[at..];
        if rest.starts_with(b"\"\"\"") {
            return Some(at + 3);
        }
        at += if rest.starts_with(b"\\\"\"\"") { 4 } else { 1 };
    }
    None
}

/// The line and column (from 1, in characters) of a byte offset, for the error's `locations`.
fn position(document: &str, offset: usize) -> Pos {
    let before = document.get(..offset).unwrap_or(document);
    let line_start = before.rfind(['\n', '\r']).map_or(0, |end| end + 1);
    Pos {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use proptest::{prelude::*, sample::Index};

    use super::*;

    /// Beside a selection: text, and how deep its own brackets nest. Brackets inside strings and
    /// comments count for nothing.
    const SELECTION_NOISE: &[(&str, usize)] = &[
        ("id", 0),
        ("alias: title", 0),
        ("__typename", 0),
        ("# a comment with {[( in it\n", 0),
        ("...Fragment", 0),
        ("field(text: \"}])\")", 1),
        ("field(text: \"\"\"{[( \\\"\"\" \"\"\")", 1),
        ("post { id }", 1),
        ("... on Post { id }", 1),
        ("post(id: [[1], {a: \"[\"}]) { id }", 3),
    ];

    /// Beside a value (a list's item or an object's field value).
    const VALUE_NOISE: &[(&str, usize)] = &[
        ("1", 0),
        ("-2.5e3", 0),
        ("true", 0),
        ("null", 0),
        ("ENUM_VALUE", 0),
        ("$variable", 0),
        ("\"[[{{((\"", 0),
        ("\"\\\"]]}}))\\\\\"", 0),
        ("\"\"\"[[ \"quoted\" \\\"\"\" {{ ((\"\"\"", 0),
        ("\"\"\"\"\"\"", 0),
        ("# ]]}})) in a comment\n 2", 0),
        ("[]", 1),
        ("{}", 1),
        ("[1, \"]\", {a: \"{\"}]", 2),
        ("{a: [[true]]}", 3),
    ];

    /// How the selections hand over to the values: the innermost field's arguments, or a directive's.
    #[derive(Clone, Copy, Debug)]
    enum IntoValues {
        Arguments,
        Directive,
    }

    /// A document made of a chain of nested selections, then a chain of nested lists and objects
    /// (`true`) in an argument, with noise beside every link; and how deep its brackets nest.
    #[derive(Debug)]
    struct Generated {
        text: String,
        nesting: usize,
    }

    /// Writes a document while keeping count of its nesting.
    #[derive(Default)]
    struct Writer {
        text: String,
        depth: usize,
        deepest: usize,
    }

    impl Writer {
        fn open(&mut self, text: &str) {
            self.text.push_str(text);
            self.depth += 1;
            self.deepest = self.deepest.max(self.depth);
        }

        fn close(&mut self, text: &str) {
            self.text.push_str(text);
            self.depth -= 1;
        }

        fn noise(&mut self, (text, nesting): (&str, usize)) {
            self.text.push_str(text);
            self.text.push(' ');
            self.deepest = self.deepest.max(self.depth + nesting);
        }
    }

    fn generate(
        named: bool,
        selections: &[(Index, Index)],
        into_values: IntoValues,
        values: &[(bool, Index, Index)],
    ) -> Generated {
        let mut writer = Writer::default();
        if named {
            writer.text.push_str("query Named");
            writer.open("($v: [[Int!]] = ");
            writer.open("[");
            writer.noise(("[1] \"]]\" # ]]\n", 1));
            writer.close("]");
            writer.close(") ");
        }
        writer.open("{ ");
        for (before, after) in selections {
            writer.noise(before.get(SELECTION_NOISE).to_owned());
            writer.open("post { ");
            writer.noise(after.get(SELECTION_NOISE).to_owned());
        }
        match into_values {
            IntoValues::Arguments => writer.open("post(id: "),
            IntoValues::Directive => writer.open("post @include(if: "),
        }
        for (list, before, _) in values {
            writer.open(if *list { "[" } else { "{ a: " });
            writer.noise(before.get(VALUE_NOISE).to_owned());
            if !list {
                writer.text.push_str("b: ");
            }
        }
        writer.text.push_str("1 ");
        for (list, _, after) in values.iter().rev() {
            if *list {
                writer.noise(after.get(VALUE_NOISE).to_owned());
                writer.close("]");
            } else {
                writer.text.push_str("c: ");
                writer.noise(after.get(VALUE_NOISE).to_owned());
                writer.close("}");
            }
        }
        writer.close(") ");
        for _ in selections {
            writer.close("} ");
        }
        writer.close("}");
        Generated {
            text: writer.text,
            nesting: writer.deepest,
        }
    }

    fn document() -> impl Strategy<Value = Generated> {
        (
            any::<bool>(),
            prop::collection::vec(any::<(Index, Index)>(), 0..48),
            prop_oneof![Just(IntoValues::Arguments), Just(IntoValues::Directive)],
            prop::collection::vec(any::<(bool, Index, Index)>(), 0..48),
        )
            .prop_map(|(named, selections, into_values, values)| {
                generate(named, &selections, into_values, &values)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn the_guard_passes_what_the_parser_accepts_under_the_bound_and_nothing_above_it(
            document in document()
        ) {
            if document.nesting <= MAX_NESTING {
                // Only under the bound: above it, the parser is what the guard protects from.
                prop_assert!(parse_query(&document.text).is_ok(), "the parser accepts {document:?}");
                prop_assert!(check(&document.text).is_ok(), "the guard passes {document:?}");
            } else {
                prop_assert!(check(&document.text).is_err(), "the guard refuses {document:?}");
            }
        }
    }

    fn nested_lists(depth: usize) -> String {
        // The operation's braces and the arguments' parenthesis are two levels.
        let lists = depth - 2;
        format!(
            "{{post(id:{}1{}){{id}}}}",
            "[".repeat(lists),
            "]".repeat(lists)
        )
    }

    #[test]
    fn a_document_nested_as_deep_as_the_bound_passes() {
        let document = nested_lists(MAX_NESTING);
        assert!(parse_query(&document).is_ok());
        assert!(check(&document).is_ok());
    }

    #[test]
    fn a_document_one_level_deeper_than_the_bound_is_refused_where_it_passes_it() {
        let error = check(&nested_lists(MAX_NESTING + 1)).expect_err("refused");
        assert_eq!(
            error.message,
            format!("The document nests brackets more than {MAX_NESTING} deep.")
        );
        assert_eq!(
            error.locations,
            vec![Pos {
                line: 1,
                column: MAX_NESTING + 8
            }]
        );
    }

    #[test]
    fn the_attacks_of_issue_20_are_refused() {
        let lists = format!(
            "{{post(id:{}1{}){{id}}}}",
            "[".repeat(2000),
            "]".repeat(2000)
        );
        let objects = format!(
            "{{post(id:{}1{}){{id}}}}",
            "{a:".repeat(3000),
            "}".repeat(3000)
        );
        assert!(check(&lists).is_err());
        assert!(check(&objects).is_err());
    }

    #[test]
    fn brackets_in_strings_block_strings_and_comments_do_not_count() {
        let deep = "[".repeat(100);
        let document =
            format!("{{ a(s: \"{deep}\", b: \"\"\"{deep} \\\"\"\" {deep}\"\"\") # {deep}\n b }}");
        assert!(parse_query(&document).is_ok());
        assert!(check(&document).is_ok());
    }

    #[test]
    fn unclosed_block_strings_on_every_line_of_a_mebibyte_are_searched_once() {
        let document = "\\\"\"\"\n".repeat(1024 * 1024 / 5);
        let started = std::time::Instant::now();

        assert!(check(&document).is_ok());

        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn an_unclosed_block_string_does_not_hide_the_brackets_after_it() {
        // Read as `""`, then the string `" "`, then the lists: the parser would recurse into them.
        let document = format!("{{a(s: [\"\"\" \" {}", "[".repeat(100));
        assert!(check(&document).is_err());
    }
}
