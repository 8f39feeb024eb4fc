//! The rule of the write rate limit (`RATE_LIMIT_PER_MINUTE`), which each room keeps where all its
//! instances see it: SQLite in its one process's memory, PostgreSQL in a shared table, so that N
//! instances still give a client the limit once. The algorithm is GCRA, a token bucket written as
//! one instant per address: each write moves the address's next on-schedule time one interval on,
//! and a write is allowed while that time is at most `tolerance` ahead of now (a fresh address may
//! write `limit` times at once, then once per interval). An IPv6 client counts by its /64
//! ([`counted_address`]): a host is given a whole /64 and may write from any of its addresses.

use std::{
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    time::Duration,
};

const WINDOW: Duration = Duration::from_secs(60);

/// `limit` writes per minute and address, as GCRA's two durations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteLimit {
    /// How much later each write moves the address's time.
    pub interval: Duration,
    /// How far ahead of now the address's time may be and still write: the burst, less one interval.
    pub tolerance: Duration,
}

impl WriteLimit {
    pub fn per_minute(limit: NonZeroU32) -> Self {
        let interval = WINDOW / limit.get();
        Self {
            interval,
            tolerance: WINDOW - interval,
        }
    }
}

/// The address a write from `address` counts against: an IPv4 address as it is (an IPv4-mapped
/// IPv6 one too), an IPv6 address by its /64 prefix, the block a host or a home network is given
/// (RFC 6177, RIPE-690). Clients behind one /64 share an allowance, as clients behind one IPv4 NAT do.
pub fn counted_address(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

/// Whether a write may go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteAllowance {
    Allowed,
    /// Over the limit: the address may write again after this long.
    RetryAfter(Duration),
}
