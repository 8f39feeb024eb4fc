//! Tests of `runtime::serve` that need its private items: compiled inside it (`#[path]`), kept out of `src/`.

use super::*;

#[test]
fn accepting_waits_longer_after_each_error_up_to_a_second() {
    let mut backoff = Backoff::default();
    let waits: Vec<u128> = (0..9).map(|_| backoff.next_wait().as_millis()).collect();
    assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
}
