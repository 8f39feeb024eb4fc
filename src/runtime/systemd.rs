//! What the server tells systemd (`sd_notify(3)`): `READY=1` once it accepts requests (after the
//! database is migrated, so `Type=notify` units ordered after it wait for a server that answers),
//! `STOPPING=1` when it shuts down. Outside systemd (`NOTIFY_SOCKET` unset) nothing.

use sd_notify::NotifyState;

pub fn ready() {
    notify(&[NotifyState::Ready]);
}

pub fn stopping() {
    notify(&[NotifyState::Stopping]);
}

fn notify(states: &[NotifyState]) {
    // A service manager that cannot be told is not a reason to stop serving.
    if let Err(error) = sd_notify::notify(states) {
        tracing::warn!(%error, "cannot notify systemd (NOTIFY_SOCKET)");
    }
}
