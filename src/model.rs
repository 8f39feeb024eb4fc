//! The API's request and response types, and the validation rules for what users submit.
//!
//! Compiled for the server and for the browser, so the form checks input with the very rules the API
//! enforces. Validation returns a validated type ([`ValidPost`], [`ValidComment`]): past that boundary,
//! invalid text cannot exist.

use std::{collections::BTreeMap, fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// Most characters (not bytes) a title may have, after trimming.
pub const TITLE_MAX: usize = 200;
/// Most characters a post may have, after trimming.
pub const POST_MAX: usize = 10_000;
/// Most characters a comment may have, after trimming.
pub const COMMENT_MAX: usize = 2_000;
/// How many posts one page of `GET /api/post` holds unless `limit` says otherwise.
pub const PAGE_SIZE_DEFAULT: u32 = 20;
/// How many comments one page of `GET /api/comments/{id}` (and `/posts/{id}`) holds unless `limit`
/// says otherwise.
pub const COMMENT_PAGE_SIZE_DEFAULT: u32 = 50;
/// The largest `limit` any list accepts: no answer grows with the data beyond this many items.
pub const PAGE_SIZE_MAX: u32 = 100;

/// The paging rule of every list: `limit` is 1–[`PAGE_SIZE_MAX`]. The error is the message of the
/// 400 (or GraphQL error) that refuses it.
pub fn page_size(limit: i64) -> Result<u32, String> {
    u32::try_from(limit)
        .ok()
        .filter(|limit| (1..=PAGE_SIZE_MAX).contains(limit))
        .ok_or_else(|| format!("limit must be between 1 and {PAGE_SIZE_MAX}, not {limit}."))
}

/// Messages per field name, as the API's 422 answers carry them in `errors`.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Body of `POST /api/post`. Missing fields read as empty, so they fail validation with a message on
/// the field rather than a parse error.
///
/// The OpenAPI schema states the text rule exactly (see [`text_schema`]), so that a client can check
/// a value before sending it, and so that the server accepts every value the schema allows and
/// refuses every value it does not.
///
/// `#[serde(default)]` is on each field rather than on the struct: on the struct, utoipa would
/// write each field's default (`""`) into the schema, a default its own rules refuse.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewPost {
    /// 1–200 characters after trimming.
    #[cfg_attr(
        feature = "ssr",
        schema(required = true, schema_with = text_schema::title)
    )]
    #[serde(default)]
    pub title: String,
    /// 1–10 000 characters after trimming.
    #[cfg_attr(
        feature = "ssr",
        schema(required = true, schema_with = text_schema::post)
    )]
    #[serde(default)]
    pub post: String,
    /// Save as a draft: hidden everywhere except in preview mode, until the publishing webhook
    /// publishes it. Left out when false, so an invalid no-JavaScript submission sent back to the
    /// form carries only what was typed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub draft: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

/// A post that passed validation: trimmed, non-empty, within its limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidPost {
    pub title: String,
    pub body: String,
    pub draft: bool,
}

impl NewPost {
    pub fn validate(&self) -> Result<ValidPost, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = check_text(&mut errors, "title", &self.title, TITLE_MAX);
        let body = check_text(&mut errors, "post", &self.post, POST_MAX);
        match (title, body) {
            (Some(title), Some(body)) => Ok(ValidPost {
                title,
                body,
                draft: self.draft,
            }),
            _ => Err(errors),
        }
    }
}

/// Body of `POST /api/comments/{id}` (a missing field reads as empty, as in [`NewPost`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewComment {
    /// 1–2 000 characters after trimming.
    #[cfg_attr(
        feature = "ssr",
        schema(required = true, schema_with = text_schema::comment)
    )]
    #[serde(default)]
    pub comment: String,
}

/// A comment that passed validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidComment {
    pub body: String,
}

impl NewComment {
    pub fn validate(&self) -> Result<ValidComment, FieldErrors> {
        let mut errors = FieldErrors::new();
        match check_text(&mut errors, "comment", &self.comment, COMMENT_MAX) {
            Some(body) => Ok(ValidComment { body }),
            None => Err(errors),
        }
    }
}

