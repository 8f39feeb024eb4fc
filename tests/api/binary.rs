//! The server binary itself, as `cargo leptos watch` or a deployment runs it: configuration errors,
//! first start, and graceful shutdown on SIGTERM. (Its open-file limit: `open_files.rs`.)

use std::{
    io::{BufRead, BufReader, Lines},
    process::{ChildStdout, Command, Stdio},
    time::Duration,
};

const BINARY: &str = env!("CARGO_BIN_EXE_leptos-api-routes");

pub fn server(data_dir: &tempfile::TempDir) -> Command {
    configured(Command::new(BINARY), data_dir)
}

/// Where util-linux's `prlimit` is (Debian: always there).
pub const PRLIMIT: &str = "/usr/bin/prlimit";

/// The server started by `prlimit --nofile=<limits>` (`soft:hard`, or `soft:` to keep the hard
/// limit), so that it starts with those open-file limits.
pub fn server_with_open_files(data_dir: &tempfile::TempDir, limits: &str) -> Command {
    let mut command = Command::new(PRLIMIT);
    command.arg(format!("--nofile={limits}")).arg(BINARY);
    configured(command, data_dir)
}

fn configured(mut command: Command, data_dir: &tempfile::TempDir) -> Command {
    command
        .current_dir(data_dir.path())
        .env_clear()
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env("RATE_LIMIT_PER_MINUTE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Reads the server's log up to the line saying where it listens, and returns that address.
pub fn listening_address(log: &mut Lines<BufReader<ChildStdout>>) -> String {
    let listening = log
        .map_while(Result::ok)
        .find(|line| line.contains("listening on http://"))
        .expect("the server says where it listens");
    listening
        .rsplit("http://")
        .next()
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect()
}

#[test]
fn a_bad_setting_stops_the_start_with_one_line_naming_the_variable() {
    let data_dir = tempfile::tempdir().unwrap();
    for (variable, value) in [
        ("TRIVIA_TIMEOUT_MS", "soon"),
        ("TRIVIA_TIMEOUT_MS", "0"),
        ("TRIVIA_API_URL", "ftp://example.test"),
        ("TRIVIA_CACHE_MAX_ENTRIES", "0"),
        ("TRIVIA_CACHE_MAX_ENTRIES", "many"),
        ("LEPTOS_SITE_ADDR", "localhost"),
        ("DATABASE_URL", "mysql://user:secret@localhost/app"),
        ("DATABASE_URL", "data/app.db"),
        // Nothing listens on port 1: the start fails on connecting, and says so in one line.
        ("DATABASE_URL", "postgres://user:secret@127.0.0.1:1/app"),
        (
            "DATABASE_URL",
            "postgres://user@127.0.0.1:1/app?sslmode=sometimes",
        ),
        ("DATABASE_MAX_CONNECTIONS", "0"),
        ("DATABASE_MAX_CONNECTIONS", "many"),
        ("DATABASE_TIMEOUT_MS", "0"),
        ("PREVIEW_SECRET", ""),
        ("WEBHOOK_SECRET", "   "),
        ("REQUEST_TIMEOUT_MS", "soon"),
        ("REQUEST_TIMEOUT_MS", "1500"),
        ("RATE_LIMIT_PER_MINUTE", "-1"),
        ("RENDER_LIMIT", "0"),
        ("RENDER_LIMIT", "many"),
        ("CORS_ALLOWED_ORIGINS", "https://app.example/path"),
        ("HTTP_HEADER_TIMEOUT_MS", "0"),
        ("HTTP_HEADER_TIMEOUT_MS", "soon"),
        ("HTTP_IDLE_TIMEOUT_MS", "-5"),
        ("HTTP_MAX_CONNECTIONS", "0"),
        ("HTTP_MAX_CONNECTIONS", "many"),
        // More than any open-file limit allows.
        ("HTTP_MAX_CONNECTIONS", "4000000000"),
    ] {
        let output = server(&data_dir).env(variable, value).output().unwrap();

        assert!(
            !output.status.success(),
            "{variable}={value} must stop the start"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        let error_lines: Vec<&str> = stderr
            .lines()
            .filter(|line| line.starts_with("error:"))
            .collect();
        assert_eq!(error_lines.len(), 1, "{variable}={value}: {stderr}");
        assert!(
            error_lines[0].contains(variable),
            "{variable}={value}: {stderr}"
        );
        assert!(
            !stderr.contains("secret"),
            "{variable}={value}: a password in the URL is not printed: {stderr}"
        );
    }
}

#[test]
fn an_unknown_database_scheme_stops_the_start_naming_the_schemes_it_takes() {
    let data_dir = tempfile::tempdir().unwrap();

    let output = server(&data_dir)
        .env("DATABASE_URL", "mysql://localhost/app")
        .output()
        .unwrap();

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for scheme in [
        "DATABASE_URL",
        "\"mysql\"",
        "sqlite://",
        "postgres://",
        "postgresql://",
    ] {
        assert!(stderr.contains(scheme), "{scheme} in {stderr}");
    }
}

#[test]
fn the_default_database_is_created_under_data_and_sigterm_stops_the_server_cleanly() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut child = server(&data_dir).spawn().unwrap();
    let mut log = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = listening_address(&mut log);
    assert!(data_dir.path().join("data/leptos-api-routes.db").is_file());
    assert!(
        std::net::TcpStream::connect(&addr).is_ok(),
        "{addr} accepts connections"
    );

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server stops within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };

    assert!(status.success(), "{status}");
    let rest: Vec<String> = log.map_while(Result::ok).collect();
    assert!(rest.iter().any(|line| line.contains("stopped")), "{rest:?}");
}

#[test]
fn the_log_line_of_a_request_names_its_request_id_status_and_latency() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut child = server(&data_dir).spawn().unwrap();
    let mut log = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = listening_address(&mut log);

    let mut connection = std::net::TcpStream::connect(&addr).unwrap();
    std::io::Write::write_all(
        &mut connection,
        b"GET /api/hello HTTP/1.1\r\nHost: localhost\r\nx-request-id: log-test-7\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut connection, &mut answer).unwrap();
    let line = log
        .map_while(Result::ok)
        .find(|line| line.contains("log-test-7"));
    child.kill().unwrap();
    child.wait().unwrap();

    assert!(answer.contains("x-request-id: log-test-7"), "{answer}");
    let line = line.expect("a log line with the request id");
    for field in ["method=GET", "path=/api/hello", "status=200", "latency="] {
        assert!(line.contains(field), "{field} in {line}");
    }
}
