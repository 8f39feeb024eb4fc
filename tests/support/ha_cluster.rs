//! A highly available PostgreSQL for one test, as docs/high-availability.md draws it: one etcd, three
//! Patroni members (`synchronous_mode`, failover in about 10 s), and HAProxy in front, whose
//! `GET /primary` check gives one address that always reaches the leader. Everything listens on free
//! loopback ports, lives in a temporary folder, runs as Debian's `postgres` user when the test runs
//! as root (`setpriv`, so the pid is the daemon's own), and is killed by pid when dropped.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use tempfile::TempDir;

use super::{
    Process, free_port, hand_to_server,
    postgres_cluster::{running_as_root, server_binaries},
};

/// Patroni's own timings (TOOLCHAIN: ~10 s to promote the synchronous standby).
const DCS: &str = "ttl: 10\n    loop_wait: 2\n    retry_timeout: 3";

/// How long the cluster may take to elect its first leader and a synchronous standby.
const START_PATIENCE: Duration = Duration::from_secs(90);

pub struct HaCluster {
    folder: TempDir,
    members: Vec<Member>,
    haproxy: Option<Process>,
    etcd: Option<Process>,
    /// HAProxy's port: the one address of the leader.
    pub port: u16,
}

pub struct Member {
    pub name: String,
    pub rest_port: u16,
    pub pg_port: u16,
    patroni: Option<Process>,
}

impl HaCluster {
    /// Starts etcd, three members and HAProxy; returns once a leader with a synchronous standby
    /// answers through HAProxy.
    pub fn start() -> Self {
        let folder = tempfile::tempdir().expect("a temporary folder");
        hand_to_server(folder.path());
        let (client, peer) = (free_port(), free_port());
        let mut etcd = as_server("etcd");
        etcd.args(["--name", "e1", "--data-dir"])
            .arg(folder.path().join("etcd"))
            .args([
                "--listen-client-urls",
                &format!("http://127.0.0.1:{client}"),
            ])
            .args([
                "--advertise-client-urls",
                &format!("http://127.0.0.1:{client}"),
            ])
            .args(["--listen-peer-urls", &format!("http://127.0.0.1:{peer}")])
            .args([
                "--initial-advertise-peer-urls",
                &format!("http://127.0.0.1:{peer}"),
            ])
            .args(["--initial-cluster", &format!("e1=http://127.0.0.1:{peer}")])
            .args(["--initial-cluster-state", "new"]);
        let etcd = Process::start(etcd);
        let mut cluster = Self {
            folder,
            members: Vec::new(),
            haproxy: None,
            etcd: Some(etcd),
            port: free_port(),
        };
        for number in 1..=3 {
            let member = cluster.start_member(number, client);
            cluster.members.push(member);
        }
        cluster.start_haproxy();
        cluster.wait_until_ready();
        cluster
    }

    fn start_member(&self, number: u32, etcd_port: u16) -> Member {
        let name = format!("n{number}");
        let (rest_port, pg_port) = (free_port(), free_port());
        let home = self.folder.path().join(&name);
        std::fs::create_dir_all(&home).expect("the member's folder");
        let config = home.join("patroni.yml");
        std::fs::write(
            &config,
            patroni_config(&name, &home, rest_port, pg_port, etcd_port),
        )
        .expect("patroni.yml");
        hand_to_server(&home);
        let mut patroni = as_server("patroni");
        patroni.arg(&config);
        Member {
            name,
            rest_port,
            pg_port,
            patroni: Some(Process::start(patroni)),
        }
    }

    fn start_haproxy(&mut self) {
        let servers: String = self
            .members
            .iter()
            .map(|member| {
                format!(
                    "  server {} 127.0.0.1:{} check port {}\n",
                    member.name, member.pg_port, member.rest_port
                )
            })
            .collect();
        let config = self.folder.path().join("haproxy.cfg");
        std::fs::write(
            &config,
            format!(
                "global\n  maxconn 400\n\
                 defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 30m\n  \
                 timeout server 30m\n  timeout check 1s\n\
                 listen leader\n  bind 127.0.0.1:{}\n  option httpchk GET /primary\n  \
                 http-check expect status 200\n  \
                 default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions\n{servers}",
                self.port
            ),
        )
        .expect("haproxy.cfg");
        hand_to_server(&config);
        let mut haproxy = as_server("haproxy");
        haproxy.arg("-db").arg("-f").arg(&config);
        self.haproxy = Some(Process::start(haproxy));
    }

