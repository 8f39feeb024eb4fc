//! Two instances, A and B, of the server binary over one fresh PostgreSQL database, behind no load
//! balancer: each request goes to the instance a test picks, as a balancer might send it. The
//! client follows no redirect (a test reads each 303 itself).

use std::time::Duration;

use reqwest::{Client, redirect::Policy};
use tempfile::TempDir;

use super::{ServerProcess, TestDatabase};

pub struct TwoInstances {
    pub a: ServerProcess,
    pub b: ServerProcess,
    pub client: Client,
    pub database: TestDatabase,
    _folder: TempDir,
}

impl TwoInstances {
    /// Both started with `settings` (see [`ServerProcess::on_database`]).
    pub async fn start(settings: &[(&str, &str)]) -> Self {
        let database = TestDatabase::postgres().await;
        let folder = tempfile::tempdir().unwrap();
        let a = ServerProcess::on_database(folder.path(), database.url(), settings);
        let b = ServerProcess::on_database(folder.path(), database.url(), settings);
        let client = Client::builder()
            .redirect(Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self {
            a,
            b,
            client,
            database,
            _folder: folder,
        }
    }
}
