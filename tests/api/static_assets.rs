//! The site's static files (JS, wasm, CSS, `public/`) as a release serves them: from the binary,
//! under content-hashed names, precompressed, with ETags. The server here holds a small site packed
//! in memory exactly as `leptos-api-routes pack` packs it (`site::pack::in_memory`); the release
//! binary itself is tested against the real build in `tests/deploy/one_file.rs`.
//!
//! And as development serves them: from the folder, read again on every request.

use std::{fs, io::Read, sync::Arc};

use leptos_api_routes::site::{Site, pack};
use reqwest::{StatusCode, header};
use tempfile::TempDir;

use crate::support::{TestApp, TestDatabase, content_type, header};

const OUTPUT_NAME: &str = "leptos-api-routes";

/// A site as `cargo leptos build` leaves it: JS and wasm large enough to be compressed.
fn built_site() -> TempDir {
    let root = tempfile::tempdir().expect("a temporary folder");
    fs::create_dir_all(root.path().join("pkg")).unwrap();
    let pkg = |name: &str| {
        root.path()
            .join("pkg")
            .join(format!("{OUTPUT_NAME}.{name}"))
    };
    fs::write(pkg("js"), "export function hydrate() {}\n".repeat(200)).unwrap();
    fs::write(pkg("wasm"), b"\0asm\x01\0\0\0 islands ".repeat(500)).unwrap();
    fs::write(pkg("css"), "main { max-width: 40rem }\n".repeat(100)).unwrap();
    fs::write(root.path().join("favicon.svg"), "<svg/>").unwrap();
    root
}

fn built(site: &TempDir, name: &str) -> Vec<u8> {
    fs::read(site.path().join(name)).unwrap()
}

/// The server with `site` packed into it, as a release binary carries it.
async fn spawn_release(site: &TempDir) -> TestApp {
    let archive = pack::in_memory(site.path(), OUTPUT_NAME).expect("the site packs");
    TestApp::spawn_on_site(
        TestDatabase::fresh().await,
        Site::Embedded(Arc::new(archive)),
        |_| {},
    )
    .await
}

/// The `/pkg/…` URLs the home page links to, in the order they appear.
async fn linked_assets(app: &TestApp) -> Vec<String> {
    let html = app.get("/").await.text().await.unwrap();
    html.split("\"/pkg/")
        .skip(1)
        .map(|rest| format!("/pkg/{}", rest.split('"').next().unwrap_or_default()))
        .collect()
}

/// The linked URL that ends with `extension`.
async fn linked(app: &TestApp, extension: &str) -> String {
    linked_assets(app)
        .await
        .into_iter()
        .find(|url| url.ends_with(extension))
        .unwrap_or_else(|| panic!("the page links a {extension} file"))
}

async fn body(response: reqwest::Response) -> Vec<u8> {
    response.bytes().await.unwrap().to_vec()
}

fn unbrotli(compressed: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    brotli::Decompressor::new(compressed, 4096)
        .read_to_end(&mut plain)
        .unwrap();
    plain
}

fn gunzip(compressed: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(compressed)
        .read_to_end(&mut plain)
        .unwrap();
    plain
}

#[tokio::test]
async fn the_page_links_content_hashed_js_wasm_and_css_and_each_link_is_served() {
    let site = built_site();
    let app = spawn_release(&site).await;

    let links = linked_assets(&app).await;

    for extension in [".js", ".wasm", ".css"] {
        let url = links.iter().find(|url| url.ends_with(extension));
        let url = url.unwrap_or_else(|| panic!("a {extension} link in {links:?}"));
        let name = url.trim_start_matches(&format!("/pkg/{OUTPUT_NAME}."));
        let hash = name.split(['.', '_']).next().unwrap_or_default();
        assert_eq!(hash.len(), 16, "a content hash in {url}");
        assert_eq!(app.get(url).await.status(), StatusCode::OK, "{url}");
    }
}

