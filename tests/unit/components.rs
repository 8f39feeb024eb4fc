//! What the components render by hand.

mod raw_text {
    use leptos_api_routes::components::raw_text::*;

    #[test]
    fn markup_in_text_comes_out_as_character_references() {
        assert_eq!(
            escape_text("</textarea><b>x&amp;</b>"),
            "&lt;/textarea&gt;&lt;b&gt;x&amp;amp;&lt;/b&gt;"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_textarea_s_text_keeps_its_own_first_line_break() {
        assert_eq!(textarea_text("\nsecond <line>"), "\n\nsecond &lt;line&gt;");
    }
}