/// The OpenAPI schemas of the text fields: the rule of [`check_text`], written as JSON Schema.
///
/// JSON Schema has no "length after trimming", so the pattern says it: optional whitespace, then a
/// character that is not whitespace, then at most `max - 2` characters of any kind and a last one
/// that is not whitespace, then optional whitespace — that is, 1 to `max` characters once the
/// whitespace around them is gone. "Whitespace" is Rust's `char::is_whitespace`, what `trim` removes,
/// listed by code point (JSON Schema's `\s` is JavaScript's, a slightly different set). No character
/// anywhere may be one of the refused controls, whitespace or not. No `maxLength`: it would count the
/// whitespace that trimming removes, and refuse values the server accepts.
#[cfg(feature = "ssr")]
pub mod text_schema {
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
    /// values the server refuses, or expect refusals it does not give.
    #[cfg(test)]
    mod tests {
        use serde_json::Value;
        use utoipa::PartialSchema;

        use super::*;
        use crate::model::{FieldErrors, NewComment, NewPost, check_text, is_refused_control};

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

        /// A field's schema, after checking the schema lists it as required.
        fn property(
            schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
            name: &str,
        ) -> Value {
            let schema = serde_json::to_value(schema).expect("a schema serializes");
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            assert!(required.contains(&Value::from(name)), "{name} is required");
            schema["properties"][name].clone()
        }

        #[test]
        fn each_text_field_is_required_with_the_pattern_of_its_limit_and_no_default() {
            for (field, max) in [
                (property(NewPost::schema(), "title"), TITLE_MAX),
                (property(NewPost::schema(), "post"), POST_MAX),
                (property(NewComment::schema(), "comment"), COMMENT_MAX),
            ] {
                assert_eq!(field["minLength"], 1, "{field}");
                assert_eq!(field["pattern"], trimmed_length_pattern(max), "{field}");
                assert!(field.get("default").is_none(), "{field}");
                assert!(field.get("maxLength").is_none(), "{field}");
            }
        }
    }
}

/// The one rule for user text: no control characters (see [`is_refused_control`]), then trimmed,
/// between 1 and `max` characters (Unicode scalar values, which is what a person counts, not bytes).
/// Records a message under `field` when it fails.
fn check_text(errors: &mut FieldErrors, field: &str, text: &str, max: usize) -> Option<String> {
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

/// The id of a post (`/posts/{id}`, `/api/comments/{id}`, `?cursor=`): a positive integer that fits
/// i64. Parsing and deserializing both refuse anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
#[serde(transparent)]
pub struct PostId(pub i64);

/// The id of a comment, also the cursor of `GET /api/comments/{id}?cursor=`: a positive integer
/// that fits i64, read by the same rules as [`PostId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
#[serde(transparent)]
pub struct CommentId(pub i64);

/// What the two id types share: the name in their messages, and the wrapping.
trait PositiveId: Sized {
    const KIND: &'static str;
    fn new(id: i64) -> Self;
}

impl PositiveId for PostId {
    const KIND: &'static str = "post";
    fn new(id: i64) -> Self {
        Self(id)
    }
}

impl PositiveId for CommentId {
    const KIND: &'static str = "comment";
    fn new(id: i64) -> Self {
        Self(id)
    }
}

/// Written by hand: the derive cannot put `minimum` on a newtype, and the schema should say what
/// the parser enforces.
#[cfg(feature = "ssr")]
fn positive_id_schema(
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(i64::MAX))
        .description(Some(description))
        .into()
}

#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for PostId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        positive_id_schema("A post's id: a positive integer that fits in 64 bits.")
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for PostId {}

#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for CommentId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        positive_id_schema("A comment's id: a positive integer that fits in 64 bits.")
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for CommentId {}

/// From a JSON number. `7.0` is read as `7`: JSON has one kind of number, and JSON Schema (the
/// OpenAPI document's `integer`) counts a number without a fractional part as an integer. Text
/// (a query string's `?cursor=7`) goes through [`FromStr`] instead.
impl<'de> Deserialize<'de> for PostId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PositiveIdVisitor(std::marker::PhantomData))
    }
}

