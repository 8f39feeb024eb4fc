//! Tests of `db::sqlite::write_limit` that need its private items: compiled inside it (`#[path]`), kept out of `src/`.

use std::{num::NonZeroU32, time::Duration};

use super::*;

fn limit(per_minute: u32) -> WriteLimit {
    WriteLimit::per_minute(NonZeroU32::new(per_minute).expect("a positive limit"))
}

#[test]
fn addresses_that_are_back_to_a_full_allowance_are_forgotten() {
    let times = WriteTimes::default();
    let start = Instant::now();
    for host in 0..MIN_SWEEP_SIZE as u32 - 1 {
        let _ = times.count(IpAddr::from(host.to_be_bytes()), limit(60), start);
    }
    let later = start + Duration::from_secs(2);

    let _ = times.count(IpAddr::from([198, 51, 100, 1]), limit(60), later);

    assert_eq!(times.addresses(), 1);
}
