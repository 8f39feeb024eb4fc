//! Live comments across instances on one PostgreSQL database (`LISTEN`/`NOTIFY`): a comment posted
//! through A reaches a stream on B; comments posted at once through both arrive on every stream in
//! id order, each once (the trigger commits a post's comments in id order); and a PostgreSQL
//! restart loses nothing: an open stream gets what comes after (the listener reconnects and
//! resyncs), and `Last-Event-ID` gets exactly what was missed.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    EventReader, PgCluster, ServerProcess, TestApp, TestDatabase, add_comment, create_post, stream,
};

const WITHIN: Duration = Duration::from_secs(10);

async fn assert_nothing_more(reader: &mut EventReader) {
    if let Some(Some(block)) = reader.maybe_block(Duration::from_millis(400)).await {
        assert!(block.event.is_none(), "an unexpected event: {block:?}");
    }
}

#[tokio::test]
async fn a_comment_posted_through_one_instance_reaches_a_stream_on_the_other() {
    let database = TestDatabase::postgres().await;
    let folder = tempfile::tempdir().unwrap();
    let a = ServerProcess::on_database(folder.path(), database.url(), &[]);
    let b = ServerProcess::on_database(folder.path(), database.url(), &[]);
    let client = Client::new();
    let post = create_post(&client, &a.url("")).await;
    let mut on_b = stream(&client, &b.url(""), post, None).await;
    let mut on_a = stream(&client, &a.url(""), post, None).await;

    let id = add_comment(&client, &a.url(""), post, "Written on A").await;

    for reader in [&mut on_b, &mut on_a] {
        let event = reader.next_comment(WITHIN).await;
        assert_eq!(event.id(), id);
        assert_eq!(event.json()["comment"], "Written on A");
    }
    let from_b = add_comment(&client, &b.url(""), post, "Written on B").await;
    assert_eq!(on_a.next_comment(WITHIN).await.id(), from_b);
    assert_eq!(on_b.next_comment(WITHIN).await.id(), from_b);
}

