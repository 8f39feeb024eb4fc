//! The model's rules (`src/model/`): what validation accepts and refuses, how ids are read, the page
//! sizes, and the OpenAPI schemas that state the text rule.

use leptos_api_routes::model::{
    COMMENT_MAX, CommentId, NewComment, NewPost, POST_MAX, PostId, TITLE_MAX, ValidPost, page_size,
    text_schema::trimmed_length_pattern,
};
use serde_json::Value;
use utoipa::PartialSchema;

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
        Err(r#"comment id must be a positive integer that fits in 64 bits, not "+1""#.to_owned())
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

/// A field's schema, after checking the schema lists it as required.
fn property(schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>, name: &str) -> Value {
    let schema = serde_json::to_value(schema).expect("a schema serializes");
    let required = schema["required"].as_array().cloned().unwrap_or_default();
    assert!(required.contains(&Value::from(name)), "{name} is required");
    schema["properties"][name].clone()
}

/// The schemas must state the rule exactly, or OpenAPI clients (and schemathesis) would send values
/// the server refuses, or expect refusals it does not give.
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

/// The schemas must state the rule exactly, or OpenAPI clients (and schemathesis) would send values
/// the server refuses, or expect refusals it does not give.
mod text_schema {
    use leptos_api_routes::model::{
        COMMENT_MAX, FieldErrors, POST_MAX, TITLE_MAX, check_text, is_refused_control,
        text_schema::{ALLOWED_WHITESPACE, CONTROLS, WHITESPACE, trimmed_length_pattern},
    };

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
