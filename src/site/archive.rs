//! The built site appended to the server binary, so a release is one file. Hand-written: compiling
//! it in (`include_bytes!`, rust-embed) could catch a half-built `target/site` while cargo-leptos
//! builds both halves at once; appending after the build cannot, and costs no second compilation.
//! ```text
//! [the program] [blobs] [manifest: JSON] [manifest length: u64 LE] [blobs length: u64 LE] [MAGIC]
//! ```

use std::{
    fs::File,
    io::{self, Read, Seek, SeekFrom},
    ops::Range,
    path::Path,
};

use axum::body::Bytes;
use serde::{Deserialize, Serialize};

pub const MAGIC: &[u8; 16] = b"leptos-site:v1\r\n";
const TRAILER_LEN: usize = 8 + 8 + MAGIC.len();

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// The JS's and wasm's name without extension (`leptos-api-routes.3f9c…`).
    pub script_stem: String,
    pub stylesheet: String,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub content_type: String,
    /// The name carries a hash of the content, so the file at this path never changes.
    pub immutable: bool,
    /// The base of each representation's ETag.
    pub hash: String,
    pub identity: Span,
    pub brotli: Option<Span>,
    pub gzip: Option<Span>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Span {
    pub offset: u64,
    pub len: u64,
}

/// Slices of the one buffer the archive was read into.
pub struct StoredFile {
    pub path: String,
    pub content_type: String,
    pub immutable: bool,
    pub hash: String,
    pub identity: Bytes,
    pub brotli: Option<Bytes>,
    pub gzip: Option<Bytes>,
}

pub struct Archive {
    pub script_stem: String,
    pub stylesheet: String,
    pub files: Vec<StoredFile>,
}

/// The names, not the bytes: a configuration printed with `{:?}` stays readable.
impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let paths: Vec<&str> = self.files.iter().map(|file| file.path.as_str()).collect();
        f.debug_struct("Archive").field("files", &paths).finish()
    }
}

/// A damaged binary: the server refuses to start rather than serve a site with pieces missing.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read it: {0}")]
    Io(#[from] io::Error),
    #[error("its lengths do not fit in the file")]
    Truncated,
    #[error("its manifest is not valid: {0}")]
    Manifest(#[from] serde_json::Error),
    #[error("{path}: its bytes lie outside the archive")]
    OutOfBounds { path: String },
}

pub fn append(out: &mut Vec<u8>, blobs: &[u8], manifest: &Manifest) -> serde_json::Result<()> {
    let manifest = serde_json::to_vec(manifest)?;
    out.extend_from_slice(blobs);
    out.extend_from_slice(&manifest);
    out.extend_from_slice(&(manifest.len() as u64).to_le_bytes());
    out.extend_from_slice(&(blobs.len() as u64).to_le_bytes());
    out.extend_from_slice(MAGIC);
    Ok(())
}

pub fn program_len(binary: &[u8]) -> usize {
    match locate(binary.len() as u64, trailer_of(binary)) {
        Ok(Some(layout)) => layout.archive.start as usize,
        _ => binary.len(),
    }
}

pub fn read_from(path: &Path) -> Result<Option<Archive>, ArchiveError> {
    let mut file = File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut trailer = [0; TRAILER_LEN];
    if file_len < TRAILER_LEN as u64 {
        return Ok(None);
    }
    file.seek(SeekFrom::End(-(TRAILER_LEN as i64)))?;
    file.read_exact(&mut trailer)?;
    let Some(layout) = locate(file_len, Some(&trailer))? else {
        return Ok(None);
    };
    file.seek(SeekFrom::Start(layout.archive.start))?;
    let mut archive = vec![0; (layout.archive.end - layout.archive.start) as usize];
    file.read_exact(&mut archive)?;
    parse(Bytes::from(archive), layout.blobs_len).map(Some)
}

pub fn read_from_bytes(binary: &[u8]) -> Result<Option<Archive>, ArchiveError> {
    let Some(layout) = locate(binary.len() as u64, trailer_of(binary))? else {
        return Ok(None);
    };
    let archive = &binary[layout.archive.start as usize..layout.archive.end as usize];
    parse(Bytes::copy_from_slice(archive), layout.blobs_len).map(Some)
}

struct Layout {
    archive: Range<u64>,
    blobs_len: u64,
}

fn trailer_of(binary: &[u8]) -> Option<&[u8; TRAILER_LEN]> {
    let start = binary.len().checked_sub(TRAILER_LEN)?;
    binary[start..].try_into().ok()
}

fn locate(
    file_len: u64,
    trailer: Option<&[u8; TRAILER_LEN]>,
) -> Result<Option<Layout>, ArchiveError> {
    let Some(trailer) = trailer.filter(|trailer| trailer.ends_with(MAGIC)) else {
        return Ok(None);
    };
    let manifest_len = u64::from_le_bytes(trailer[0..8].try_into().unwrap_or_default());
    let blobs_len = u64::from_le_bytes(trailer[8..16].try_into().unwrap_or_default());
    let start = manifest_len
        .checked_add(blobs_len)
        .and_then(|archive_len| archive_len.checked_add(TRAILER_LEN as u64))
        .and_then(|with_trailer| file_len.checked_sub(with_trailer))
        .ok_or(ArchiveError::Truncated)?;
    Ok(Some(Layout {
        archive: start..file_len - TRAILER_LEN as u64,
        blobs_len,
    }))
}

fn parse(archive: Bytes, blobs_len: u64) -> Result<Archive, ArchiveError> {
    let blobs = archive.slice(..blobs_len as usize);
    let manifest: Manifest = serde_json::from_slice(&archive[blobs_len as usize..])?;
    let slice = |path: &str, span: Span| {
        let end = span
            .offset
            .checked_add(span.len)
            .filter(|end| *end <= blobs_len);
        end.map(|end| blobs.slice(span.offset as usize..end as usize))
            .ok_or_else(|| ArchiveError::OutOfBounds {
                path: path.to_owned(),
            })
    };
    let files = manifest
        .files
        .into_iter()
        .map(|entry| {
            Ok(StoredFile {
                identity: slice(&entry.path, entry.identity)?,
                brotli: entry
                    .brotli
                    .map(|span| slice(&entry.path, span))
                    .transpose()?,
                gzip: entry
                    .gzip
                    .map(|span| slice(&entry.path, span))
                    .transpose()?,
                path: entry.path,
                content_type: entry.content_type,
                immutable: entry.immutable,
                hash: entry.hash,
            })
        })
        .collect::<Result<_, ArchiveError>>()?;
    Ok(Archive {
        script_stem: manifest.script_stem,
        stylesheet: manifest.stylesheet,
        files,
    })
}
