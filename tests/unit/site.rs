//! The site archive: as `pack` writes it, and as the server reads it back.

mod pack {
    use std::{fs, io::Read};

    use leptos_api_routes::site::{
        AssetUrls,
        archive::{FileEntry, Manifest, Span},
        pack::*,
    };

    /// A site as cargo-leptos leaves it, with a wasm big enough to be compressed.
    fn built_site() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("pkg")).unwrap();
        fs::write(
            root.path().join("pkg/app.js"),
            "export default 1;\n".repeat(100),
        )
        .unwrap();
        fs::write(root.path().join("pkg/app.wasm"), b"\0asm".repeat(1000)).unwrap();
        fs::write(root.path().join("pkg/app.css"), "body { color: red }").unwrap();
        fs::write(root.path().join("favicon.svg"), "<svg/>").unwrap();
        root
    }

    fn entry<'a>(manifest: &'a Manifest, path: &str) -> &'a FileEntry {
        manifest
            .files
            .iter()
            .find(|file| file.path == path)
            .unwrap_or_else(|| panic!("{path} in {:?}", manifest.files))
    }

    #[test]
    fn the_js_wasm_and_css_get_content_hashed_names_and_other_files_keep_theirs() {
        let site = built_site();

        let (_, manifest) = build(site.path(), "app").unwrap();

        let stem = &manifest.script_stem;
        assert!(
            stem.starts_with("app.") && stem.len() == "app.".len() + 16,
            "{stem}"
        );
        let assets = AssetUrls::new(stem, &manifest.stylesheet);
        assert!(entry(&manifest, &assets.script()).immutable);
        assert!(entry(&manifest, &assets.wasm()).immutable);
        assert!(entry(&manifest, &manifest.stylesheet).immutable);
        assert!(!entry(&manifest, "/favicon.svg").immutable);
        assert_eq!(manifest.files.len(), 4);
    }

    #[test]
    fn a_change_to_the_wasm_changes_the_script_names() {
        let site = built_site();
        let (_, before) = build(site.path(), "app").unwrap();

        fs::write(site.path().join("pkg/app.wasm"), b"\0asm changed").unwrap();
        let (_, after) = build(site.path(), "app").unwrap();

        assert_ne!(before.script_stem, after.script_stem);
        assert_eq!(before.stylesheet, after.stylesheet);
    }

    #[test]
    fn large_files_are_stored_with_brotli_and_gzip_that_decompress_to_the_original() {
        let site = built_site();
        let (blobs, manifest) = build(site.path(), "app").unwrap();
        let assets = AssetUrls::new(&manifest.script_stem, &manifest.stylesheet);
        let wasm = entry(&manifest, &assets.wasm());
        let bytes = |span: Span| &blobs[span.offset as usize..(span.offset + span.len) as usize];

        let mut from_brotli = Vec::new();
        brotli::BrotliDecompress(&mut bytes(wasm.brotli.unwrap()), &mut from_brotli).unwrap();
        let mut from_gzip = Vec::new();
        flate2::read::GzDecoder::new(bytes(wasm.gzip.unwrap()))
            .read_to_end(&mut from_gzip)
            .unwrap();

        assert_eq!(from_brotli, bytes(wasm.identity));
        assert_eq!(from_gzip, bytes(wasm.identity));
        assert!(wasm.brotli.unwrap().len < wasm.identity.len);
    }

    #[test]
    fn small_files_are_stored_only_as_they_are() {
        let site = built_site();

        let (_, manifest) = build(site.path(), "app").unwrap();

        let favicon = entry(&manifest, "/favicon.svg");
        assert!(favicon.brotli.is_none() && favicon.gzip.is_none());
    }

    #[test]
    fn a_site_without_its_wasm_is_refused_with_the_missing_path() {
        let site = built_site();
        fs::remove_file(site.path().join("pkg/app.wasm")).unwrap();

        let error = build(site.path(), "app").unwrap_err();

        assert!(error.to_string().contains("app.wasm"), "{error}");
        assert!(matches!(error, PackError::Missing(_)));
    }

    #[test]
    fn packing_a_packed_binary_replaces_its_site() {
        let site = built_site();
        let folder = tempfile::tempdir().unwrap();
        let program = folder.path().join("program");
        fs::write(&program, b"\x7fELF the program").unwrap();
        let once = folder.path().join("once");
        let twice = folder.path().join("twice");

        pack_binary(&program, site.path(), "app", &once).unwrap();
        let packed = pack_binary(&once, site.path(), "app", &twice).unwrap();

        assert_eq!(packed.program_bytes, b"\x7fELF the program".len());
        assert_eq!(fs::read(&once).unwrap(), fs::read(&twice).unwrap());
    }
}

mod archive {
    use std::io;

