//! `Accept` and `Accept-Encoding` q-values.

use leptos_api_routes::qvalue::*;

#[test]
fn a_quality_is_read_in_thousandths_and_anything_outside_0_to_1_is_refused() {
    assert_eq!(parse("1"), Some(FULL));
    assert_eq!(parse("0.8"), Some(800));
    assert_eq!(parse("0.125"), Some(125));
    assert_eq!(parse("0"), Some(0));
    assert_eq!(parse("2"), None);
    assert_eq!(parse("-0.5"), None);
    assert_eq!(parse("lots"), None);
}
