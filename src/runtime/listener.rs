//! Where the listening socket comes from: passed by systemd (socket activation, `sd_listen_fds(3)`:
//! a restart loses no connection, port 80 without root; docs/performance.md), or bound to
//! `LEPTOS_SITE_ADDR`.

use std::{
    io,
    net::SocketAddr,
    os::fd::{FromRawFd, OwnedFd},
};

use tokio::net::TcpListener;

/// How the server got its socket, for the start log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Bound,
    /// `LEPTOS_SITE_ADDR` is not used.
    Systemd,
}

/// Why there is no socket to listen on.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("METRICS_ADDR: cannot listen on {addr}: {source}")]
    Metrics {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("cannot use the socket systemd passed (LISTEN_FDS): {0}")]
    Passed(#[source] io::Error),
    #[error(
        "systemd passed {0} sockets (LISTEN_FDS); this server listens on one: give its .socket unit one ListenStream"
    )]
    SeveralPassed(usize),
}

/// The socket systemd passed when there is one, else a new one bound to `addr`.
pub async fn obtain(addr: SocketAddr) -> Result<(TcpListener, Origin), ListenError> {
    match passed_by_systemd()? {
        Some(listener) => Ok((listener, Origin::Systemd)),
        None => TcpListener::bind(addr)
            .await
            .map(|listener| (listener, Origin::Bound))
            .map_err(|source| ListenError::Bind { addr, source }),
    }
}

fn passed_by_systemd() -> Result<Option<TcpListener>, ListenError> {
    // Only ours (LISTEN_PID), close-on-exec. The variables stay set: removing them is unsound once
    // other threads run (tokio's have), and LISTEN_PID keeps them from being misread.
    let mut passed = sd_notify::listen_fds().map_err(ListenError::Passed)?;
    let fd = match (passed.len(), passed.next()) {
        (1, Some(fd)) => fd,
        (0, _) => return Ok(None),
        (many, _) => return Err(ListenError::SeveralPassed(many)),
    };
    // SAFETY: systemd opened this descriptor for this process (LISTEN_PID is ours) and nothing
    // else in the process knows it: taking ownership of it here is the only use it gets.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    let listener = std::net::TcpListener::from(socket);
    // A Unix socket (`ListenStream=/run/…`) has no IP address: say so instead of failing later.
    listener.local_addr().map_err(|_| {
        ListenError::Passed(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a TCP socket: give the .socket unit an address and port, as ListenStream=80",
        ))
    })?;
    listener
        .set_nonblocking(true)
        .map_err(ListenError::Passed)?;
    TcpListener::from_std(listener)
        .map(Some)
        .map_err(ListenError::Passed)
}
