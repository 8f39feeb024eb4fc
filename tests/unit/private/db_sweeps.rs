//! Tests of `db::sweeps` that need its private items: compiled inside it (`#[path]`), kept out of `src/`.

use super::*;

#[test]
fn an_instance_sweeps_at_its_first_write_then_once_per_interval() {
    let sweeps = Sweeps::default();
    let start = Instant::now();

    let first = sweeps.due(start);
    let soon_after = sweeps.due(start + Duration::from_secs(1));
    let just_before = sweeps.due(start + SWEEP_EVERY - Duration::from_millis(1));
    let a_minute_on = sweeps.due(start + SWEEP_EVERY);

    assert!(first);
    assert!(!soon_after && !just_before);
    assert!(a_minute_on);
}
