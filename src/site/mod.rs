//! The built site — the browser's wasm, the JS that loads it, the CSS, and `public/` — and where the
//! server takes it from:
//!
//! - **Embedded**, in a release: `leptos-api-routes pack` (`pack.rs`) appends the finished site to
//!   a copy of the binary (`archive.rs`), so deploying is copying one file and running it, from any
//!   folder. At start the binary reads it into memory and serves it (`serve.rs`): content-hashed
//!   names cached for a year, brotli or gzip made at pack time, an ETag on every file.
//! - **From a folder**, in development: `LEPTOS_SITE_ROOT` (default `target/site`), read on every
//!   request by leptos_axum's file handler, so `cargo leptos watch` can rewrite it and live reload
//!   shows the change.

pub mod archive;
pub mod pack;
mod serve;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{Router, routing::get};
use leptos::config::LeptosOptions;

pub use archive::ArchiveError;

/// Marks a response whose handler chose its encoding itself (an embedded file, stored compressed):
/// the compression layer leaves it as it is, even when it was chosen to go uncompressed.
#[derive(Clone, Copy, Debug)]
pub struct PreEncoded;

/// The folder under the site root that holds the JS, wasm and CSS, and its URL path.
pub const PKG_DIR: &str = "pkg";

/// Where the site is served from.
#[derive(Clone, Debug)]
pub enum Site {
    /// Carried by the binary (see `archive.rs`), held in memory.
    Embedded(Arc<archive::Archive>),
    /// Read from `LEPTOS_SITE_ROOT` on every request.
    Folder,
}

/// The running binary carries a site that cannot be read: it was damaged after packing.
#[derive(Debug, thiserror::Error)]
#[error("the site built into {} cannot be served: {source}", binary.display())]
pub struct DamagedSite {
    binary: PathBuf,
    source: ArchiveError,
}

impl Site {
    /// The site appended to the running binary, or [`Site::Folder`] when it carries none.
    pub fn of_running_binary() -> Result<Self, DamagedSite> {
        match std::env::current_exe() {
            Ok(binary) => Self::of_binary(&binary),
            Err(error) => {
                // Without /proc the binary cannot find itself; a development build still works.
                tracing::warn!(%error, "cannot locate the running binary: serving the site from a folder");
                Ok(Site::Folder)
            }
        }
    }

    /// The site appended to the binary at `binary`, or [`Site::Folder`] when it carries none.
    pub fn of_binary(binary: &Path) -> Result<Self, DamagedSite> {
        let archive = archive::read_from(binary).map_err(|source| DamagedSite {
            binary: binary.to_owned(),
            source,
        })?;
        Ok(archive.map_or(Site::Folder, |archive| Site::Embedded(Arc::new(archive))))
    }

    /// The URLs the pages link to the JS, wasm and CSS with.
    pub fn asset_urls(&self, options: &LeptosOptions) -> AssetUrls {
        match self {
            Site::Embedded(archive) => AssetUrls::new(&archive.script_stem, &archive.stylesheet),
            Site::Folder => AssetUrls::new(
                &options.output_name,
                &format!("/{PKG_DIR}/{}.css", options.output_name),
            ),
        }
    }

    /// One route per embedded file (none for a folder: leptos_axum's fallback serves those).
    pub fn routes<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let Site::Embedded(archive) = self else {
            return Router::new();
        };
        (0..archive.files.len()).fold(Router::new(), |router, index| {
            let archive = Arc::clone(archive);
            let path = archive.files[index].path.clone();
            router.route(
                &path,
                get(move |headers: axum::http::HeaderMap| {
                    let archive = Arc::clone(&archive);
                    async move { serve::respond(&archive.files[index], &headers) }
                }),
            )
        })
    }

    /// How many files the binary carries (0 when served from a folder), for the start log.
    pub fn embedded_files(&self) -> usize {
        match self {
            Site::Embedded(archive) => archive.files.len(),
            Site::Folder => 0,
        }
    }
}

/// The names the pages use for the JS, the wasm and the stylesheet: content-hashed when embedded
/// (`leptos-api-routes.3f9c…`), cargo-leptos's plain names when served from a folder.
#[derive(Clone, Debug)]
pub struct AssetUrls {
    script_stem: Arc<str>,
    stylesheet: Arc<str>,
}

/// Leptos's `<HydrationScripts>` asks for `{stem}_bg.wasm`, not `{stem}.wasm`, in a build made
/// without cargo-leptos (which sets `LEPTOS_OUTPUT_NAME` at compile time): the same rule here, so
/// the name it writes in the page is the name the file is served at.
const WASM_SUFFIX: &str = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
    ""
} else {
    "_bg"
};

impl AssetUrls {
    pub fn new(script_stem: &str, stylesheet: &str) -> Self {
        Self {
            script_stem: script_stem.into(),
            stylesheet: stylesheet.into(),
        }
    }

    /// The URL path of the JS module that loads the wasm.
    pub fn script(&self) -> String {
        format!("/{PKG_DIR}/{}.js", self.script_stem)
    }

    /// The URL path of the wasm.
    pub fn wasm(&self) -> String {
        format!("/{PKG_DIR}/{}{WASM_SUFFIX}.wasm", self.script_stem)
    }

    /// The URL path of the stylesheet.
    pub fn stylesheet(&self) -> &str {
        &self.stylesheet
    }

    /// Leptos's options as `<HydrationScripts>` must see them to write [`Self::script`] and
    /// [`Self::wasm`] into the page: it names both after `output_name`.
    pub fn hydration_options(&self, options: &LeptosOptions) -> LeptosOptions {
        let mut options = options.clone();
        options.output_name = Arc::clone(&self.script_stem);
        options.site_pkg_dir = PKG_DIR.into();
        options
    }
}
