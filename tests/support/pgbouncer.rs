//! A PgBouncer for one test, in front of a PostgreSQL server: `session` or `transaction` pooling,
//! every database (`* =`) passed through, no password (`auth_type = trust`). Killed by pid when
//! dropped. Transaction pooling is safe with sqlx's named statements only from PgBouncer 1.21 on
//! (`max_prepared_statements`): [`transaction_capable`] finds one, from `PGBOUNCER_BIN` or PATH.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use tempfile::TempDir;

use super::{PATIENCE, Process, free_port, ha_cluster::as_server, hand_to_server};

pub struct PgBouncer {
    _folder: TempDir,
    _process: Process,
    pub port: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolMode {
    Session,
    Transaction,
}

/// The first PgBouncer 1.21 sqlx's prepared statements are safe behind in transaction mode.
const TRANSACTION_CAPABLE: (u32, u32) = (1, 21);

/// The PgBouncer binary: `PGBOUNCER_BIN` when set, else `pgbouncer` on PATH (Debian's is in /usr/sbin).
pub fn binary() -> PathBuf {
    std::env::var_os("PGBOUNCER_BIN").map_or_else(|| PathBuf::from("pgbouncer"), PathBuf::from)
}

/// `(major, minor)` of `binary`, from `pgbouncer --version` ("PgBouncer 1.18.0").
pub fn version(binary: &Path) -> Option<(u32, u32)> {
    let output = Command::new(binary).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text
        .split_whitespace()
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))?;
    let mut parts = version.split('.').map(|part| part.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??))
}

/// A PgBouncer that pools transactions safely for sqlx, or why there is none (the test skips).
pub fn transaction_capable() -> Result<PathBuf, String> {
    let binary = binary();
    match version(&binary) {
        Some(found) if found >= TRANSACTION_CAPABLE => Ok(binary),
        Some((major, minor)) => Err(format!(
            "{} is PgBouncer {major}.{minor}; transaction pooling needs 1.21 or later (set \
             PGBOUNCER_BIN to one)",
            binary.display()
        )),
        None => Err(format!(
            "no PgBouncer at {} (set PGBOUNCER_BIN)",
            binary.display()
        )),
    }
}

impl PgBouncer {
    /// `binary` pooling in `mode` for the server at `server_port` on 127.0.0.1.
    pub fn start(binary: &Path, mode: PoolMode, server_port: u16) -> Self {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let port = free_port();
        // Session mode holds a server connection per app connection (two instances of 16); transaction
        // mode shares a few, so that statements of different clients meet on one.
        let (pool_mode, prepared, pool_size) = match mode {
            PoolMode::Session => ("session", "", 40),
            PoolMode::Transaction => ("transaction", "max_prepared_statements = 200\n", 4),
        };
        let home = folder.path().display();
        std::fs::write(folder.path().join("users.txt"), "\"postgres\" \"\"\n").expect("users.txt");
        // Pools sized for a test's instances (16 connections each, a few at once); no
        // `ignore_startup_parameters`: the app must send none that PgBouncer refuses.
        std::fs::write(
            folder.path().join("pgbouncer.ini"),
            format!(
                "[databases]\n* = host=127.0.0.1 port={server_port}\n\
                 [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\n\
                 unix_socket_dir = {home}\nauth_type = trust\nauth_file = {home}/users.txt\n\
                 pool_mode = {pool_mode}\n{prepared}max_client_conn = 500\n\
                 default_pool_size = {pool_size}\nmax_db_connections = 0\n\
                 logfile = {home}/pgbouncer.log\npidfile = {home}/pgbouncer.pid\n"
            ),
        )
        .expect("pgbouncer.ini");
        hand_to_server(folder.path());
        let mut command = as_server(&binary.display().to_string());
        command.arg(folder.path().join("pgbouncer.ini"));
        let process = Process::start(command);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < PATIENCE,
                "PgBouncer listens within {PATIENCE:?}: {}{}",
                process.log(),
                std::fs::read_to_string(folder.path().join("pgbouncer.log")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Self {
            _folder: folder,
            _process: process,
            port,
        }
    }

    /// The URL of `database` through this PgBouncer.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}
