//! `leptos-api-routes pack <site folder> <output file>`: a copy of the running binary with the
//! finished site appended, run after `cargo leptos build --release` has returned so the site is
//! complete. Done once here, not per request: content-hashed names for the JS, wasm and CSS (cached
//! for a year), brotli and gzip at their best levels when smaller, each file's ETag hash.

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

use super::{
    AssetUrls,
    archive::{self, FileEntry, Manifest, Span},
};

/// Files smaller than this are sent as they are: one packet either way.
const MIN_COMPRESS_SIZE: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{0} is missing: build the site first (cargo leptos build --release)")]
    Missing(PathBuf),
    #[error("{0}: only letters, digits, '.', '-', '_' and '/' may appear in a site file's path")]
    UnservablePath(PathBuf),
    #[error("cannot write the manifest: {0}")]
    Manifest(#[from] serde_json::Error),
    #[error("the archive just made cannot be read back: {0}")]
    Unreadable(#[from] archive::ArchiveError),
}

#[derive(Debug)]
pub struct Packed {
    pub files: usize,
    pub program_bytes: usize,
    pub total_bytes: usize,
}

/// `binary`'s program (without any site it carries) then the site. `output_name`: cargo-leptos's.
pub fn pack_binary(
    binary: &Path,
    site_root: &Path,
    output_name: &str,
    out: &Path,
) -> Result<Packed, PackError> {
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |source| PackError::Io { path, source }
    };
    let program = fs::read(binary).map_err(io_error(binary))?;
    let program_bytes = archive::program_len(&program);
    let mut packed = program;
    packed.truncate(program_bytes);
    let (blobs, manifest) = build(site_root, output_name)?;
    let files = manifest.files.len();
    archive::append(&mut packed, &blobs, &manifest)?;

    // Written beside the target then renamed over it: a server running from `out` keeps its file.
    if let Some(folder) = out.parent().filter(|folder| !folder.as_os_str().is_empty()) {
        fs::create_dir_all(folder).map_err(io_error(folder))?;
    }
    let partial = out.with_extension("partial");
    fs::write(&partial, &packed).map_err(io_error(&partial))?;
    make_executable(&partial).map_err(io_error(&partial))?;
    fs::rename(&partial, out).map_err(io_error(out))?;
    Ok(Packed {
        files,
        program_bytes,
        total_bytes: packed.len(),
    })
}

fn make_executable(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

/// What a release serves, without making one (the integration tests serve it this way).
pub fn in_memory(site_root: &Path, output_name: &str) -> Result<archive::Archive, PackError> {
    let (blobs, manifest) = build(site_root, output_name)?;
    let mut packed = Vec::new();
    archive::append(&mut packed, &blobs, &manifest)?;
    archive::read_from_bytes(&packed)?
        .ok_or(PackError::Unreadable(archive::ArchiveError::Truncated))
}

pub fn build(site_root: &Path, output_name: &str) -> Result<(Vec<u8>, Manifest), PackError> {
    let pkg = site_root.join("pkg");
    let read = |name: &str| {
        let path = pkg.join(name);
        fs::read(&path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => PackError::Missing(path.clone()),
            _ => PackError::Io {
                path: path.clone(),
                source,
            },
        })
    };
    // `<HydrationScripts>` names the JS and the wasm after one stem: one hash over both.
    let js = read(&format!("{output_name}.js"))?;
    let wasm = read(&format!("{output_name}.wasm"))?;
    let css = read(&format!("{output_name}.css"))?;
    let script_stem = format!("{output_name}.{}", short_hash(&[&js[..], &wasm[..]]));
    let stylesheet = format!("/pkg/{output_name}.{}.css", short_hash(&[&css[..]]));
    let assets = AssetUrls::new(&script_stem, &stylesheet);
    let hashed_names = [
        (format!("/pkg/{output_name}.js"), assets.script()),
        (format!("/pkg/{output_name}.wasm"), assets.wasm()),
        (format!("/pkg/{output_name}.css"), stylesheet.clone()),
    ];

    let mut blobs = Vec::new();
    let mut files = Vec::new();
    for path in files_under(site_root)? {
        let content = fs::read(&path).map_err(|source| PackError::Io {
            path: path.clone(),
            source,
        })?;
        let url_path = url_path(site_root, &path)?;
        let (url_path, immutable) = match hashed_names.iter().find(|(plain, _)| *plain == url_path)
        {
            Some((_, hashed)) => (hashed.clone(), true),
            None => (url_path, false),
        };
        let content_type = mime_guess::from_path(&path)
            .first_or_octet_stream()
            .essence_str()
            .to_owned();
        let (brotli, gzip) = if compresses(&content_type) && content.len() >= MIN_COMPRESS_SIZE {
            (
                smaller(brotli_best(&content), content.len()),
                smaller(gzip_best(&content), content.len()),
            )
        } else {
            (None, None)
        };
        let mut store = |bytes: &[u8]| {
            let span = Span {
                offset: blobs.len() as u64,
                len: bytes.len() as u64,
            };
            blobs.extend_from_slice(bytes);
            span
        };
        files.push(FileEntry {
            path: url_path,
            content_type,
            immutable,
            hash: short_hash(&[&content[..]]),
            identity: store(&content),
            brotli: brotli.as_deref().map(&mut store),
            gzip: gzip.as_deref().map(&mut store),
        });
    }
    Ok((
        blobs,
        Manifest {
            script_stem,
            stylesheet,
            files,
        },
    ))
}

/// Sorted, so the same site always packs to the same bytes.
fn files_under(root: &Path) -> Result<Vec<PathBuf>, PackError> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        let entries = fs::read_dir(&folder).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => PackError::Missing(folder.clone()),
            _ => PackError::Io {
                path: folder.clone(),
                source,
            },
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| PackError::Io {
                path: folder.clone(),
                source,
            })?;
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Refuses names that would need escaping in a URL or that axum reads as a parameter (`{id}`).
fn url_path(root: &Path, file: &Path) -> Result<String, PackError> {
    let relative = file.strip_prefix(root).unwrap_or(file);
    let text = relative.to_str().unwrap_or_default();
    let servable = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'));
    if servable {
        Ok(format!("/{text}"))
    } else {
        Err(PackError::UnservablePath(file.to_owned()))
    }
}

/// 16 hex digits of SHA-256: enough to tell versions apart, short enough for a URL.
fn short_hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex::encode(&hasher.finalize()[..8])
}

/// Images, fonts, audio and video are compressed already.
fn compresses(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || matches!(
            content_type,
            "application/javascript"
                | "application/json"
                | "application/wasm"
                | "application/xml"
                | "application/manifest+json"
                | "image/svg+xml"
        )
}

fn smaller(compressed: Vec<u8>, original_len: usize) -> Option<Vec<u8>> {
    (compressed.len() < original_len).then_some(compressed)
}

/// Quality 11, the largest window: slow, which is why it is done once, here.
fn brotli_best(content: &[u8]) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        ..Default::default()
    };
    let mut compressed = Vec::new();
    let mut input = content;
    // Reading from a slice and writing to a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut input, &mut compressed, &params);
    compressed
}

/// No file name or time in the header, so the output depends on the content only.
fn gzip_best(content: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(content);
    encoder.finish().unwrap_or_default()
}
