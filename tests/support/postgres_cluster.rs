//! A private PostgreSQL cluster for one test: `initdb` in a temporary folder, a server on a free
//! loopback port, stopped and removed when dropped. For the tests that need a server of their own (to
//! stop it under a running app, to turn TLS on) or that need PostgreSQL while `TEST_DATABASE_URL`
//! names none. The same steps as scripts/throwaway-postgres.sh, which the test script uses.
//!
//! `initdb` refuses to run as root: as root, every PostgreSQL command runs as Debian's `postgres` user.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use tempfile::TempDir;

pub struct PgCluster {
    folder: TempDir,
    bin: PathBuf,
    port: u16,
    settings: Vec<String>,
}

impl PgCluster {
    /// A new cluster, started; `settings` are extra server settings (`ssl=on`).
    pub fn start(settings: &[&str]) -> Self {
        let bin = server_binaries();
        let folder = tempfile::tempdir().expect("a temporary folder");
        if running_as_root() {
            run(Command::new("chown").arg("postgres:").arg(folder.path()));
        }
        let data = folder.path().join("data");
        run(as_owner(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "--no-sync"])
            .args(["--encoding=UTF8", "--locale=C.UTF-8"]));
        let mut cluster = Self {
            folder,
            bin,
            port: 0,
            settings: settings.iter().map(|setting| setting.to_string()).collect(),
        };
        // A free port can be taken between the probe and the start by another program: try a few.
        for _ in 0..5 {
            cluster.port = free_port();
            if cluster.pg_ctl_start().status.success() {
                return cluster;
            }
        }
        panic!("the cluster does not start: {}", cluster.log());
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL for `database` as the `postgres` superuser, plus `query` (`sslmode=require`…).
    pub fn url(&self, database: &str, query: &str) -> String {
        let separator = if query.is_empty() { "" } else { "?" };
        format!(
            "postgres://postgres@127.0.0.1:{}/{database}{separator}{query}",
            self.port
        )
    }

    /// Stops the server the way an administrator does (`pg_ctl stop -m fast`): open connections are
    /// closed, open transactions rolled back.
    pub fn stop(&self) {
        run(as_owner(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"]));
    }

    /// Starts the stopped server again, on the same port.
    pub fn start_again(&self) {
        let output = self.pg_ctl_start();
        assert!(output.status.success(), "restart: {}", self.log());
    }

    fn pg_ctl_start(&self) -> Output {
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.folder.path().display()
        );
        for setting in &self.settings {
            options.push_str(" -c ");
            options.push_str(setting);
        }
        as_owner(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.folder.path().join("server.log"))
            .args(["-w", "-t", "30", "-o", &options, "start"])
            .output()
            .expect("pg_ctl runs")
    }

    fn data(&self) -> PathBuf {
        self.folder.path().join("data")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("server.log")).unwrap_or_default()
    }
}

/// Makes `path` (and what is in it) the server's own, when the server runs as `postgres`: as
/// PostgreSQL wants its TLS key.
pub fn hand_to_server(path: &Path) {
    if running_as_root() {
        run(Command::new("chown").arg("-R").arg("postgres:").arg(path));
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            let _ = as_owner(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}

/// The newest installed server binaries: Debian keeps them off PATH, in /usr/lib/postgresql/N/bin.
pub(super) fn server_binaries() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .expect("PostgreSQL's server binaries in /usr/lib/postgresql/N/bin (run scripts/setup.sh)")
}

pub(super) fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn as_owner(program: &Path) -> Command {
    if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) {
    let output = command.output().expect("the command runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}
