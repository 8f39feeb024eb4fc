//! Behind a connection pooler (issue 25, docs/high-availability.md): PgBouncer in session mode, and
//! in transaction mode when one of 1.21 or later is found (`PGBOUNCER_BIN`, else `pgbouncer` on
//! PATH; Debian 12's is 1.18, and the test then says why it skips). The pooler is started with no
//! `ignore_startup_parameters`, so the app must send none it refuses. Migrations go to the server
//! directly (`DATABASE_MIGRATION_URL`): their advisory lock needs a session.

use std::path::PathBuf;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::migrations::start_together_and_check_migrations;
use crate::support::{
    PgBouncer, PgCluster, PoolMode, ServerProcess, TestDatabase, report,
    transaction_pooling_pgbouncer,
};

const CLIENTS: usize = 8;
const WRITES_PER_CLIENT: usize = 25;

/// A cluster of the test's own, its URL and PgBouncer's in front of it.
async fn cluster_behind(binary: PathBuf, mode: PoolMode) -> (TestDatabase, PgBouncer) {
    let cluster = tokio::task::spawn_blocking(|| PgCluster::start(&["max_connections=200"]))
        .await
        .expect("the cluster starts");
    let pooler = PgBouncer::start(&binary, mode, cluster.port());
    (TestDatabase::on_cluster(cluster, ""), pooler)
}

/// The pooler a test of `mode` runs through: transaction mode needs 1.21 or later.
fn pooler_for(mode: PoolMode) -> Option<PathBuf> {
    match mode {
        PoolMode::Session => Some(crate::support::pgbouncer_binary()),
        PoolMode::Transaction => match transaction_pooling_pgbouncer() {
            Ok(binary) => Some(binary),
            Err(reason) => {
                report(&format!(
                    "skipped: transaction pooling is not tested: {reason}"
                ));
                None
            }
        },
    }
}

/// Instances starting at once through the pooler, migrations on the server directly: each
/// migration once, every instance serving.
async fn instances_starting_at_once_apply_each_migration_once(mode: PoolMode) {
    let Some(binary) = pooler_for(mode) else {
        return;
    };
    let (database, pooler) = cluster_behind(binary, mode).await;
    let settings = [("DATABASE_MIGRATION_URL", database.url())];

    start_together_and_check_migrations(&database, &pooler.url("postgres"), &settings).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_starting_at_once_through_pgbouncer_in_session_mode_apply_each_migration_once()
 {
    instances_starting_at_once_apply_each_migration_once(PoolMode::Session).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_starting_at_once_through_pgbouncer_in_transaction_mode_apply_each_migration_once()
 {
    instances_starting_at_once_apply_each_migration_once(PoolMode::Transaction).await;
}

/// Two instances through the pooler, clients writing posts and comments at once (with and without
/// an `Idempotency-Key`) and reading each back: every answer is theirs. Behind PgBouncer before
/// 1.21, transaction mode crossed sqlx's named statements between clients.
async fn concurrent_clients_each_read_back_what_they_wrote(mode: PoolMode) {
    let Some(binary) = pooler_for(mode) else {
        return;
    };
    let (database, pooler) = cluster_behind(binary, mode).await;
    let folder = tempfile::tempdir().unwrap();
    let settings = [("DATABASE_MIGRATION_URL", database.url())];
    let instances = [
        ServerProcess::on_database(folder.path(), &pooler.url("postgres"), &settings),
        ServerProcess::on_database(folder.path(), &pooler.url("postgres"), &settings),
    ];
    let client = Client::new();

    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..CLIENTS {
        let (client, base) = (client.clone(), instances[writer % 2].url(""));
        writers.spawn(async move { write_and_read_back(client, base, writer).await });
    }
    writers.join_all().await;

    assert_eq!(
        database.count("posts").await,
        (CLIENTS * WRITES_PER_CLIENT) as i64
    );
    assert_eq!(
        database.count("comments").await,
        (CLIENTS * WRITES_PER_CLIENT) as i64
    );
}

async fn write_and_read_back(client: Client, base: String, writer: usize) {
    for number in 0..WRITES_PER_CLIENT {
        let title = format!("writer {writer} post {number}");
        let mut request = client
            .post(format!("{base}/api/post"))
            .json(&json!({ "title": title, "post": "through the pooler" }));
        if number % 2 == 0 {
            request = request.header("idempotency-key", format!("w{writer}-p{number}"));
        }
        let created = request.send().await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let id = created.json::<Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let post = read(&client, format!("{base}/api/post/{id}")).await;
        assert_eq!(post["title"], title, "post {id} is the one written");
        let comment = format!("comment of writer {writer} on {id}");
        let added = client
            .post(format!("{base}/api/comments/{id}"))
            .header("idempotency-key", format!("w{writer}-c{number}"))
            .json(&json!({ "comment": comment }))
            .send()
            .await
            .unwrap();
        assert_eq!(added.status(), StatusCode::CREATED);
        let comments = read(&client, format!("{base}/api/comments/{id}")).await;
        assert_eq!(comments["comments"][0]["comment"], comment, "on post {id}");
    }
}

async fn read(client: &Client, url: String) -> Value {
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_through_pgbouncer_in_session_mode_each_read_back_what_they_wrote() {
    concurrent_clients_each_read_back_what_they_wrote(PoolMode::Session).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_through_pgbouncer_in_transaction_mode_each_read_back_what_they_wrote() {
    concurrent_clients_each_read_back_what_they_wrote(PoolMode::Transaction).await;
}
