//! The data layer's public pieces: how a driver error is classified (`db::Error`), which address a
//! write counts against, lost PostgreSQL connections, new posts saved in batches, each with the id
//! of its own post, and the pages' cache of live sessions (its bounds and when it must not fill).

use std::{
    collections::HashSet,
    io,
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use leptos_api_routes::{
    config::DatabaseConfig,
    db::{
        self, Visibility, WriteAllowance, WriteLimit, WriteTimes,
        accounts::SessionOwner,
        error::{Kind, classify_protocol, classify_sqlite, classify_sqlstate},
        lost_connections::{CHECK_WHEN_IDLE_FOR, LostConnections},
        session_cache::{Lookup, SessionCache, SessionKey},
        write_limit::counted_address,
    },
    model::{UserId, ValidPost},
};

#[test]
fn an_io_error_of_a_full_disk_is_storage_full() {
    let error = sqlx::Error::Io(io::Error::from_raw_os_error(28)); // ENOSPC
    assert!(matches!(db::Error::from(error), db::Error::StorageFull(_)));
}

#[test]
fn a_refused_connection_a_pool_timeout_or_a_closed_pool_is_unavailable() {
    let refused = sqlx::Error::Io(io::ErrorKind::ConnectionRefused.into());
    for error in [refused, sqlx::Error::PoolTimedOut, sqlx::Error::PoolClosed] {
        assert!(matches!(db::Error::from(error), db::Error::Unavailable(_)));
    }
}

#[test]
fn a_missing_row_is_another_failure() {
    let error = db::Error::from(sqlx::Error::RowNotFound);
    assert!(matches!(error, db::Error::Other(_)));
}

#[test]
fn a_database_error_reads_as_the_drivers_own_message() {
    let error = db::Error::from(sqlx::Error::PoolTimedOut);
    assert_eq!(error.to_string(), sqlx::Error::PoolTimedOut.to_string());
}

#[test]
fn an_ipv6_address_counts_as_its_64_and_an_ipv4_one_as_itself() {
    let counted = |text: &str| counted_address(text.parse().expect("an address")).to_string();

    assert_eq!(
        counted("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
        "2001:db8:1:2::"
    );
    assert_eq!(counted("2001:db8:1:2::1"), "2001:db8:1:2::");
    assert_eq!(counted("2001:db8:1:3::1"), "2001:db8:1:3::");
    assert_eq!(counted("::ffff:192.0.2.7"), "192.0.2.7");
    assert_eq!(counted("192.0.2.7"), "192.0.2.7");
    assert_eq!(counted("::1"), "::");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_saved_together_each_get_the_id_of_their_own_post() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", folder.path().join("app.db").display());
    let database = db::open(&DatabaseConfig::new(url.parse().expect("a SQLite URL")))
        .await
        .expect("the database opens");
    let post = |n: usize| ValidPost {
        title: format!("Post {n}"),
        body: format!("Body {n}"),
        draft: n.is_multiple_of(3),
    };

    // Submitted at once, so most of them queue behind the first and are saved in batches.
    let mut saves = tokio::task::JoinSet::new();
    for n in 0..300 {
        let database = database.clone();
        saves.spawn(async move { (n, db::create_post(&database, &post(n), None).await) });
    }

    let mut ids = HashSet::new();
    while let Some(result) = saves.join_next().await {
        let (n, id) = result.expect("the task finishes");
        let id = id.expect("the post is saved");
        assert!(ids.insert(id), "id {id:?} handed out twice");
        let stored = db::get_post(&database, Visibility::WithDrafts, id)
            .await
            .expect("the post reads back")
            .expect("the post exists");
        assert_eq!((stored.title, stored.body), (post(n).title, post(n).body));
        assert_eq!(stored.draft, post(n).draft);
    }
    database.close().await;
}

#[test]
fn sqlite_full_and_its_extended_codes_are_storage_full() {
    assert_eq!(
        classify_sqlite("13", "database or disk is full"),
        Kind::StorageFull
    );
    assert_eq!(
        classify_sqlite(&(13 | (1 << 8)).to_string(), ""),
        Kind::StorageFull
    );
}

#[test]
fn a_sqlite_io_error_saying_the_disk_is_full_is_storage_full() {
    // SQLITE_IOERR_WRITE
    assert_eq!(
        classify_sqlite("778", "database or disk is full"),
        Kind::StorageFull
    );
}

#[test]
fn a_busy_or_locked_sqlite_database_is_unavailable() {
    // SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED.
    for code in ["5", "517", "6"] {
        assert_eq!(
            classify_sqlite(code, "database is locked"),
            Kind::Unavailable,
            "{code}"
        );
    }
}

#[test]
fn postgres_disk_full_is_storage_full() {
    assert_eq!(classify_sqlstate("53100"), Kind::StorageFull);
}

#[test]
fn postgres_connection_shutdown_and_retry_codes_are_unavailable() {
    for code in ["08006", "08001", "57P01", "57P03", "53300", "40001"] {
        assert_eq!(classify_sqlstate(code), Kind::Unavailable, "{code}");
    }
}

#[test]
fn a_failover_s_read_only_leader_and_starting_standby_are_unavailable() {
    for code in ["25006", "57P03", "57P05"] {
        assert_eq!(classify_sqlstate(code), Kind::Unavailable, "{code}");
    }
}

#[test]
fn a_proxy_with_no_server_behind_it_is_unavailable_and_other_protocol_errors_are_not() {
    assert_eq!(
        classify_protocol("unexpected response from SSLRequest: 0x00"),
        Kind::Unavailable
    );
    assert_eq!(
        classify_protocol("unknown message type: '\\u{1}'"),
        Kind::Other
    );
}

#[test]
fn a_constraint_violation_is_another_failure() {
    // SQLITE_CONSTRAINT_UNIQUE, and PostgreSQL's unique_violation, undefined_table, string
    // too long.
    assert_eq!(
        classify_sqlite("2067", "UNIQUE constraint failed"),
        Kind::Other
    );
    for code in ["23505", "42P01", "22001"] {
        assert_eq!(classify_sqlstate(code), Kind::Other, "{code}");
    }
}

fn lost() -> sqlx::Error {
    sqlx::Error::Io(io::Error::from(io::ErrorKind::ConnectionReset))
}

#[test]
fn a_connection_idle_for_a_moment_is_lent_unchecked_while_nothing_was_lost() {
    let connections = LostConnections::new();
    assert!(!connections.must_check(Duration::ZERO));
    assert!(!connections.must_check(CHECK_WHEN_IDLE_FOR / 2));
    assert!(connections.must_check(CHECK_WHEN_IDLE_FOR));
}

#[test]
fn after_a_loss_connections_idle_since_before_it_are_checked_and_later_ones_are_not() {
    let connections = LostConnections::new();
    std::thread::sleep(Duration::from_millis(20));
    let _ = connections.noting::<()>(Err(lost()));
    assert!(connections.must_check(Duration::from_millis(10)));
    std::thread::sleep(Duration::from_millis(20));
    assert!(!connections.must_check(Duration::from_millis(5)));
}

#[test]
fn a_pool_timeout_or_a_refused_statement_is_not_a_lost_connection() {
    let connections = LostConnections::new();
    let _ = connections.noting::<()>(Err(sqlx::Error::PoolTimedOut));
    let _ = connections.noting::<()>(Err(sqlx::Error::RowNotFound));
    assert!(!connections.must_check(Duration::ZERO));
}

#[tokio::test]
async fn a_read_whose_connection_was_lost_runs_once_more() {
    let connections = LostConnections::new();
    let tries = AtomicU64::new(0);
    let answer = connections
        .read(|| async {
            match tries.fetch_add(1, Ordering::Relaxed) {
                0 => Err(lost()),
                _ => Ok("read"),
            }
        })
        .await;
    assert_eq!(answer.ok(), Some("read"));
    assert_eq!(tries.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn a_read_that_failed_otherwise_is_not_run_again() {
    let connections = LostConnections::new();
    let tries = AtomicU64::new(0);
    let answer: Result<(), _> = connections
        .read(|| async {
            tries.fetch_add(1, Ordering::Relaxed);
            Err(sqlx::Error::PoolTimedOut)
        })
        .await;
    assert!(matches!(answer, Err(sqlx::Error::PoolTimedOut)));
    assert_eq!(tries.load(Ordering::Relaxed), 1);
}

fn limit(per_minute: u32) -> WriteLimit {
    WriteLimit::per_minute(NonZeroU32::new(per_minute).expect("a positive limit"))
}

#[test]
fn an_address_may_write_the_limit_at_once_then_once_per_interval() {
    let times = WriteTimes::default();
    let address = IpAddr::from([192, 0, 2, 1]);
    let start = Instant::now();

    for _ in 0..3 {
        assert_eq!(
            times.count(address, limit(3), start),
            WriteAllowance::Allowed
        );
    }
    assert_eq!(
        times.count(address, limit(3), start),
        WriteAllowance::RetryAfter(Duration::from_secs(20))
    );
    assert_eq!(
        times.count(address, limit(3), start + Duration::from_secs(20)),
        WriteAllowance::Allowed
    );
    assert_eq!(
        times.count(IpAddr::from([192, 0, 2, 2]), limit(3), start),
        WriteAllowance::Allowed
    );
}

const NOW: i64 = 1_800_000_000;

fn owner(name: &str, expires_at: i64) -> SessionOwner {
    SessionOwner {
        id: UserId(1),
        username: name.to_owned(),
        expires_at,
    }
}

fn key(n: u32) -> SessionKey {
    let mut key = [0; 32];
    key[..4].copy_from_slice(&n.to_be_bytes());
    key
}

/// Looks `key` up and, on a miss, fills it as a read of the database would.
fn read_through(cache: &SessionCache, key: &SessionKey, name: &str) {
    if let Lookup::Miss(ticket) = cache.lookup(key, NOW) {
        cache.fill(ticket, *key, owner(name, NOW + 600));
    }
}

fn shown(cache: &SessionCache, key: &SessionKey, now: i64) -> Option<String> {
    match cache.lookup(key, now) {
        Lookup::Hit(owner) => Some(owner.username),
        Lookup::Miss(_) | Lookup::Off => None,
    }
}

#[test]
fn a_filled_session_is_served_until_its_own_expiry_and_not_after() {
    let cache = SessionCache::new(true);
    let Lookup::Miss(ticket) = cache.lookup(&key(1), NOW) else {
        panic!("an empty cache misses");
    };
    cache.fill(ticket, key(1), owner("alice", NOW + 10));

    assert_eq!(shown(&cache, &key(1), NOW + 9).as_deref(), Some("alice"));
    assert_eq!(shown(&cache, &key(1), NOW + 10), None);
}

#[test]
fn a_session_is_kept_no_longer_than_the_time_to_live() {
    let cache = SessionCache::with_bounds(100, Duration::from_millis(50), true);
    read_through(&cache, &key(1), "alice");
    assert!(shown(&cache, &key(1), NOW).is_some());

    std::thread::sleep(Duration::from_millis(120));

    assert_eq!(shown(&cache, &key(1), NOW), None);
}

#[test]
fn the_cache_holds_no_more_sessions_than_its_capacity() {
    let cache = SessionCache::with_bounds(100, Duration::from_secs(60), true);

    for n in 0..5_000 {
        read_through(&cache, &key(n), "someone");
    }

    assert!(cache.len() <= 100, "{} entries", cache.len());
}

#[test]
fn a_forgotten_session_is_not_served() {
    let cache = SessionCache::new(true);
    read_through(&cache, &key(1), "alice");
    read_through(&cache, &key(2), "bob");

    cache.forget(&key(1));

    assert_eq!(shown(&cache, &key(1), NOW), None);
    assert_eq!(shown(&cache, &key(2), NOW).as_deref(), Some("bob"));
}

#[test]
fn a_fill_is_dropped_when_a_session_was_forgotten_after_its_lookup_began() {
    let cache = SessionCache::new(true);
    let Lookup::Miss(ticket) = cache.lookup(&key(1), NOW) else {
        panic!("an empty cache misses");
    };
    // Between the database's answer and the fill, the session is signed out.
    cache.forget(&key(1));

    cache.fill(ticket, key(1), owner("alice", NOW + 600));

    assert_eq!(shown(&cache, &key(1), NOW), None);
}

#[test]
fn clearing_forgets_every_session_and_drops_fills_begun_before() {
    let cache = SessionCache::new(true);
    read_through(&cache, &key(1), "alice");
    let Lookup::Miss(ticket) = cache.lookup(&key(2), NOW) else {
        panic!("an empty cache misses");
    };

    cache.clear();
    cache.fill(ticket, key(2), owner("bob", NOW + 600));

    assert_eq!(shown(&cache, &key(1), NOW), None);
    assert_eq!(shown(&cache, &key(2), NOW), None);
}

#[test]
fn an_off_cache_serves_nothing_keeps_nothing_and_comes_back_on_empty() {
    let cache = SessionCache::new(true);
    read_through(&cache, &key(1), "alice");
    let Lookup::Miss(ticket) = cache.lookup(&key(2), NOW) else {
        panic!("an empty cache misses");
    };

    cache.set_live(false);
    assert!(matches!(cache.lookup(&key(1), NOW), Lookup::Off));
    cache.set_live(true);
    cache.fill(ticket, key(2), owner("bob", NOW + 600));

    assert_eq!(shown(&cache, &key(1), NOW), None, "emptied");
    assert_eq!(shown(&cache, &key(2), NOW), None, "a fill begun before");
    read_through(&cache, &key(3), "carol");
    assert_eq!(shown(&cache, &key(3), NOW).as_deref(), Some("carol"));
}

#[test]
fn a_cache_made_off_serves_nothing_until_turned_on() {
    let cache = SessionCache::new(false);

    read_through(&cache, &key(1), "alice");

    assert!(matches!(cache.lookup(&key(1), NOW), Lookup::Off));
    assert!(cache.is_empty());
}