/// As [`PostId`]'s.
impl<'de> Deserialize<'de> for CommentId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PositiveIdVisitor(std::marker::PhantomData))
    }
}

struct PositiveIdVisitor<T>(std::marker::PhantomData<T>);

impl<T: PositiveId> serde::de::Visitor<'_> for PositiveIdVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a positive integer that fits in 64 bits")
    }

    fn visit_i64<E: serde::de::Error>(self, id: i64) -> Result<T, E> {
        if id > 0 {
            Ok(T::new(id))
        } else {
            Err(E::custom(InvalidId::of::<T>(id.to_string())))
        }
    }

    fn visit_u64<E: serde::de::Error>(self, id: u64) -> Result<T, E> {
        i64::try_from(id)
            .map_err(|_| E::custom(InvalidId::of::<T>(id.to_string())))
            .and_then(|id| self.visit_i64(id))
    }

    fn visit_f64<E: serde::de::Error>(self, id: f64) -> Result<T, E> {
        // Below 2^63, every f64 without a fractional part is exactly an i64.
        const I64_END: f64 = 9_223_372_036_854_775_808.0;
        if id.fract() == 0.0 && (1.0..I64_END).contains(&id) {
            Ok(T::new(id as i64))
        } else {
            Err(E::custom(InvalidId::of::<T>(id.to_string())))
        }
    }
}

/// Digits only: `i64::from_str` would also take `+1`, a second spelling of the same URL.
fn parse_positive_id<T: PositiveId>(text: &str) -> Result<T, InvalidId> {
    let digits_only = !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    match text.parse::<i64>() {
        Ok(id) if digits_only && id > 0 => Ok(T::new(id)),
        _ => Err(InvalidId::of::<T>(text.to_owned())),
    }
}

impl FromStr for PostId {
    type Err = InvalidId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_positive_id(text)
    }
}

impl FromStr for CommentId {
    type Err = InvalidId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_positive_id(text)
    }
}

impl fmt::Display for PostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for CommentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A post or comment id that is not a positive 64-bit integer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidId {
    kind: &'static str,
    text: String,
}

impl InvalidId {
    fn of<T: PositiveId>(text: String) -> Self {
        Self {
            kind: T::KIND,
            text,
        }
    }
}

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} id must be a positive integer that fits in 64 bits, not {:?}",
            self.kind, self.text
        )
    }
}

impl std::error::Error for InvalidId {}

/// Answer to `POST /api/post`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostCreated {
    pub id: PostId,
    pub message: String,
}

/// One post, as `/posts/{id}` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// The GraphQL `Post` type (fields in camelCase); `comments` is resolved in `api/graphql/schema.rs`.
#[cfg_attr(feature = "ssr", derive(async_graphql::SimpleObject), graphql(complex))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Post {
    pub id: PostId,
    pub title: String,
    pub body: String,
    /// UTC, RFC 3339 with milliseconds (`2026-11-21T09:30:00.123Z`).
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    /// Not published yet: only requests in preview mode see it.
    pub draft: bool,
}

/// One post in a list, with how many comments it has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostSummary {
    pub id: PostId,
    pub title: String,
    pub body: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    pub draft: bool,
    pub comment_count: i64,
}

/// Answer to `GET /api/post`: one page of posts, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostPage {
    pub posts: Vec<PostSummary>,
    /// Pass as `?cursor=` to get the next (older) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<PostId>,
}

/// One comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Comment {
    pub id: CommentId,
    pub comment: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
}

/// Answer to `GET /api/comments/{id}`: one page of a post's comments, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommentsForPost {
    pub post: PostId,
    pub comments: Vec<Comment>,
    /// Pass as `?cursor=` to get the next (newer) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<CommentId>,
}

/// Answer to `GET /api/trivia/{number}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Trivia {
    pub number: i64,
    pub text: String,
    pub source: TriviaSource,
}

