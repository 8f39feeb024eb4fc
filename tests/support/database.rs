//! The database a test runs on, fresh for every test: a SQLite file in a temporary folder by default;
//! with `TEST_DATABASE_URL=postgres://user@host:port/db`, a new database on that server, created for
//! the test and dropped after it. `scripts/test.sh` runs the suite once each way.
//!
//! Tests read what requests wrote through [`TestDatabase::count`] and [`TestDatabase::execute`],
//! which work on both backends.

use leptos_api_routes::config::Backend;
use sqlx::{ConnectOptions, Connection, PgConnection, SqliteConnection};
use tempfile::TempDir;

use super::PgCluster;

pub struct TestDatabase {
    url: String,
    home: Home,
}

enum Home {
    /// The folder holds the file (and is removed with it).
    Sqlite { _folder: TempDir },
    /// A file in a folder someone else owns.
    SqliteElsewhere,
    /// A PostgreSQL database someone else owns (a test's HA cluster, through its proxy).
    PostgresElsewhere,
    /// A database created on the server at `admin_url`, dropped with this.
    SharedServer { admin_url: String, name: String },
    /// A cluster of this test's own, stopped and removed with this.
    PrivateCluster(PgCluster),
}

/// The PostgreSQL server `TEST_DATABASE_URL` names, if it names one.
fn shared_postgres() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"))
}

/// The backend the suite runs on: PostgreSQL when `TEST_DATABASE_URL` names a server, else SQLite.
fn suite_backend() -> Backend {
    match shared_postgres() {
        Some(_) => Backend::Postgres,
        None => Backend::Sqlite,
    }
}

impl TestDatabase {
    /// A fresh database on the suite's backend.
    pub async fn fresh() -> Self {
        match suite_backend() {
            Backend::Sqlite => Self::sqlite(),
            Backend::Postgres => Self::postgres().await,
        }
    }

    /// A fresh SQLite file (in a folder the server must create: `nested/`), whatever the suite runs on.
    pub fn sqlite() -> Self {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}", folder.path().join("nested/app.db").display());
        Self {
            url,
            home: Home::Sqlite { _folder: folder },
        }
    }

    /// A fresh SQLite file in `folder`, which the caller owns (a small file system, in the full-disk
    /// test); the file stays when this is dropped.
    pub fn sqlite_in(folder: &std::path::Path) -> Self {
        Self {
            url: format!("sqlite://{}", folder.join("app.db").display()),
            home: Home::SqliteElsewhere,
        }
    }

    /// A fresh PostgreSQL database, whatever the suite runs on: on `TEST_DATABASE_URL`'s server when
    /// it names one, else on a cluster started for this test alone.
    pub async fn postgres() -> Self {
        let Some(admin_url) = shared_postgres() else {
            let cluster = tokio::task::spawn_blocking(|| PgCluster::start(&[]))
                .await
                .expect("the cluster starts");
            return Self {
                url: cluster.url("postgres", ""),
                home: Home::PrivateCluster(cluster),
            };
        };
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        );
        let mut admin = connect_postgres(&admin_url)
            .await
            .expect("TEST_DATABASE_URL accepts connections");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("a test database can be created");
        let _ = admin.close().await;
        Self {
            url: database_url(&admin_url, &name),
            home: Home::SharedServer { admin_url, name },
        }
    }

    /// The PostgreSQL database at `url`, which the caller owns: to read what requests wrote.
    pub fn postgres_at(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            home: Home::PostgresElsewhere,
        }
    }

    /// A database on `cluster` (which this then owns): for tests that stop or reconfigure the server.
    pub fn on_cluster(cluster: PgCluster, query: &str) -> Self {
        Self {
            url: cluster.url("postgres", query),
            home: Home::PrivateCluster(cluster),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        match self.home {
            Home::Sqlite { .. } | Home::SqliteElsewhere => Backend::Sqlite,
            Home::SharedServer { .. } | Home::PrivateCluster(_) | Home::PostgresElsewhere => {
                Backend::Postgres
            }
        }
    }

    /// The cluster of a database that has one to itself.
    pub fn cluster(&self) -> Option<&PgCluster> {
        match &self.home {
            Home::PrivateCluster(cluster) => Some(cluster),
            _ => None,
        }
    }

    /// The SQLite file, for a SQLite database.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        self.url.strip_prefix("sqlite://").map(Into::into)
    }

    /// Runs `sql` (written for this backend) on a connection of its own; returns the rows it changed.
    pub async fn execute(&self, sql: &str) -> u64 {
        match self.backend() {
            Backend::Sqlite => {
                let mut connection = SqliteConnection::connect(&self.url).await.unwrap();
                let done = sqlx::query(sql).execute(&mut connection).await;
                done.map(|done| done.rows_affected())
            }
            Backend::Postgres => {
                let mut connection = connect_postgres(&self.url).await.unwrap();
                let done = sqlx::query(sql).execute(&mut connection).await;
                done.map(|done| done.rows_affected())
            }
        }
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// The first column of every row `sql` returns, as `T` (an `i64`, a `String`).
    pub async fn column<T>(&self, sql: &str) -> Vec<T>
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>
            + for<'r> sqlx::Decode<'r, sqlx::Postgres>
            + sqlx::Type<sqlx::Postgres>
            + Send
            + Unpin,
    {
        match self.backend() {
            Backend::Sqlite => {
                let mut connection = SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_all(&mut connection).await
            }
            Backend::Postgres => {
                let mut connection = connect_postgres(&self.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_all(&mut connection).await
            }
        }
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// How many rows `table` holds.
    pub async fn count(&self, table: &str) -> i64 {
        self.column::<i64>(&format!("SELECT COUNT(*) FROM {table}"))
            .await
            .first()
            .copied()
            .expect("one count")
    }
}

/// A connection as the app opens them: without sqlx's `extra_float_digits` startup parameter,
/// which PgBouncer refuses (scripts/test.sh runs the suite through one).
async fn connect_postgres(url: &str) -> Result<PgConnection, sqlx::Error> {
    let options: sqlx::postgres::PgConnectOptions = url.parse()?;
    options.extra_float_digits(None).connect().await
}

/// `admin_url` with its database name replaced by `name` (and its query kept).
fn database_url(admin_url: &str, name: &str) -> String {
    let mut url = reqwest::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(name);
    url.to_string()
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Home::SharedServer { admin_url, name } = &self.home else {
            return;
        };
        // Drop runs outside any runtime the test had: a thread with a runtime of its own. FORCE ends
        // the connections the app (or a killed server process) may have left.
        let (admin_url, sql) = (
            admin_url.clone(),
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let mut admin = connect_postgres(&admin_url).await?;
                sqlx::query(&sql).execute(&mut admin).await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {name}: {dropped:?}");
        }
    }
}
