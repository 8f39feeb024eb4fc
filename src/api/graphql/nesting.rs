//! The nesting guard of `/api/graphql`: a document whose brackets (`[`, `{`, `(`) nest deeper than
//! [`MAX_NESTING`] is refused before it is parsed. Hand-written: async-graphql's parser bounds only
//! selection sets, so 4 KiB of `[[[[…` overflow the stack and abort the process. Brackets inside
//! strings, block strings and comments (read as the grammar does) do not count.

use std::sync::Arc;

use async_graphql::{
    Pos, Request, ServerError, ServerResult,
    async_trait::async_trait,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
};

/// Four times the deepest real query (GraphiQL's introspection nests 14, one at `MAX_DEPTH` 17 plus
/// arguments), far below what overflows the parser on a 2 MiB stack (~2 000).
pub const MAX_NESTING: usize = 64;

pub fn check(document: &str) -> Result<(), ServerError> {
    match first_bracket_too_deep(document.as_bytes()) {
        None => Ok(()),
        Some(offset) => Err(ServerError::new(
            format!("The document nests brackets more than {MAX_NESTING} deep."),
            Some(position(document, offset)),
        )),
    }
}

/// The guard as a schema extension, the first thing run on a request.
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

fn end_of_line(text: &[u8], from: usize) -> usize {
    text[from..]
        .iter()
        .position(|&byte| byte == b'\n' || byte == b'\r')
        .map_or(text.len(), |length| from + length)
}

/// Just past the string opening at `from`. As in the grammar, `"""` opens a block string only if a
/// closing `"""` follows, and a plain string stops at a line end (the parser fails there; counting
/// on is only stricter). Once a block string finds no end none later can, so `block_strings_close`
/// stops the search (else `\"""` and line breaks would be searched to the end at every line).
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

/// Just past the `"""` closing a block string whose content starts at `from` (`\"""` is escaped).
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
