//! The write rate limit's rule (`RATE_LIMIT_PER_MINUTE`), kept by each room where all its instances
//! see it. GCRA: one instant per address, moved one interval on by each write; a write is allowed
//! while it is at most `tolerance` ahead of now (a burst of `limit`, then one per interval).

use std::{
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    time::Duration,
};

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteLimit {
    pub interval: Duration,
    /// The burst, less one interval.
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

/// An IPv6 address counts by its /64, the block a host is given (RFC 6177) and may write from any
/// address of; clients behind one /64 share an allowance, as behind one IPv4 NAT.
pub fn counted_address(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteAllowance {
    Allowed,
    RetryAfter(Duration),
}
