//! The server under systemd: it takes the socket systemd opened (socket activation), says `READY=1`
//! when it accepts requests, and a restart loses no connection, because the socket outlives the
//! process. `systemd-socket-activate` plays systemd's part (systemd itself is not running here).

use std::{
    fs,
    io::{Read, Write},
    net::TcpStream,
    os::unix::net::{UnixDatagram, UnixStream},
    path::Path,
    process::{Child, ChildStdin, Command, Stdio},
    time::{Duration, Instant},
};

use crate::support::{DEBUG_BINARY, PATIENCE, children, finished, free_port, send_signal};

/// An address the server cannot bind (TEST-NET-1 is on no interface here): a server that started
/// at all was given its socket.
const UNBINDABLE: &str = "192.0.2.1:80";

/// The service manager's side of `sd_notify`: the datagram socket `NOTIFY_SOCKET` names.
struct NotifySocket {
    socket: UnixDatagram,
    path: String,
}

impl NotifySocket {
    fn bind(folder: &Path) -> Self {
        let path = folder.join("notify");
        let socket = UnixDatagram::bind(&path).expect("a notify socket");
        socket
            .set_read_timeout(Some(PATIENCE))
            .expect("a read timeout");
        Self {
            socket,
            path: path.to_string_lossy().into_owned(),
        }
    }

    /// The next message a service sent, without the newline that ends each assignment.
    fn next(&self) -> String {
        let mut message = [0; 4096];
        let len = self
            .socket
            .recv(&mut message)
            .expect("a notification within the timeout");
        String::from_utf8_lossy(&message[..len])
            .trim_end()
            .to_owned()
    }
}

/// `systemd-socket-activate` listening on `port`, with the variables systemd would give the service.
fn socket_activate(port: u16, folder: &Path, notify: &NotifySocket) -> Command {
    socket_activate_on(&[format!("127.0.0.1:{port}")], folder, notify)
}