/// Where a trivia answer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TriviaSource {
    /// Fetched just now from `TRIVIA_API_URL`.
    Upstream,
    /// An earlier upstream answer, kept in SQLite.
    Cache,
    /// Computed by the server itself (no upstream configured, or it failed and nothing was cached).
    Builtin,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(title: &str, post: &str) -> NewPost {
        NewPost {
            title: title.into(),
            post: post.into(),
            draft: false,
        }
    }

    #[test]
    fn a_post_is_trimmed_when_valid() {
        let valid = post("  Hello  ", "\nWorld\n").validate().unwrap();
        assert_eq!(
            valid,
            ValidPost {
                title: "Hello".into(),
                body: "World".into(),
                draft: false,
            }
        );
    }

    #[test]
    fn a_whitespace_only_title_is_required() {
        let errors = post(" \t ", "body").validate().unwrap_err();
        assert_eq!(errors["title"], ["title is required"]);
        assert!(!errors.contains_key("post"));
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let two_hundred_emoji = "😀".repeat(TITLE_MAX);
        assert!(post(&two_hundred_emoji, "x").validate().is_ok());
        let errors = post(&format!("{two_hundred_emoji}😀"), "x")
            .validate()
            .unwrap_err();
        assert_eq!(
            errors["title"],
            ["title must be at most 200 characters (it has 201)"]
        );
    }

    #[test]
    fn control_characters_but_tab_and_line_breaks_are_refused_anywhere() {
        for refused in [
            "a\0b",
            "\u{1}a",
            "a\u{8}",
            "a\u{B}",
            "a\u{C} ",
            "a\u{1B}[0m",
            "a\u{7F}",
        ] {
            let errors = post(refused, "x").validate().unwrap_err();
            assert!(
                errors["title"][0].starts_with("title must not contain control characters"),
                "{refused:?}: {errors:?}"
            );
        }
        assert!(post("a\tb", "line\r\nline\n").validate().is_ok());
        let errors = NewComment {
            comment: "nul \0".into(),
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            errors["comment"],
            ["comment must not contain control characters (it has U+0000)"]
        );
    }

    #[test]
    fn every_failing_field_gets_its_message() {
        let errors = post("", &"x".repeat(POST_MAX + 1)).validate().unwrap_err();
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn a_comment_over_the_limit_is_refused() {
        let comment = NewComment {
            comment: "é".repeat(COMMENT_MAX + 1),
        };
        assert!(comment.validate().is_err());
        let comment = NewComment {
            comment: "é".repeat(COMMENT_MAX),
        };
        assert!(comment.validate().is_ok());
    }

    #[test]
    fn a_post_id_in_json_may_be_written_as_a_whole_float() {
        let id = |json: &str| serde_json::from_str::<PostId>(json).ok();
        assert_eq!(id("7"), Some(PostId(7)));
        assert_eq!(id("7.0"), Some(PostId(7)));
        assert_eq!(id("9223372036854775807"), Some(PostId(i64::MAX)));
        for refused in [
            "7.5",
            "0",
            "0.0",
            "-1",
            "9223372036854775808",
            "1e19",
            "\"7\"",
            "null",
        ] {
            assert_eq!(id(refused), None, "{refused}");
        }
    }

    #[test]
    fn a_page_holds_1_to_100_items() {
        assert_eq!(page_size(1), Ok(1));
        assert_eq!(page_size(100), Ok(100));
        for refused in [0, -1, 101, i64::MAX] {
            assert_eq!(
                page_size(refused),
                Err(format!("limit must be between 1 and 100, not {refused}.")),
            );
        }
    }

    #[test]
    fn a_comment_id_is_read_as_a_post_id_is_and_named_in_its_message() {
        assert_eq!("7".parse(), Ok(CommentId(7)));
        assert_eq!(
            serde_json::from_str::<CommentId>("7.0").ok(),
            Some(CommentId(7))
        );
        let refused = "+1".parse::<CommentId>().map_err(|error| error.to_string());
        assert_eq!(
            refused,
            Err(
                r#"comment id must be a positive integer that fits in 64 bits, not "+1""#
                    .to_owned()
            )
        );
    }

    #[test]
    fn post_ids_are_positive_64_bit_integers() {
        assert_eq!("7".parse(), Ok(PostId(7)));
        for bad in [
            "0",
            "-1",
            "+1",
            " 1",
            "abc",
            "1.5",
            "",
            "99999999999999999999",
        ] {
            assert!(bad.parse::<PostId>().is_err(), "{bad:?} is refused");
        }
    }
}
