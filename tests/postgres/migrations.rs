//! Migrations when several instances start at once on an empty database: each is applied exactly
//! once (sqlx runs them under a PostgreSQL advisory lock), and every instance starts.

use std::thread;

use reqwest::StatusCode;

use crate::support::{ServerProcess, TestDatabase};

const INSTANCES: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_apply_each_migration_exactly_once() {
    let database = TestDatabase::postgres().await;

    start_together_and_check_migrations(&database, database.url(), &[]).await;
}

/// Starts [`INSTANCES`] instances at once on `url` with `settings`, then checks that each answers
/// and that `database` holds each migration once. Also the pooler's test (`pooler.rs`), where `url`
/// is PgBouncer and the migrations go to `database` directly.
pub async fn start_together_and_check_migrations(
    database: &TestDatabase,
    url: &str,
    settings: &[(&str, &str)],
) {
    let folder = tempfile::tempdir().unwrap();
    let migrations = std::fs::read_dir("migrations/postgres").unwrap().count() as i64;

    let instances: Vec<ServerProcess> = thread::scope(|scope| {
        let starting: Vec<_> = (0..INSTANCES)
            .map(|_| scope.spawn(|| ServerProcess::on_database(folder.path(), url, settings)))
            .collect();
        starting
            .into_iter()
            .map(|instance| instance.join().unwrap())
            .collect()
    });

    for instance in &instances {
        let health = reqwest::get(instance.url("/api/health")).await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
    }
    let applied = database
        .column::<i64>("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .await;
    assert_eq!(applied.len() as i64, migrations, "{applied:?}");
    let mut distinct = applied.clone();
    distinct.dedup();
    assert_eq!(distinct, applied);
}