#[tokio::test]
async fn content_hashed_files_may_be_cached_for_a_year_without_asking_again() {
    let site = built_site();
    let app = spawn_release(&site).await;

    for extension in [".js", ".wasm", ".css"] {
        let response = app.get(&linked(&app, extension).await).await;

        assert_eq!(
            header(&response, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
    }
}

#[tokio::test]
async fn each_file_is_served_with_its_content_type() {
    let site = built_site();
    let app = spawn_release(&site).await;

    let wasm = app.get(&linked(&app, ".wasm").await).await;
    let css = app.get(&linked(&app, ".css").await).await;
    let favicon = app.get("/favicon.svg").await;

    assert_eq!(content_type(&wasm), "application/wasm");
    assert_eq!(content_type(&css), "text/css");
    assert_eq!(content_type(&favicon), "image/svg+xml");
}

#[tokio::test]
async fn a_browser_gets_the_wasm_as_stored_brotli_that_decompresses_to_the_built_file() {
    let site = built_site();
    let app = spawn_release(&site).await;

    let response = app
        .get_with(
            &linked(&app, ".wasm").await,
            &[("accept-encoding", "gzip, deflate, br, zstd")],
        )
        .await;

    assert_eq!(header(&response, header::CONTENT_ENCODING), "br");
    assert_eq!(header(&response, header::VARY), "accept-encoding");
    let compressed = body(response).await;
    let original = built(&site, &format!("pkg/{OUTPUT_NAME}.wasm"));
    assert!(compressed.len() < original.len());
    assert_eq!(unbrotli(&compressed), original);
}

#[tokio::test]
async fn a_client_that_accepts_only_gzip_gets_the_stored_gzip() {
    let site = built_site();
    let app = spawn_release(&site).await;

    let response = app
        .get_with(&linked(&app, ".js").await, &[("accept-encoding", "gzip")])
        .await;

    assert_eq!(header(&response, header::CONTENT_ENCODING), "gzip");
    let original = built(&site, &format!("pkg/{OUTPUT_NAME}.js"));
    assert_eq!(gunzip(&body(response).await), original);
}

#[tokio::test]
async fn a_client_that_accepts_no_compression_gets_the_file_as_built() {
    let site = built_site();
    let app = spawn_release(&site).await;

    let response = app.get(&linked(&app, ".css").await).await;

    assert_eq!(header(&response, header::CONTENT_ENCODING), "");
    let original = built(&site, &format!("pkg/{OUTPUT_NAME}.css"));
    assert_eq!(body(response).await, original);
}

#[tokio::test]
async fn a_file_that_does_not_compress_is_never_compressed_on_the_fly_either() {
    let site = built_site();
    // A font is compressed already: packing stores it as it is, and so it must go out.
    let font: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    fs::write(site.path().join("font.woff2"), &font).unwrap();
    let app = spawn_release(&site).await;

    let response = app
        .get_with("/font.woff2", &[("accept-encoding", "gzip, br")])
        .await;

    assert_eq!(header(&response, header::CONTENT_ENCODING), "");
    assert_eq!(body(response).await, font);
}

#[tokio::test]
async fn a_matching_if_none_match_gets_304_without_a_body_for_every_static_file() {
    let site = built_site();
    let app = spawn_release(&site).await;
    let mut urls = linked_assets(&app).await;
    urls.push("/favicon.svg".to_owned());

    for url in urls {
        for accept_encoding in ["br", "gzip", "identity"] {
            let encoding = [("accept-encoding", accept_encoding)];
            let etag = header(&app.get_with(&url, &encoding).await, header::ETAG);
            assert!(etag.starts_with('"'), "a strong ETag on {url}: {etag:?}");

            let again = app
                .get_with(&url, &[encoding[0], ("if-none-match", &etag)])
                .await;

            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{url}");
            assert_eq!(header(&again, header::ETAG), etag);
            assert!(body(again).await.is_empty());
        }
    }
}

#[tokio::test]
async fn brotli_gzip_and_plain_answers_have_different_etags() {
    let site = built_site();
    let app = spawn_release(&site).await;
    let wasm = linked(&app, ".wasm").await;

    let mut etags = Vec::new();
    for accept_encoding in ["br", "gzip", "identity"] {
        let response = app
            .get_with(&wasm, &[("accept-encoding", accept_encoding)])
            .await;
        etags.push(header(&response, header::ETAG));
    }

    etags.sort();
    etags.dedup();
    assert_eq!(etags.len(), 3, "{etags:?}");
}

#[tokio::test]
async fn a_file_whose_name_has_no_hash_is_revalidated_every_time() {
    let site = built_site();
    let app = spawn_release(&site).await;

    let response = app.get("/favicon.svg").await;

    assert_eq!(header(&response, header::CACHE_CONTROL), "public, no-cache");
    assert_eq!(body(response).await, built(&site, "favicon.svg"));
}

#[tokio::test]
async fn an_asset_the_site_does_not_have_is_the_html_404_page() {
    let site = built_site();
    let app = spawn_release(&site).await;

    let response = app
        .get(&format!("/pkg/{OUTPUT_NAME}.0000000000000000.wasm"))
        .await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(content_type(&response).starts_with("text/html"));
}

#[tokio::test]
async fn from_a_folder_every_request_reads_the_file_as_it_is_now() {
    let site = built_site();
    let root = site.path().to_str().unwrap().to_owned();
    let app = TestApp::spawn_with(|config| config.leptos.site_root = root.into()).await;
    let css = format!("pkg/{OUTPUT_NAME}.css");
    let as_built = built(&site, &css);
    let before = body(app.get(&format!("/{css}")).await).await;

    fs::write(site.path().join(&css), "main { color: teal }").unwrap();
    let after = body(app.get(&format!("/{css}")).await).await;

    assert_eq!(before, as_built);
    assert_eq!(after, b"main { color: teal }");
}

#[tokio::test]
async fn static_files_get_the_security_headers_and_may_be_loaded_by_this_site_only() {
    let site = built_site();
    let app = spawn_release(&site).await;

    for path in [linked(&app, ".wasm").await, "/favicon.svg".to_owned()] {
        let file = app.get(&path).await;
        assert_eq!(header(&file, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(
            header(&file, "cross-origin-resource-policy"),
            "same-origin",
            "{path}"
        );
    }
}