    use leptos_api_routes::site::archive::*;

    fn manifest_with(file: FileEntry) -> Manifest {
        Manifest {
            script_stem: "app.0123".to_owned(),
            stylesheet: "/pkg/app.4567.css".to_owned(),
            files: vec![file],
        }
    }

    fn entry(identity: Span, brotli: Option<Span>) -> FileEntry {
        FileEntry {
            path: "/favicon.svg".to_owned(),
            content_type: "image/svg+xml".to_owned(),
            immutable: false,
            hash: "abc".to_owned(),
            identity,
            brotli,
            gzip: None,
        }
    }

    fn write_binary(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        io::Write::write_all(&mut file, bytes).unwrap();
        file
    }

    #[test]
    fn an_appended_archive_is_read_back_with_each_file_and_its_variants() {
        let mut binary = b"\x7fELF the program".to_vec();
        let blobs = b"<svg/>BR";
        let manifest = manifest_with(entry(
            Span { offset: 0, len: 6 },
            Some(Span { offset: 6, len: 2 }),
        ));
        append(&mut binary, blobs, &manifest).unwrap();
        let file = write_binary(&binary);

        let archive = read_from(file.path()).unwrap().expect("an archive");

        assert_eq!(archive.script_stem, "app.0123");
        assert_eq!(archive.stylesheet, "/pkg/app.4567.css");
        assert_eq!(archive.files[0].path, "/favicon.svg");
        assert_eq!(&archive.files[0].identity[..], b"<svg/>");
        assert_eq!(archive.files[0].brotli.as_deref(), Some(&b"BR"[..]));
        assert_eq!(program_len(&binary), b"\x7fELF the program".len());
    }

    #[test]
    fn a_binary_without_an_archive_has_none_and_is_all_program() {
        let binary = b"\x7fELF just the program, long enough to hold a trailer".to_vec();
        let file = write_binary(&binary);

        assert!(read_from(file.path()).unwrap().is_none());
        assert_eq!(program_len(&binary), binary.len());
    }

    #[test]
    fn a_file_whose_span_leaves_the_blobs_is_refused() {
        let mut binary = b"program".to_vec();
        let manifest = manifest_with(entry(Span { offset: 4, len: 10 }, None));
        append(&mut binary, b"tiny", &manifest).unwrap();
        let file = write_binary(&binary);

        let error = read_from(file.path()).unwrap_err();

        assert!(matches!(error, ArchiveError::OutOfBounds { .. }), "{error}");
    }

    #[test]
    fn lengths_longer_than_the_file_are_refused() {
        let mut binary = b"program".to_vec();
        binary.extend_from_slice(&u64::MAX.to_le_bytes());
        binary.extend_from_slice(&1u64.to_le_bytes());
        binary.extend_from_slice(MAGIC);
        let file = write_binary(&binary);

        let error = read_from(file.path()).unwrap_err();

        assert!(matches!(error, ArchiveError::Truncated), "{error}");
    }
}

/// Which stored coding an `Accept-Encoding` gets.
mod serve {
    use leptos_api_routes::site::serve::{Coding, choose};

    #[test]
    fn a_browser_that_accepts_both_gets_brotli() {
        assert_eq!(
            choose("gzip, deflate, br, zstd", true, true),
            Coding::Brotli
        );
    }

    #[test]
    fn a_client_that_accepts_only_gzip_gets_gzip() {
        assert_eq!(choose("gzip", true, true), Coding::Gzip);
        assert_eq!(choose("x-gzip", true, true), Coding::Gzip);
    }

    #[test]
    fn a_client_that_accepts_neither_gets_the_file_as_it_is() {
        assert_eq!(choose("", true, true), Coding::Identity);
        assert_eq!(choose("deflate, zstd", true, true), Coding::Identity);
    }

    #[test]
    fn quality_values_decide_and_zero_refuses() {
        assert_eq!(choose("br;q=0.5, gzip;q=0.8", true, true), Coding::Gzip);
        assert_eq!(choose("br;q=0, gzip", true, true), Coding::Gzip);
        assert_eq!(choose("gzip;q=0, br;q=0", true, true), Coding::Identity);
        assert_eq!(choose("*;q=0.1", true, true), Coding::Brotli);
        assert_eq!(choose("*, br;q=0", true, true), Coding::Gzip);
    }

    #[test]
    fn a_coding_that_was_not_stored_is_not_chosen() {
        assert_eq!(choose("br, gzip", false, true), Coding::Gzip);
        assert_eq!(choose("br", false, false), Coding::Identity);
    }

    #[test]
    fn a_malformed_quality_counts_as_refused() {
        assert_eq!(choose("br;q=lots, gzip", true, true), Coding::Gzip);
    }
}
