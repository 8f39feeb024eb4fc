//! Processes the tests start: free ports, signals, children. Every process a test starts is
//! stopped by the test, by its pid.

use std::{net::TcpListener, process::Command, time::Duration};

/// The debug binary `cargo test` built.
pub const DEBUG_BINARY: &str = env!("CARGO_BIN_EXE_leptos-api-routes");

/// How long a server may take to say where it listens, or to stop.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A port that was free a moment ago, for tools that must be given one (not port 0).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

/// `kill -SIGNAL pid`, for a process this test started.
pub fn send_signal(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// The children of process `pid` (Linux: `/proc/PID/task/PID/children`).
pub fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|child| child.parse().ok())
        .collect()
}
