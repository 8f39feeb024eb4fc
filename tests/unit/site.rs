//! The site archive as `pack` writes it.

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
