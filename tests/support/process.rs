//! The server binary as a child process, as a deployment runs it: started with a clean environment,
//! its stdout and stderr read line by line as they come (so it never blocks on a full pipe), killed
//! (SIGKILL) when dropped so no test leaves one behind. [`ServerProcess`] waits for the line that
//! says where it listens; [`Process`] is any such child (a Lambda function, a command).

use std::{
    ffi::OsStr,
    io::{BufRead, BufReader, Read},
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
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

/// The `PREVIEW_SECRET` and `WEBHOOK_SECRET` of [`ServerProcess::on_database`].
pub const PREVIEW_SECRET: &str = "process-preview-secret";
pub const WEBHOOK_SECRET: &str = "process-webhook-secret";

/// A port that was free a moment ago, for tools that must be given one (not port 0).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

/// `binary` run in `folder` with only the variables a deployment would set, and no rate limit (tests
/// write many rows from one address).
pub fn server_command(binary: impl AsRef<OsStr>, folder: &Path) -> Command {
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

/// The address in the log line that says where the server listens.
fn address_in(line: &str) -> Option<SocketAddr> {
    let after = line.rsplit("http://").next()?;
    let address: String = after
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect();
    address.parse().ok()
}

/// Reads a server's log up to the line saying where it listens, and returns that address.
pub fn listening_address(log: &mut impl Iterator<Item = std::io::Result<String>>) -> String {
    let listening = log
        .map_while(Result::ok)
        .find(|line| line.contains("listening on http://"))
        .expect("the server says where it listens");
    address_in(&listening)
        .unwrap_or_else(|| panic!("an address in {listening:?}"))
        .to_string()
}

/// A child process whose stdout and stderr are read to the end as they come; killed when dropped.
pub struct Process {
    child: Child,
    /// Every line it wrote so far, stdout's and stderr's as they came.
    log: Arc<Mutex<Vec<String>>>,
}

impl Process {
    /// Starts `command` with its stdout and stderr piped to the log.
    pub fn start(mut command: Command) -> Self {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("the binary starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("a piped stdout")),
            Box::new(child.stderr.take().expect("a piped stderr")),
        ];
        for stream in streams {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    log.lock().expect("the log").push(line);
                }
            });
        }
        Self { child, log }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The log so far, one line after another.
    pub fn log(&self) -> String {
        self.log.lock().expect("the log").join("\n")
    }

    /// Whether a line of the log so far contains `text`.
    pub fn logged(&self, text: &str) -> bool {
        let log = self.log.lock().expect("the log");
        log.iter().any(|line| line.contains(text))
    }

    /// The first line of the log that contains `text`, waited for at most [`PATIENCE`].
    pub fn wait_for_line(&self, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let found = self
                .log
                .lock()
                .expect("the log")
                .iter()
                .find(|line| line.contains(text))
                .cloned();
            if let Some(line) = found {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {text:?}; the log: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILL: the process gets no chance to finish requests or close the database.
    pub fn kill(&mut self) {
        self.child.kill().expect("the process can be killed");
        self.child.wait().expect("the killed process is reaped");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server binary, running and listening.
pub struct ServerProcess {
    pub process: Process,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `command` (see [`server_command`]) and waits until it says where it listens.
    pub fn start(command: Command) -> Self {
        let process = Process::start(command);
        let listening = process.wait_for_line("listening on http://");
        let addr = address_in(&listening).unwrap_or_else(|| panic!("an address in {listening:?}"));
        Self { process, addr }
    }

    /// The debug binary in `folder` on `database_url`, with only the settings given: no rate limit
    /// unless `settings` sets one, preview mode and the webhook on with the secrets above.
    pub fn on_database(folder: &Path, database_url: &str, settings: &[(&str, &str)]) -> Self {
        let mut command = server_command(DEBUG_BINARY, folder);
        command
            .env("DATABASE_URL", database_url)
            .env("PREVIEW_SECRET", PREVIEW_SECRET)
            .env("WEBHOOK_SECRET", WEBHOOK_SECRET)
            .envs(settings.iter().copied());
        Self::start(command)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn id(&self) -> u32 {
        self.process.id()
    }

    pub fn wait_for_line(&self, text: &str) -> String {
        self.process.wait_for_line(text)
    }

    /// SIGKILL: the server gets no chance to finish requests or close the database.
    pub fn kill(&mut self) {
        self.process.kill();
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