/// `systemd-socket-activate` listening on each of `sockets` (`127.0.0.1:PORT`, or a path for a
/// Unix socket), with the variables systemd would give the service.
fn socket_activate_on(sockets: &[String], folder: &Path, notify: &NotifySocket) -> Command {
    let mut command = Command::new("systemd-socket-activate");
    for socket in sockets {
        command.args(["--listen", socket]);
    }
    command
        .args([
            "-E",
            "NOTIFY_SOCKET",
            "-E",
            "DATABASE_URL",
            "-E",
            "LEPTOS_SITE_ADDR",
        ])
        .args(["-E", "RUST_LOG", "-E", "RATE_LIMIT_PER_MINUTE"])
        .current_dir(folder)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NOTIFY_SOCKET", &notify.path)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/app.db", folder.display()),
        )
        .env("LEPTOS_SITE_ADDR", UNBINDABLE)
        .env("RUST_LOG", "info")
        .env("RATE_LIMIT_PER_MINUTE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Sends `GET /api/health` on a new connection to `port` and returns the connection, unread.
/// Waits for systemd-socket-activate, which takes a moment to open the socket after it starts.
fn ask_health(port: u16) -> TcpStream {
    let deadline = Instant::now() + PATIENCE;
    let mut connection = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(connection) => break connection,
            Err(error) if Instant::now() < deadline => {
                assert_eq!(
                    error.kind(),
                    std::io::ErrorKind::ConnectionRefused,
                    "{error}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(error) => panic!("nothing listens on {port}: {error}"),
        }
    };
    connection
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("the request is sent");
    connection
}

/// Reads the whole answer on `connection`.
fn answer(mut connection: TcpStream) -> String {
    connection
        .set_read_timeout(Some(PATIENCE))
        .expect("a read timeout");
    let mut answer = String::new();
    let _ = connection.read_to_string(&mut answer);
    answer
}

/// Kills, when dropped, the processes a test started: the activator and the servers under it.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        for server in children(self.0.id()) {
            let _ = Command::new("kill")
                .args(["-KILL", &server.to_string()])
                .status();
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_server_takes_the_socket_systemd_passes_and_says_when_it_is_ready() {
    let folder = tempfile::tempdir().unwrap();
    let notify = NotifySocket::bind(folder.path());
    let port = free_port();
    let activator = socket_activate(port, folder.path(), &notify)
        .arg(DEBUG_BINARY)
        .spawn()
        .expect("systemd-socket-activate runs");
    let _started = Started(activator);

    // The first connection makes systemd-socket-activate start the server; it waits in the backlog.
    let answer = answer(ask_health(port));

    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(notify.next(), "READY=1");
}

#[test]
fn connections_that_arrive_while_the_server_restarts_are_answered_by_the_next_process() {
    let folder = tempfile::tempdir().unwrap();
    let notify = NotifySocket::bind(folder.path());
    let port = free_port();
    // systemd's part in a restart: it keeps the socket open and starts the service again. Here a
    // shell holds the socket systemd-socket-activate passed it and starts the server once per line
    // on its stdin, each time setting LISTEN_PID to the server's pid, as systemd does.
    let restarts = r#"while read -r _; do (export LISTEN_PID=$BASHPID; exec "$0"); done"#;
    let mut activator = socket_activate(port, folder.path(), &notify)
        .args(["bash", "-c", restarts, DEBUG_BINARY])
        .stdin(Stdio::piped())
        .spawn()
        .expect("systemd-socket-activate runs");
    let mut start_server: ChildStdin = activator.stdin.take().expect("a piped stdin");
    let activator_pid = activator.id();
    let _started = Started(activator);

    start_server.write_all(b"start\n").unwrap();
    let first = answer(ask_health(port));
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert_eq!(notify.next(), "READY=1");
    let server = children(activator_pid)
        .into_iter()
        .next()
        .expect("the first server runs under the shell");

    send_signal("TERM", server);
    assert_eq!(notify.next(), "STOPPING=1");
    let deadline = Instant::now() + PATIENCE;
    while Path::new(&format!("/proc/{server}")).exists() {
        assert!(Instant::now() < deadline, "the first server stops");
        std::thread::sleep(Duration::from_millis(20));
    }
    // No server runs now: these connections wait in the socket's backlog.
    let waiting: Vec<TcpStream> = (0..5).map(|_| ask_health(port)).collect();
    let mut probe = [0; 1];
    waiting[0]
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert!(
        (&waiting[0]).read(&mut probe).is_err(),
        "nobody answers while no server runs"
    );
    start_server.write_all(b"start\n").unwrap();

    for connection in waiting {
        let answer = answer(connection);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    assert_eq!(notify.next(), "READY=1");
}

#[test]
fn the_units_in_deploy_systemd_pass_systemd_analyze_verify_without_a_warning() {
    let folder = tempfile::tempdir().unwrap();
    let units = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/systemd");
    for unit in ["leptos-api-routes.service", "leptos-api-routes.socket"] {
        let text = fs::read_to_string(units.join(unit)).unwrap();
        // verify checks that ExecStart exists: point it at the binary under test.
        let text = text.replace("/usr/local/bin/leptos-api-routes", DEBUG_BINARY);
        fs::write(folder.path().join(unit), text).unwrap();
    }

    let output = Command::new("systemd-analyze")
        .arg("verify")
        .args(["leptos-api-routes.socket", "leptos-api-routes.service"])
        .current_dir(folder.path())
        .output()
        .expect("systemd-analyze runs");

    let warnings = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{warnings}");
    assert_eq!(warnings.trim(), "", "no warning");
}

#[test]
fn the_service_unit_is_hardened_and_socket_activated() {
    let units = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/systemd");
    let service = fs::read_to_string(units.join("leptos-api-routes.service")).unwrap();
    let lines: Vec<&str> = service.lines().map(str::trim).collect();

    for setting in [
        "Type=notify",
        "DynamicUser=yes",
        "StateDirectory=leptos-api-routes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=",
        "Requires=leptos-api-routes.socket",
    ] {
        assert!(lines.contains(&setting), "{setting} in the service unit");
    }
}

/// Starts the debug binary under systemd-socket-activate on `sockets`, makes the first connection
/// (to a socket at a path, or on a loopback port), and returns what the server wrote once it ended.
fn refused_start(sockets: &[String], folder: &Path) -> std::process::Output {
    let notify = NotifySocket::bind(folder);
    let activator = socket_activate_on(sockets, folder, &notify)
        .arg(DEBUG_BINARY)
        .stderr(Stdio::piped())
        .spawn()
        .expect("systemd-socket-activate runs");
    let first = &sockets[0];
    let deadline = Instant::now() + PATIENCE;
    loop {
        let connected = match first.parse::<std::net::SocketAddr>() {
            Ok(addr) => TcpStream::connect(addr).is_ok(),
            Err(_) => UnixStream::connect(first).is_ok(),
        };
        if connected {
            break;
        }
        assert!(Instant::now() < deadline, "systemd-socket-activate listens");
        std::thread::sleep(Duration::from_millis(20));
    }
    finished(activator)
}

#[test]
fn a_unix_socket_from_systemd_stops_the_start_with_one_line_saying_so() {
    let folder = tempfile::tempdir().unwrap();
    let socket = folder
        .path()
        .join("app.sock")
        .to_string_lossy()
        .into_owned();

    let output = refused_start(&[socket], folder.path());

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("not a TCP socket"), "{stderr}");
}

#[test]
fn two_sockets_from_systemd_stop_the_start_with_one_line_saying_so() {
    let folder = tempfile::tempdir().unwrap();
    let sockets = [free_port(), free_port()].map(|port| format!("127.0.0.1:{port}"));

    let output = refused_start(&sockets, folder.path());

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: systemd passed 2 sockets"),
        "{stderr}"
    );
}
