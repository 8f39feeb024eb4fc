//! Tests of `db::sqlite` that need its private items: compiled inside it (`#[path]`), kept out of `src/`.

use super::*;
use crate::config::DatabaseConfig;

async fn open_in(folder: &tempfile::TempDir) -> Db {
    let url = format!("sqlite://{}", folder.path().join("app.db").display());
    let config = DatabaseConfig::new(url.parse().expect("a SQLite URL"));
    Db::open(&config).await.expect("the database opens")
}

#[tokio::test]
async fn reads_go_to_read_only_connections_and_writes_to_the_writer() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let db = open_in(&folder).await;

    let write_on_a_reader = sqlx::query("INSERT INTO posts (title, body) VALUES ('t', 'b')")
        .execute(&mut *db.reader().await.expect("a read connection"))
        .await;
    let post = crate::model::NewPost {
        title: "Title".into(),
        post: "Body".into(),
        draft: false,
    }
    .validate();

    assert!(write_on_a_reader.is_err_and(|error| error.to_string().contains("readonly")));
    let id = db
        .create_post(&post.expect("a valid post"), None)
        .await
        .expect("the writer saves it");
    let read = db.get_post(false, id).await;
    assert!(read.is_ok_and(|post| post.is_some()));
    db.close().await;
}
