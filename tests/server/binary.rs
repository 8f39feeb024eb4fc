//! The server binary itself, as `cargo leptos watch` or a deployment runs it: configuration errors,
//! first start, and graceful shutdown on SIGTERM. (Its open-file limit: `open_files.rs`.)

use std::{
    io::{BufRead, BufReader},
    process::Command,
    time::Duration,
};

use crate::support::{DEBUG_BINARY, listening_address, server_command};

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
        (
            "DATABASE_MIGRATION_URL",
            "mysql://user:secret@localhost/app",
        ),
        ("PREVIEW_SECRET", ""),
        ("WEBHOOK_SECRET", "   "),
        ("REQUEST_TIMEOUT_MS", "soon"),
        ("REQUEST_TIMEOUT_MS", "1500"),
        ("RATE_LIMIT_PER_MINUTE", "-1"),
        ("SESSION_IDLE_MINUTES", "0"),
        ("SESSION_IDLE_MINUTES", "a week"),
        ("SESSION_IDLE_MINUTES", "99999999"),
        ("SIGNIN_LIMIT_PER_MINUTE", "-1"),
        ("SIGNIN_ADDRESS_LIMIT_PER_MINUTE", "many"),
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
        ("SSE_MAX_STREAMS", "many"),
        // More than the connection cap.
        ("SSE_MAX_STREAMS", "4000000000"),
        ("SSE_STREAM_LIFETIME_MS", "0"),
        ("DATABASE_LISTEN_URL", "sqlite://data/other.db"),
        ("DATABASE_LISTEN_URL", "mysql://user@localhost/app"),
        ("METRICS_ADDR", "localhost:9464"),
        ("LOG_FORMAT", "yaml"),
        ("POSTING", "everyone"),
    ] {
        let output = server_command(DEBUG_BINARY, data_dir.path())
            .env(variable, value)
            .output()
            .unwrap();

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

    let output = server_command(DEBUG_BINARY, data_dir.path())
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
    let mut child = server_command(DEBUG_BINARY, data_dir.path())
        .spawn()
        .unwrap();
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
    let mut child = server_command(DEBUG_BINARY, data_dir.path())
        .spawn()
        .unwrap();
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
