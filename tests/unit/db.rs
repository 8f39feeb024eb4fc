//! The data layer's public pieces: how a driver error is classified (`db::Error`), which address a
//! write counts against, and new posts saved in batches, each with the id of its own post.

use std::{collections::HashSet, io};

use leptos_api_routes::{
    config::DatabaseConfig,
    db::{self, Visibility, write_limit::counted_address},
    model::ValidPost,
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
        saves.spawn(async move { (n, db::create_post(&database, &post(n)).await) });
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
