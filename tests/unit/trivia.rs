//! The trivia service: its upstream's URL and the built-in facts.

mod service {
    use leptos_api_routes::trivia::*;
    use reqwest::Url;

    #[test]
    fn the_number_is_appended_to_the_path_and_the_query_is_kept() {
        let cases = [
            ("http://numbersapi.com", "http://numbersapi.com/42"),
            (
                "http://example.test/trivia/",
                "http://example.test/trivia/42",
            ),
            (
                "http://example.test/v1?key=secret",
                "http://example.test/v1/42?key=secret",
            ),
        ];
        for (upstream, expected) in cases {
            let url = number_url(&Url::parse(upstream).unwrap(), 42);
            assert_eq!(url.as_str(), expected, "{upstream}");
        }
    }
}

mod facts {
    use leptos_api_routes::trivia::facts::*;

    #[test]
    fn forty_two_is_even_composite_binary_and_roman() {
        assert_eq!(
            describe(42),
            "42 is an even positive number. It is composite: 42 = 2 × 3 × 7. \
             In binary it is 101010. In Roman numerals it is XLII."
        );
    }

    #[test]
    fn primes_squares_cubes_fibonacci_and_perfect_numbers_are_recognised() {
        assert!(describe(13).contains("It is prime."));
        assert!(describe(13).contains("a Fibonacci number"));
        assert!(describe(64).contains("a perfect square (8²) and a perfect cube (4³)"));
        assert!(describe(-27).contains("a perfect cube (-3³)"));
        assert!(describe(8128).contains("a perfect number"));
        assert!(describe(360).contains("360 = 2³ × 3² × 5"));
    }

    #[test]
    fn the_extremes_of_i64_answer() {
        assert!(describe(i64::MAX).contains("composite"));
        assert!(describe(i64::MIN).contains("Its absolute value, 9223372036854775808,"));
        assert!(describe(0).contains("neither prime nor composite"));
    }

    #[test]
    fn a_large_prime_is_recognised_without_trial_division() {
        // The largest prime below 2^63.
        assert!(is_prime(9_223_372_036_854_775_783));
    }
}
