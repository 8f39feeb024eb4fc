//! The server binary as a child process on a free port, as a deployment runs it: for the tests that
//! kill it (SIGKILL), run several of it over one database, or run its commands (`copy-db`).

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
};

pub const BINARY: &str = env!("CARGO_BIN_EXE_leptos-api-routes");

/// A running server; killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts the binary in `folder` on `database_url`, with only the settings given: no rate limit
    /// unless `settings` sets one (tests write many rows from one address), preview mode and the
    /// webhook on with the harness's secrets.
    pub fn start(folder: &Path, database_url: &str, settings: &[(&str, &str)]) -> Self {
        let mut command = Command::new(BINARY);
        command
            .current_dir(folder)
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .env("RATE_LIMIT_PER_MINUTE", "0")
            .env("PREVIEW_SECRET", PREVIEW_SECRET)
            .env("WEBHOOK_SECRET", WEBHOOK_SECRET);
        for (variable, value) in settings {
            command.env(variable, value);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server binary starts");
        let mut log = BufReader::new(child.stdout.take().expect("a piped stdout")).lines();
        let listening = log
            .by_ref()
            .map_while(Result::ok)
            .find(|line| line.contains("listening on http://"))
            .expect("the server says where it listens");
        // Keep draining the log, so that the server never blocks on a full pipe.
        std::thread::spawn(move || log.for_each(drop));
        let addr = listening
            .rsplit("http://")
            .next()
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
            .collect::<String>()
            .parse()
            .expect("a socket address in the log line");
        Self { child, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// SIGKILL: the process gets no chance to finish requests or close the database.
    pub fn kill(&mut self) {
        self.child.kill().expect("the server can be killed");
        self.child.wait().expect("the killed server is reaped");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `PREVIEW_SECRET` and `WEBHOOK_SECRET` of server processes.
pub const PREVIEW_SECRET: &str = "process-preview-secret";
pub const WEBHOOK_SECRET: &str = "process-webhook-secret";