#[tokio::test]
async fn comments_posted_at_once_through_both_instances_reach_every_stream_once_in_id_order() {
    let database = TestDatabase::postgres().await;
    let folder = tempfile::tempdir().unwrap();
    let a = ServerProcess::on_database(folder.path(), database.url(), &[]);
    let b = ServerProcess::on_database(folder.path(), database.url(), &[]);
    let client = Client::new();
    let post = create_post(&client, &a.url("")).await;
    let mut readers = vec![
        stream(&client, &a.url(""), post, None).await,
        stream(&client, &b.url(""), post, None).await,
    ];

    let mut writes = tokio::task::JoinSet::new();
    for n in 0..40 {
        let base = if n % 2 == 0 { a.url("") } else { b.url("") };
        let client = client.clone();
        writes.spawn(async move { add_comment(&client, &base, post, &format!("Burst {n}")).await });
    }
    let mut posted = writes.join_all().await;
    posted.sort_unstable();

    for reader in &mut readers {
        let mut got = Vec::new();
        for _ in 0..posted.len() {
            got.push(reader.next_comment(WITHIN).await.id());
        }
        assert_eq!(got, posted);
        assert_nothing_more(reader).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_postgresql_restart_open_streams_go_on_and_last_event_id_gets_exactly_the_missed() {
    let cluster = tokio::task::spawn_blocking(|| PgCluster::start(&[]))
        .await
        .unwrap();
    let app = TestApp::spawn_on(TestDatabase::on_cluster(cluster, ""), |config| {
        config.database.timeout = Duration::from_millis(1500);
    })
    .await;
    let post = app.create_post("Live", "Through an outage").await;
    let base = app.url("");
    let mut open_stream = stream(&app.client, &base, post, None).await;
    let seen = app.add_comment(post, "Before").await;
    assert_eq!(open_stream.next_comment(WITHIN).await.id(), seen);

    let database = app.database().cluster().unwrap();
    tokio::task::block_in_place(|| database.stop());
    tokio::task::block_in_place(|| database.start_again());
    let mut missed = Vec::new();
    for n in 0..3 {
        // The pool finds its connections gone at first use: retried until the database answers.
        let mut id = None;
        for _ in 0..50 {
            let response = app
                .post_json(
                    &format!("/api/comments/{post}"),
                    &json!({ "comment": format!("After {n}") }),
                )
                .await;
            if response.status() == StatusCode::CREATED {
                id = response.json::<Value>().await.unwrap()["id"].as_i64();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        missed.push(id.expect("the database is back"));
    }

    let mut got = Vec::new();
    for _ in 0..missed.len() {
        got.push(open_stream.next_comment(WITHIN).await.id());
    }
    assert_eq!(got, missed, "the open stream");
    let mut resumed = stream(&app.client, &base, post, Some(seen)).await;
    let mut replayed = Vec::new();
    for _ in 0..missed.len() {
        replayed.push(resumed.next_comment(WITHIN).await.id());
    }
    assert_eq!(replayed, missed, "the stream resumed from Last-Event-ID");
    assert_nothing_more(&mut resumed).await;
    assert_nothing_more(&mut open_stream).await;
}

/// The grants docs/postgres.md gives the app's role (the `sql` block of "The app's role"), for
/// `role`, one statement at a time.
fn documented_grants(role: &str) -> Vec<String> {
    let docs = std::fs::read_to_string("docs/postgres.md").unwrap();
    let (_, section) = docs.split_once("## The app's role").expect("the section");
    let (_, block) = section.split_once("```sql\n").expect("its sql block");
    let (block, _) = block.split_once("```").expect("the block's end");
    block
        .split(';')
        .map(str::trim)
        .filter(|statement| !statement.is_empty())
        .map(|statement| {
            let (before, last) = statement.rsplit_once(' ').unwrap();
            assert_eq!(last, "app", "{statement}");
            format!("{before} {role}")
        })
        .collect()
}

/// A connection as `url`'s role, without the startup parameter PgBouncer refuses.
async fn connect(url: &str) -> sqlx::PgConnection {
    use sqlx::ConnectOptions;
    let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    options.extra_float_digits(None).connect().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_role_with_only_the_documented_grants_adds_comments_even_when_they_race() {
    use sqlx::{Connection, Row};

    let cluster = tokio::task::spawn_blocking(|| PgCluster::start(&[]))
        .await
        .unwrap();
    let database = TestDatabase::on_cluster(cluster, "");
    let owner_url = database.url().to_owned();
    let folder = tempfile::tempdir().unwrap();
    // The owner applies the migrations, then grants what the docs say, and nothing else.
    drop(ServerProcess::on_database(folder.path(), &owner_url, &[]));
    let role = "app_role";
    database.execute(&format!("CREATE ROLE {role} LOGIN")).await;
    for grant in documented_grants(role) {
        database.execute(&grant).await;
    }
    let may_draw = database
        .column::<bool>(&format!(
            "SELECT has_sequence_privilege('{role}', pg_get_serial_sequence('comments', 'id'), 'USAGE')"
        ))
        .await;
    assert_eq!(may_draw, [false]);
    let mut app_url = reqwest::Url::parse(&owner_url).unwrap();
    app_url.set_username(role).unwrap();
    let app_url = app_url.to_string();

    // The trigger's slow path: an insert draws its id, then waits for the post's row, which another
    // holds while it inserts a newer comment and commits; the first then draws a new id.
    let post: i64 = sqlx::query_scalar(
        "INSERT INTO posts (title, body) VALUES ('Least', 'privilege') RETURNING id",
    )
    .fetch_one(&mut connect(&owner_url).await)
    .await
    .unwrap();
    let mut holder = connect(&app_url).await;
    let mut holding = holder.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM posts WHERE id = $1 FOR NO KEY UPDATE")
        .bind(post)
        .execute(&mut *holding)
        .await
        .unwrap();
    let waiting_url = app_url.clone();
    let waiting = tokio::spawn(async move {
        sqlx::query("INSERT INTO comments (post_id, body) VALUES ($1, 'Drawn first') RETURNING id")
            .bind(post)
            .fetch_one(&mut connect(&waiting_url).await)
            .await
            .map(|row| row.get::<i64, _>("id"))
    });
    // Until the waiting insert has drawn its id and waits for the row.
    for _ in 0..100 {
        let waits = database
            .column::<i64>("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            .await;
        if waits == [1] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let newer: i64 = sqlx::query_scalar(
        "INSERT INTO comments (post_id, body) VALUES ($1, 'Committed first') RETURNING id",
    )
    .bind(post)
    .fetch_one(&mut *holding)
    .await
    .unwrap();
    holding.commit().await.unwrap();
    let redrawn = waiting
        .await
        .unwrap()
        .expect("the app's role may add a comment");
    assert!(redrawn > newer, "{redrawn} after {newer}");

    // And through the server, running as that role: comments at once on one post, each 201, each
    // on the stream once, in id order.
    let server = ServerProcess::on_database(
        folder.path(),
        &app_url,
        &[("DATABASE_MIGRATION_URL", owner_url.as_str())],
    );
    let client = Client::new();
    let post = create_post(&client, &server.url("")).await;
    let mut reader = stream(&client, &server.url(""), post, None).await;
    let mut writes = tokio::task::JoinSet::new();
    for n in 0..20 {
        let (client, base) = (client.clone(), server.url(""));
        writes.spawn(async move { add_comment(&client, &base, post, &format!("Race {n}")).await });
    }
    let mut posted = writes.join_all().await;
    posted.sort_unstable();
    let mut got = Vec::new();
    for _ in 0..posted.len() {
        got.push(reader.next_comment(WITHIN).await.id());
    }
    assert_eq!(got, posted);
}

#[tokio::test]
async fn deleting_a_post_through_one_instance_ends_its_streams_on_the_other_and_a_reconnect_is_404()
{
    let database = TestDatabase::postgres().await;
    let folder = tempfile::tempdir().unwrap();
    let a = ServerProcess::on_database(folder.path(), database.url(), &[]);
    let b = ServerProcess::on_database(folder.path(), database.url(), &[]);
    let client = Client::new();
    let cookie = crate::support::sign_up_at(&client, &a.url(""), "author").await;
    let response = client
        .post(a.url("/api/post"))
        .header(reqwest::header::COOKIE, &cookie)
        .json(&json!({ "title": "Doomed", "post": "Soon gone" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let post = response.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let seen = add_comment(&client, &b.url(""), post, "Seen").await;
    let mut on_b = stream(&client, &b.url(""), post, Some(seen)).await;
    let mut on_a = stream(&client, &a.url(""), post, None).await;

    let deleted = client
        .delete(a.url(&format!("/api/post/{post}")))
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    for reader in [&mut on_b, &mut on_a] {
        let block = loop {
            let block = reader.next_block(WITHIN).await.expect("a deleted event");
            if block.comment.is_none() {
                break block;
            }
        };
        assert_eq!(block.event.as_deref(), Some("deleted"), "{block:?}");
        assert_eq!(
            block.data.as_deref(),
            Some(format!(r#"{{"post":{post}}}"#).as_str())
        );
        assert!(reader.ends_within(WITHIN).await, "the stream ends");
    }
    let again = client
        .get(b.url(&format!("/api/comments/{post}/events")))
        .header("last-event-id", seen.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}
