//! Quality values, the `q` of `Accept` and `Accept-Encoding` entries (RFC 9110 §12.4.2): `0` (not
//! at all) to `1`, up to three decimals. Read by `api/graphql/transport.rs` and `site/serve.rs`.

/// `q=1`, what an entry without `q` asks for, in thousandths.
pub const FULL: u16 = 1000;

/// A `q` in thousandths; `None` unless a number from 0 to 1 (callers read that as refused).
pub fn parse(value: &str) -> Option<u16> {
    let quality: f64 = value.parse().ok()?;
    (0.0..=1.0)
        .contains(&quality)
        .then(|| (quality * 1000.0).round() as u16)
}