    /// A leader that HAProxy reaches, and a synchronous standby.
    fn wait_until_ready(&self) {
        let started = Instant::now();
        loop {
            let leader = self.leader().is_some();
            let sync = self
                .members
                .iter()
                .any(|member| rest_status(member.rest_port, "/sync") == Some(200));
            if leader && sync && self.leader_through_proxy() {
                return;
            }
            assert!(
                started.elapsed() < START_PATIENCE,
                "the cluster elects a leader and a synchronous standby within {START_PATIENCE:?}: {}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn leader_through_proxy(&self) -> bool {
        let psql = Command::new("psql")
            .args(["-Atc", "SELECT pg_is_in_recovery()"])
            .arg(self.url("postgres"))
            .output();
        psql.is_ok_and(|output| output.status.success() && output.stdout.starts_with(b"f"))
    }

    /// The URL of `database` through HAProxy.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The member Patroni calls the leader now, if one is.
    pub fn leader(&self) -> Option<usize> {
        self.members
            .iter()
            .position(|member| rest_status(member.rest_port, "/primary") == Some(200))
    }

    pub fn member(&self, index: usize) -> &Member {
        &self.members[index]
    }

    /// SIGKILL to the member's Patroni and postmaster: a crashed machine, not a handover.
    pub fn kill_member(&mut self, index: usize) {
        let data = self.data_dir(index);
        let postmaster = std::fs::read_to_string(data.join("postmaster.pid"))
            .ok()
            .and_then(|pid| pid.lines().next()?.trim().parse::<u32>().ok())
            .expect("the leader's postmaster.pid");
        if let Some(mut patroni) = self.members[index].patroni.take() {
            patroni.kill();
        }
        let _ = Command::new("kill")
            .args(["-KILL", &postmaster.to_string()])
            .stderr(std::process::Stdio::null())
            .status();
    }

    fn data_dir(&self, index: usize) -> PathBuf {
        self.folder
            .path()
            .join(&self.members[index].name)
            .join("data")
    }

    /// Every daemon's log, for a failure message.
    pub fn logs(&self) -> String {
        let mut logs = String::new();
        for (name, process) in [("etcd", &self.etcd), ("haproxy", &self.haproxy)] {
            if let Some(process) = process {
                logs.push_str(&format!("\n--- {name}\n{}", tail(&process.log())));
            }
        }
        for member in &self.members {
            if let Some(patroni) = &member.patroni {
                logs.push_str(&format!("\n--- {}\n{}", member.name, tail(&patroni.log())));
            }
        }
        logs
    }
}

impl Drop for HaCluster {
    /// Patroni first (SIGKILL, then its PostgreSQL, by the pid in its data folder), etcd last.
    fn drop(&mut self) {
        for index in 0..self.members.len() {
            if let Some(mut patroni) = self.members[index].patroni.take() {
                patroni.kill();
            }
            let pid = std::fs::read_to_string(self.data_dir(index).join("postmaster.pid"));
            if let Some(pid) = pid
                .ok()
                .and_then(|pid| pid.lines().next()?.trim().parse::<u32>().ok())
            {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .stderr(std::process::Stdio::null())
                    .status();
            }
        }
        self.haproxy.take();
        self.etcd.take();
    }
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// The status of `GET path` on a Patroni REST API, `None` when it does not answer.
fn rest_status(port: u16, path: &str) -> Option<u16> {
    let output = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-m", "1", "-w", "%{http_code}"])
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout)
        .parse()
        .ok()
        .filter(|code| *code != 0)
}

/// `program` run as the `postgres` user when the test runs as root (PostgreSQL refuses root).
/// `setpriv` execs in place: the pid is the daemon's, so killing it kills the daemon.
pub fn as_server(program: &str) -> Command {
    if running_as_root() {
        let mut command = Command::new("setpriv");
        command
            .args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ])
            .arg(program);
        command.env("HOME", "/var/lib/postgresql");
        command
    } else {
        Command::new(program)
    }
}

fn patroni_config(name: &str, home: &Path, rest_port: u16, pg_port: u16, etcd_port: u16) -> String {
    let bin = server_binaries();
    let home = home.display();
    format!(
        "scope: leptos-api-routes-test
name: {name}
restapi:
  listen: 127.0.0.1:{rest_port}
  connect_address: 127.0.0.1:{rest_port}
etcd3:
  hosts: 127.0.0.1:{etcd_port}
bootstrap:
  dcs:
    {DCS}
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_log_hints: 'on'
        max_connections: 200
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
  pg_hba:
    - local all all trust
    - host replication all 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:{pg_port}
  connect_address: 127.0.0.1:{pg_port}
  data_dir: {home}/data
  bin_dir: {bin}
  pgpass: {home}/pgpass
  authentication:
    replication:
      username: postgres
    superuser:
      username: postgres
  parameters:
    unix_socket_directories: {home}
    fsync: 'off'
",
        bin = bin.display()
    )
}
