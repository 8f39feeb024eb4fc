//! The server binary as a child process: started with a clean environment, its log read up to the
//! line that says where it listens, killed (SIGKILL) when dropped so no test leaves one behind.

use std::{
    io::{BufRead, BufReader},
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// The debug binary `cargo test` built.
pub const DEBUG_BINARY: &str = env!("CARGO_BIN_EXE_leptos-api-routes");

/// The one-file release `scripts/test.sh` packed (`RELEASE_BINARY`), for the `#[ignore]`d tests.
pub fn release_binary() -> PathBuf {
    let path = std::env::var_os("RELEASE_BINARY")
        .expect("RELEASE_BINARY names the one-file release (scripts/test.sh sets it)");
    std::fs::canonicalize(&path).expect("RELEASE_BINARY exists")
}

/// How long a server may take to say where it listens, or to stop.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A port that was free a moment ago, for tools that must be given one (not port 0).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

/// `binary` run in `folder` with only the variables a deployment would set.
pub fn server_command(binary: &Path, folder: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .current_dir(folder)
        .env_clear()
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env("RATE_LIMIT_PER_MINUTE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    /// Every line the server logged, as it logs them.
    log: mpsc::Receiver<String>,
    /// The lines read so far.
    pub lines: Vec<String>,
}

impl ServerProcess {
    /// Starts `command` and waits until it says where it listens.
    pub fn start(mut command: Command) -> Self {
        let mut child = command.spawn().expect("the server binary starts");
        let (sender, log) = mpsc::channel();
        let stdout = child.stdout.take().expect("a piped stdout");
        let stderr = child.stderr.take().expect("a piped stderr");
        for stream in [
            Box::new(stdout) as Box<dyn std::io::Read + Send>,
            Box::new(stderr),
        ] {
            let sender = sender.clone();
            // Read to the end, so the server never blocks on a full pipe.
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = sender.send(line);
                }
            });
        }
        let mut server = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
            lines: Vec::new(),
        };
        let listening = server.wait_for_line("listening on http://");
        let addr = listening
            .rsplit("http://")
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .unwrap_or_default();
        server.addr = addr
            .parse()
            .unwrap_or_else(|_| panic!("an address in {listening:?}"));
        server
    }

    /// The first line of the log that contains `text`, read until it comes.
    pub fn wait_for_line(&mut self, text: &str) -> String {
        if let Some(line) = self.lines.iter().find(|line| line.contains(text)) {
            return line.clone();
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) => {
                    self.lines.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!("no log line with {text:?}; the log: {:#?}", self.lines),
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kill -SIGNAL pid`, for a process this test started.
pub fn send_signal(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// The children of process `pid`: those of each of its threads (`/proc/PID/task/TID/children`),
/// since a multi-threaded parent (buildah is written in Go) may start them from any thread.
pub fn children(pid: u32) -> Vec<u32> {
    let threads = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten();
    threads
        .filter_map(Result::ok)
        .filter_map(|thread| std::fs::read_to_string(thread.path().join("children")).ok())
        .flat_map(|children| {
            children
                .split_whitespace()
                .filter_map(|child| child.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// Polls `url` until it answers 200, and returns how long that took.
pub async fn until_healthy(url: &str) -> Duration {
    let started = Instant::now();
    let client = reqwest::Client::new();
    loop {
        if let Ok(response) = client.get(url).send().await
            && response.status() == reqwest::StatusCode::OK
        {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{url} answers 200 within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits (at most [`PATIENCE`]) for `child` to end and returns what it wrote; kills it if it does
/// not.
pub fn finished(child: Child) -> std::process::Output {
    let started = Instant::now();
    let id = child.id();
    let output = std::thread::spawn(move || child.wait_with_output());
    while !output.is_finished() {
        if started.elapsed() > PATIENCE {
            let _ = Command::new("kill")
                .args(["-KILL", &id.to_string()])
                .status();
            panic!("process {id} ends within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    output
        .join()
        .expect("the waiting thread")
        .expect("the process's output")
}
