//! The server binary and its open-file limit (src/runtime/serve.rs): it raises its soft limit to the
//! hard one at start, and when it does run out of file descriptors, accepting waits instead of
//! spinning, and resumes once descriptors are free. The binary runs under util-linux's `prlimit`,
//! which sets the limits it starts with; where `prlimit` is missing, the tests say so and pass.

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use tempfile::TempDir;

use crate::support::{DEBUG_BINARY, ServerProcess, server_command};

/// Where util-linux's `prlimit` is (Debian: always there).
const PRLIMIT: &str = "/usr/bin/prlimit";

/// The server started by `prlimit --nofile=<limits>` (`soft:hard`, or `soft:` to keep the hard
/// limit), so that it starts with those open-file limits.
fn server_with_open_files(data_dir: &TempDir, limits: &str) -> Command {
    let mut command = server_command(PRLIMIT, data_dir.path());
    command.arg(format!("--nofile={limits}")).arg(DEBUG_BINARY);
    command
}

/// A `/proc/<pid>/limits` or `/proc/self/limits` value of "Max open files": (soft, hard).
fn open_file_limits(limits_file: &str) -> (u64, u64) {
    let limits = std::fs::read_to_string(limits_file).expect("the limits are readable");
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .expect("a line for open files");
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|field| field.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

/// CPU time the process has used so far, in clock ticks (user + system, `/proc/<pid>/stat`).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the stat is readable");
    // The fields after the command name, which is in parentheses and may hold spaces.
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0)
}

fn prlimit_is_missing(test: &str) -> bool {
    let missing = !Path::new(PRLIMIT).exists();
    if missing {
        eprintln!("skipped {test}: {PRLIMIT} (util-linux) is not installed");
    }
    missing
}

/// Starts the server under `limits` and returns it with its address and its folder (which must
/// live as long as the server).
fn start(limits: &str) -> (ServerProcess, String, TempDir) {
    let data_dir = tempfile::tempdir().expect("a temporary folder");
    let server = ServerProcess::start(server_with_open_files(&data_dir, limits));
    let addr = server.addr.to_string();
    (server, addr, data_dir)
}

#[test]
fn the_server_raises_its_soft_open_file_limit_to_the_hard_one() {
    if prlimit_is_missing("the_server_raises_its_soft_open_file_limit_to_the_hard_one") {
        return;
    }
    let (_, hard) = open_file_limits("/proc/self/limits");

    let (server, _, _data_dir) = start("256:");

    let (soft, _) = open_file_limits(&format!("/proc/{}/limits", server.id()));
    assert_eq!(soft, hard, "soft limit raised from 256 to the hard limit");
}

#[test]
fn out_of_file_descriptors_accepting_waits_instead_of_spinning_and_then_resumes() {
    if prlimit_is_missing("out_of_file_descriptors_accepting_waits") {
        return;
    }
    // How many files the server holds once it listens (its database, runtime, log…), measured on a
    // first run; the second gets room for a few connections more, and no more.
    let (measured, _, _data_dir) = start("4096:4096");
    let files_at_rest = std::fs::read_dir(format!("/proc/{}/fd", measured.id()))
        .expect("the server's files are listed")
        .count();
    drop(measured);
    let limit = files_at_rest + 8;
    let (server, addr, _data_dir) = start(&format!("{limit}:{limit}"));
    let pid = server.id();

    // More connections than it has descriptors left: accepting fails with EMFILE.
    let held: Vec<TcpStream> = (0..40)
        .filter_map(|_| TcpStream::connect(&addr).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(3));
    let spent = cpu_ticks(pid) - before;
    let said = server.process.logged("cannot accept connections");
    drop(held);

    assert!(said, "the server ran out of descriptors and said so");
    // Spinning on accept would take a good part of a core: a hundred ticks or more in 3 s.
    assert!(
        spent < 30,
        "{spent} clock ticks of CPU in 3 s while out of descriptors"
    );
    let answered = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(200));
        hello(&addr).is_some_and(|answer| answer.starts_with("HTTP/1.1 200 OK"))
    });
    assert!(answered, "accepting resumes once descriptors are free");
}

/// `GET /api/hello` on a connection of its own; the answer, if one comes within 2 s.
fn hello(addr: &str) -> Option<String> {
    let started = Instant::now();
    let mut connection = TcpStream::connect(addr).ok()?;
    connection
        .set_read_timeout(Some(Duration::from_secs(2)))
        .ok()?;
    connection
        .write_all(b"GET /api/hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut answer = String::new();
    connection.read_to_string(&mut answer).ok()?;
    (started.elapsed() < Duration::from_secs(2)).then_some(answer)
}
