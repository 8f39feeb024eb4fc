//! What the server tells systemd about itself (`sd_notify(3)`): `READY=1` once it accepts requests,
//! `STOPPING=1` when it begins to shut down.
//!
//! With `Type=notify` (`deploy/systemd/leptos-api-routes.service`), systemd counts the service as
//! started only on `READY=1`, after the database is open and migrated, so units ordered after it
//! and `systemctl start` itself wait for a server that answers. Outside systemd (`NOTIFY_SOCKET`
//! unset) these do nothing.

use sd_notify::NotifyState;

/// The server accepts requests.
pub fn ready() {
    notify(&[NotifyState::Ready]);
}

/// The server stops accepting and finishes what is in flight.
pub fn stopping() {
    notify(&[NotifyState::Stopping]);
}

fn notify(states: &[NotifyState]) {
    // A service manager that cannot be told is not a reason to stop serving.
    if let Err(error) = sd_notify::notify(states) {
        tracing::warn!(%error, "cannot notify systemd (NOTIFY_SOCKET)");
    }
}
