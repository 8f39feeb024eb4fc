//! The container image: `deploy/build-image.sh` builds `deploy/Containerfile` around the one-file
//! release with buildah, and the image starts, answers, runs its health check, keeps its data in
//! the volume and stops cleanly on SIGTERM.
//!
//! buildah keeps this test's images in a storage folder of its own (CONTAINERS_STORAGE_CONF), so
//! nothing is left behind and nothing of anyone else's is touched. The container shares the host's
//! network (buildah's chroot isolation), so it is told to listen on a free loopback port instead of
//! its default 0.0.0.0:8080, which the image's configuration is checked for. `buildah run` mounts
//! a volume of its own at each `VOLUME` of the image, kept with the container across runs (it
//! gives a bind mount `--volume` no precedence there), so the data's survival is checked on that.

use std::{
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::support::{PATIENCE, finished, free_port, release_binary, send_signal, until_healthy};

const TAG: &str = "localhost/leptos-api-routes-test:latest";
/// The unprivileged user the image runs as.
const USER: &str = "65532";

/// buildah with its storage in `folder`.
struct Buildah {
    storage_conf: std::path::PathBuf,
}

impl Buildah {
    fn in_folder(folder: &Path) -> Self {
        let storage_conf = folder.join("storage.conf");
        let config = format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{0}/storage\"\nrunroot = \"{0}/run\"\n",
            folder.display()
        );
        std::fs::write(&storage_conf, config).expect("a storage configuration");
        Self { storage_conf }
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.env("CONTAINERS_STORAGE_CONF", &self.storage_conf);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        let output = self
            .command("buildah")
            .args(args)
            .output()
            .expect("buildah runs");
        assert!(output.status.success(), "buildah {args:?}: {output:?}");
        output
    }

    /// A new working container of the image; returns its name.
    fn container(&self) -> String {
        let output = self.run(&["from", "--pull=never", TAG]);
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Starts the image's entry point in `container`, listening on `port`.
    fn start(&self, container: &str, port: u16) -> Running {
        let child = self
            .command("buildah")
            .args(["run", "--isolation", "chroot"])
            .args(["--env", &format!("LEPTOS_SITE_ADDR=127.0.0.1:{port}")])
            .args([container, "--", "/leptos-api-routes"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("buildah run starts");
        Running { child: Some(child) }
    }
}

/// A container's process (`buildah run`) and the server in it; both killed if the test ends
/// before they stop.
struct Running {
    child: Option<Child>,
}

impl Running {
    /// The server's process, once the container runtime has started it.
    fn server(&self) -> u32 {
        let parent = self.child.as_ref().map_or(0, Child::id);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(server) = server_under(parent) {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "the server runs in the container"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM to the server, as `docker stop` does, and returns what the container wrote.
    fn stop(mut self) -> Output {
        send_signal("TERM", self.server());
        let child = self.child.take().expect("a running container");
        finished(child)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // The server first: buildah then ends by itself and removes its temporary files.
        if let Some(server) = server_under(child.id()) {
            let _ = Command::new("kill")
                .args(["-KILL", &server.to_string()])
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The process running `/leptos-api-routes` among the descendants of `parent`.
fn server_under(parent: u32) -> Option<u32> {
    let mut pending = crate::support::children(parent);
    while let Some(pid) = pending.pop() {
        let command = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if command.starts_with(b"/leptos-api-routes\0") {
            return Some(pid);
        }
        pending.extend(crate::support::children(pid));
    }
    None
}

/// Whether `path` is a mount point (a volume) in the file system process `pid` sees.
fn is_mount_point(pid: u32, path: &str) -> bool {
    let mounts = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap_or_default();
    // The fifth field of each line is where the mount is, as the process sees it.
    mounts
        .lines()
        .any(|mount| mount.split(' ').nth(4) == Some(path))
}

/// The real user id of process `pid`.
fn uid_of(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let uid_line = status.lines().find(|line| line.starts_with("Uid:"));
    let uid = uid_line.and_then(|line| line.split_whitespace().nth(1));
    uid.unwrap_or_default().to_owned()
}

#[tokio::test]
#[ignore = "needs the one-file release and buildah: scripts/test.sh runs it with RELEASE_BINARY"]
async fn the_image_runs_the_release_unprivileged_with_its_data_in_the_volume_and_stops_on_sigterm()
{
    let folder = tempfile::tempdir().unwrap();
    let buildah = Buildah::in_folder(folder.path());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/build-image.sh");
    let binary = release_binary();
    let build = buildah
        .command(script.to_str().unwrap())
        .args([binary.to_str().unwrap(), TAG])
        .output()
        .expect("deploy/build-image.sh runs");
    assert!(build.status.success(), "{build:?}");
    let size = String::from_utf8_lossy(&build.stdout);
    println!("image: {}", size.lines().last().unwrap_or_default());

    let image: Value =
        serde_json::from_slice(&buildah.run(&["inspect", "--type", "image", TAG]).stdout).unwrap();
    let config = &image["Docker"]["config"];
    assert_eq!(config["User"], "65532:65532");
    assert_eq!(config["Entrypoint"], json!(["/leptos-api-routes"]));
    assert_eq!(
        config["Healthcheck"]["Test"],
        json!(["CMD", "/leptos-api-routes", "healthcheck"])
    );
    assert!(config["ExposedPorts"]["8080/tcp"].is_object());
    assert!(config["Volumes"]["/data"].is_object());
    let env: Vec<&str> = config["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(env.contains(&"LEPTOS_SITE_ADDR=0.0.0.0:8080"), "{env:?}");
    assert!(
        env.contains(&"DATABASE_URL=sqlite:///data/leptos-api-routes.db"),
        "{env:?}"
    );

    let container = buildah.container();
    let port = free_port();
    let started_at = Instant::now();
    let running = buildah.start(&container, port);
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    until_healthy(&url("/api/health")).await;
    println!(
        "container: first answer {:?} after buildah run",
        started_at.elapsed()
    );

    let server = running.server();
    assert_eq!(uid_of(server), USER, "the server is not root");
    let healthcheck = buildah
        .command("buildah")
        .args(["run", "--isolation", "chroot"])
        .args(["--env", &format!("LEPTOS_SITE_ADDR=127.0.0.1:{port}")])
        .args([
            container.as_str(),
            "--",
            "/leptos-api-routes",
            "healthcheck",
        ])
        .status()
        .unwrap();
    assert!(healthcheck.success(), "the image's health check passes");
    let created = reqwest::Client::new()
        .post(url("/api/post"))
        .json(&json!({ "title": "Kept in the volume", "post": "Across restarts" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert!(is_mount_point(server, "/data"), "/data is a volume");
    let database = format!("/proc/{server}/root/data/leptos-api-routes.db");
    assert!(
        Path::new(&database).is_file(),
        "the database is in the volume"
    );

    let stopped = running.stop();
    let log = String::from_utf8_lossy(&stopped.stdout);
    assert!(stopped.status.success(), "{stopped:?}");
    assert!(log.contains("stopped"), "{log}");

    let port = free_port();
    let again = buildah.start(&container, port);
    until_healthy(&format!("http://127.0.0.1:{port}/api/health")).await;
    let posts: Value = reqwest::get(format!("http://127.0.0.1:{port}/api/post"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(again.stop().status.success());
    assert_eq!(posts["posts"][0]["title"], "Kept in the volume");
    buildah.run(&["rm", &container]);
    buildah.run(&["rmi", TAG]);
}
