//! The API's parsers: JSON without repeated keys, the OpenAPI document's JSON parameters, GraphQL's nesting guard and its transport.

mod nesting {
    use async_graphql::parser::parse_query;
    use proptest::{prelude::*, sample::Index};

    use async_graphql::Pos;
    use leptos_api_routes::api::graphql::nesting::*;

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

mod transport {
    use axum::http::{HeaderMap, HeaderValue, header};
    use leptos_api_routes::api::graphql::transport::*;

    fn negotiate(accept: &str) -> Option<MediaType> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(accept).expect("a header"),
        );
        MediaType::negotiate(&headers)
    }

    #[test]
    fn no_accept_header_gets_json() {
        assert_eq!(
            MediaType::negotiate(&HeaderMap::new()),
            Some(MediaType::Json)
        );
    }

    #[test]
    fn a_wildcard_gets_json() {
        assert_eq!(negotiate("*/*"), Some(MediaType::Json));
        assert_eq!(negotiate("application/*"), Some(MediaType::Json));
        assert_eq!(
            negotiate("text/html,application/xhtml+xml,*/*;q=0.8"),
            Some(MediaType::Json)
        );
    }

    #[test]
    fn each_type_asked_for_alone_is_answered() {
        assert_eq!(negotiate("application/json"), Some(MediaType::Json));
        assert_eq!(
            negotiate("application/graphql-response+json"),
            Some(MediaType::GraphQLResponseJson)
        );
    }

    #[test]
    fn the_type_listed_first_wins_a_tie() {
        assert_eq!(
            negotiate(
                "application/graphql-response+json; charset=utf-8, application/json; charset=utf-8"
            ),
            Some(MediaType::GraphQLResponseJson)
        );
        assert_eq!(
            negotiate("application/json, application/graphql-response+json"),
            Some(MediaType::Json)
        );
    }

    #[test]
    fn a_higher_quality_beats_the_order() {
        assert_eq!(
            negotiate("application/json;q=0.5, application/graphql-response+json"),
            Some(MediaType::GraphQLResponseJson)
        );
    }

    #[test]
    fn an_exact_type_beats_a_wildcard_of_the_same_quality() {
        assert_eq!(
            negotiate("*/*, application/graphql-response+json"),
            Some(MediaType::GraphQLResponseJson)
        );
    }

    #[test]
    fn a_type_refused_with_q_0_is_not_answered() {
        assert_eq!(negotiate("application/json;q=0"), None);
        assert_eq!(
            negotiate("*/*, application/json;q=0"),
            Some(MediaType::GraphQLResponseJson)
        );
    }

    #[test]
    fn accepting_neither_type_is_not_acceptable() {
        assert_eq!(negotiate("text/html"), None);
        assert_eq!(negotiate("application/xml, text/*"), None);
    }
}

mod extract {
    use leptos_api_routes::{api::extract::*, model::NewPost};
    use serde_json::Value;

    #[test]
    fn json_without_a_repeated_key_reads_as_serde_json_reads_it() {
        for text in [
            r#"{"a":1,"b":[true,null,{"a":-2.5,"c":"é\u0000"}],"c":{"a":{"a":18446744073709551615}}}"#,
            "[]",
            "\"text\"",
            "-0",
        ] {
            let expected: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                parse_unique_keys(text.as_bytes()).unwrap(),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn a_key_twice_is_malformed_even_when_the_shape_is_wrong_too() {
        let refused = parse_json_object::<NewPost>(br#"{"title":5,"post":"x","title":6}"#);
        assert!(
            matches!(&refused, Err(JsonRefusal::Malformed(error)) if error.contains("\"title\" appears twice")),
            "{refused:?}"
        );
    }

    #[test]
    fn json_of_the_wrong_shape_is_still_told_apart_from_malformed_json() {
        for text in [&br#"{"title":5,"post":"x"}"#[..], b"[\"a\",\"b\"]", b"null"] {
            let refused = parse_json_object::<NewPost>(text);
            assert!(
                matches!(refused, Err(JsonRefusal::WrongShape(_))),
                "{refused:?}"
            );
        }
        let refused = parse_json_object::<NewPost>(br#"{"title":"a""#);
        assert!(
            matches!(refused, Err(JsonRefusal::Malformed(_))),
            "{refused:?}"
        );
    }
}

mod openapi {
    use leptos_api_routes::api::openapi::*;
    use serde_json::json;

    #[test]
    fn a_parameter_that_carries_json_is_written_with_content() {
        let mut document = json!({ "paths": { "/graphql": { "get": { "parameters": [
            { "name": "query", "in": "query", "schema": { "type": "string" } },
            { "name": "variables", "in": "query",
              "schema": { "type": "object", "contentMediaType": "application/json" } },
        ] } } } });

        write_json_parameters_as_content(&mut document);

        let parameters = &document["paths"]["/graphql"]["get"]["parameters"];
        assert_eq!(parameters[0]["schema"], json!({ "type": "string" }));
        assert_eq!(
            parameters[1],
            json!({ "name": "variables", "in": "query",
                    "content": { "application/json": { "schema": { "type": "object" } } } })
        );
    }
}
