//! `leptos-api-routes healthcheck`, the command a container's HEALTHCHECK runs (the image has no curl).

use std::process::Command;

use crate::support::{DEBUG_BINARY, ServerProcess, free_port, server_command};

fn healthcheck(addr: &str) -> std::process::Output {
    Command::new(DEBUG_BINARY)
        .arg("healthcheck")
        .env_clear()
        .env("LEPTOS_SITE_ADDR", addr)
        .output()
        .expect("the binary runs")
}

#[test]
fn the_healthcheck_succeeds_when_the_server_answers() {
    let folder = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(server_command(DEBUG_BINARY, folder.path()));

    let output = healthcheck(&server.addr.to_string());

    assert!(output.status.success(), "{output:?}");
}

#[test]
fn the_healthcheck_fails_with_one_line_naming_the_url_when_nothing_answers() {
    let addr = format!("127.0.0.1:{}", free_port());

    let output = healthcheck(&addr);

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: no answer from"), "{stderr}");
    assert!(
        stderr.contains(&format!("http://{addr}/api/health")),
        "{stderr}"
    );
}

#[test]
fn an_unknown_command_prints_the_usage_and_exits_2() {
    let output = Command::new(DEBUG_BINARY)
        .arg("serve-please")
        .env_clear()
        .output()
        .expect("the binary runs");

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: leptos-api-routes"));
}
