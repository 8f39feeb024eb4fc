//! The built site (wasm, JS, CSS, `public/`) and where the server takes it from: **embedded** in a
//! release (`pack` appends it to the binary, so deploying is copying one file), read into memory at
//! start; or **from a folder** in development (`LEPTOS_SITE_ROOT`), read on every request so
//! `cargo leptos watch` can rewrite it and live reload shows the change.

pub mod archive;
pub mod pack;
pub mod serve;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{Router, routing::get};
use leptos::config::LeptosOptions;

pub use archive::ArchiveError;

/// The handler chose the encoding itself: the compression layer leaves it, even uncompressed.
#[derive(Clone, Copy, Debug)]
pub struct PreEncoded;

pub const PKG_DIR: &str = "pkg";

#[derive(Clone, Debug)]
pub enum Site {
    Embedded(Arc<archive::Archive>),
    Folder,
}

/// Damaged after packing.
#[derive(Debug, thiserror::Error)]
#[error("the site built into {} cannot be served: {source}", binary.display())]
pub struct DamagedSite {
    binary: PathBuf,
    source: ArchiveError,
}

impl Site {
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

    pub fn of_binary(binary: &Path) -> Result<Self, DamagedSite> {
        let archive = archive::read_from(binary).map_err(|source| DamagedSite {
            binary: binary.to_owned(),
            source,
        })?;
        Ok(archive.map_or(Site::Folder, |archive| Site::Embedded(Arc::new(archive))))
    }

    pub fn asset_urls(&self, options: &LeptosOptions) -> AssetUrls {
        match self {
            Site::Embedded(archive) => AssetUrls::new(&archive.script_stem, &archive.stylesheet),
            Site::Folder => AssetUrls::new(
                &options.output_name,
                &format!("/{PKG_DIR}/{}.css", options.output_name),
            ),
        }
    }

    /// None for a folder: leptos_axum's fallback serves those.
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

    pub fn embedded_files(&self) -> usize {
        match self {
            Site::Embedded(archive) => archive.files.len(),
            Site::Folder => 0,
        }
    }
}

/// Content-hashed when embedded, cargo-leptos's plain names from a folder.
#[derive(Clone, Debug)]
pub struct AssetUrls {
    script_stem: Arc<str>,
    stylesheet: Arc<str>,
}

/// `<HydrationScripts>` asks for `{stem}_bg.wasm` unless cargo-leptos set `LEPTOS_OUTPUT_NAME`.
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

    pub fn script(&self) -> String {
        format!("/{PKG_DIR}/{}.js", self.script_stem)
    }

    pub fn wasm(&self) -> String {
        format!("/{PKG_DIR}/{}{WASM_SUFFIX}.wasm", self.script_stem)
    }

    pub fn stylesheet(&self) -> &str {
        &self.stylesheet
    }

    /// `<HydrationScripts>` names the script and wasm after `output_name`.
    pub fn hydration_options(&self, options: &LeptosOptions) -> LeptosOptions {
        let mut options = options.clone();
        options.output_name = Arc::clone(&self.script_stem);
        options.site_pkg_dir = PKG_DIR.into();
        options
    }
}
