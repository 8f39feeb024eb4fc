//! The one-file release: `leptos-api-routes pack` appends the built site to a copy of the binary,
//! and that file, copied alone into an empty folder with no `LEPTOS_SITE_ROOT`, serves the site
//! exactly as cargo-leptos built it.

use std::{
    collections::HashMap,
    fs,
    io::Read,
    path::{Path, PathBuf},
    process::Command,
};

use crate::support::{DEBUG_BINARY, ServerProcess, release_binary, server_command};

/// Every file under `root`, by its path relative to `root`.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path.strip_prefix(root).expect("under root").to_owned());
            }
        }
    }
    files
}

/// Copies `binary` alone into a new empty folder and starts it there with a clean environment.
fn start_alone(binary: &Path) -> (ServerProcess, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let copy = folder.path().join("leptos-api-routes");
    fs::copy(binary, &copy).expect("the binary is copied");
    let server = ServerProcess::start(server_command(&copy, folder.path()));
    (server, folder)
}

/// The `/pkg/…` URLs the home page links to.
async fn linked_assets(server: &ServerProcess) -> Vec<String> {
    let html = reqwest::get(server.url("/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    html.split("\"/pkg/")
        .skip(1)
        .map(|rest| format!("/pkg/{}", rest.split('"').next().unwrap_or_default()))
        .collect()
}

/// Where each file of the built site is served: its own path, or for the JS, wasm and CSS
/// cargo-leptos made the content-hashed URL the page links.
async fn served_paths(server: &ServerProcess, site_root: &Path) -> HashMap<PathBuf, String> {
    let links = linked_assets(server).await;
    files_under(site_root)
        .into_iter()
        .map(|file| {
            let name = file.to_string_lossy().into_owned();
            let hashed = ["js", "wasm", "css"]
                .into_iter()
                .find(|extension| name == format!("pkg/leptos-api-routes.{extension}"));
            let url = match hashed {
                Some(extension) => links
                    .iter()
                    .find(|link| link.ends_with(&format!(".{extension}")))
                    .unwrap_or_else(|| panic!("the page links the {extension} in {links:?}"))
                    .clone(),
                None => format!("/{name}"),
            };
            (file, url)
        })
        .collect()
}

async fn get(server: &ServerProcess, path: &str, accept_encoding: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(server.url(path))
        .header("accept-encoding", accept_encoding)
        .send()
        .await
        .unwrap()
}

/// Fails unless `served` is `built`, byte for byte, naming `what` and the sizes (not the bytes).
fn assert_same_bytes(served: &[u8], built: &[u8], what: &str) {
    assert!(
        served == built,
        "{what} differs from the file as built: {} bytes served, {} built",
        served.len(),
        built.len()
    );
}

/// `leptos-api-routes pack SITE OUT` with the debug binary.
fn pack(site: &Path, out: &Path) -> std::process::Output {
    Command::new(DEBUG_BINARY)
        .arg("pack")
        .args([site, out])
        .env_clear()
        .output()
        .expect("pack runs")
}

/// A site as cargo-leptos lays it out, small.
fn small_site() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir_all(root.path().join("pkg")).unwrap();
    for (name, content) in [
        (
            "pkg/leptos-api-routes.js",
            "export function hydrate() {}\n".repeat(100),
        ),
        ("pkg/leptos-api-routes.wasm", "\0asm islands ".repeat(200)),
        (
            "pkg/leptos-api-routes.css",
            "main { margin: auto }\n".to_owned(),
        ),
        ("favicon.svg", "<svg/>".to_owned()),
    ] {
        fs::write(root.path().join(name), content).unwrap();
    }
    root
}

#[tokio::test]
async fn pack_writes_a_copy_of_the_binary_that_serves_the_site_from_an_empty_folder() {
    let site = small_site();
    let out = tempfile::tempdir().unwrap();
    let packed = out.path().join("leptos-api-routes");

    let packing = pack(site.path(), &packed);
    assert!(packing.status.success(), "{packing:?}");
    let (server, _folder) = start_alone(&packed);

    server.wait_for_line("serving the site built into this binary (4 files)");
    for (file, url) in served_paths(&server, site.path()).await {
        let response = get(&server, &url, "identity").await;
        assert_eq!(response.status(), 200, "{url}");
        let served = response.bytes().await.unwrap();
        assert_same_bytes(&served, &fs::read(site.path().join(&file)).unwrap(), &url);
    }
}

#[tokio::test]
async fn pack_refuses_a_folder_that_holds_no_built_site() {
    let empty = tempfile::tempdir().unwrap();
    let out = empty.path().join("leptos-api-routes");

    let packing = pack(empty.path(), &out);

    assert!(!packing.status.success());
    let stderr = String::from_utf8_lossy(&packing.stderr);
    assert!(
        stderr.contains("leptos-api-routes.js is missing"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");
}

#[tokio::test]
#[ignore = "needs the one-file release: scripts/test.sh runs it with RELEASE_BINARY"]
async fn the_release_alone_in_an_empty_folder_serves_every_built_file_byte_for_byte() {
    let site_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/site");
    let (server, _folder) = start_alone(&release_binary());
    server.wait_for_line("serving the site built into this binary");

    let served = served_paths(&server, &site_root).await;

    assert!(
        served.len() >= 4,
        "the JS, wasm, CSS and favicon at least: {served:?}"
    );
    for (file, url) in served {
        let built = fs::read(site_root.join(&file)).unwrap();
        let plain = get(&server, &url, "identity").await;
        assert_eq!(plain.status(), 200, "{url}");
        assert_same_bytes(&plain.bytes().await.unwrap(), &built, &url);

        let brotli = get(&server, &url, "br").await;
        if brotli.headers().get("content-encoding").is_some() {
            let mut decompressed = Vec::new();
            brotli::Decompressor::new(&brotli.bytes().await.unwrap()[..], 4096)
                .read_to_end(&mut decompressed)
                .unwrap();
            assert_same_bytes(&decompressed, &built, &format!("{url} in brotli"));
        }
    }
}

#[test]
#[ignore = "needs the one-file release: scripts/test.sh runs it with RELEASE_BINARY"]
fn the_release_on_every_address_without_allowed_hosts_stops_the_start_with_one_line_naming_it() {
    let folder = tempfile::tempdir().unwrap();

    let output = server_command(release_binary(), folder.path())
        .env("LEPTOS_SITE_ADDR", "0.0.0.0:0")
        .output()
        .expect("the release runs");

    assert!(!output.status.success());
    let log = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    assert!(
        log.contains("invalid ALLOWED_HOSTS: unset, but this release listens on 0.0.0.0:"),
        "{log}"
    );
    assert!(
        !folder.path().join("data").exists(),
        "no database is created"
    );
}
