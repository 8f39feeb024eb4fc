#!/usr/bin/env bash
# Installs what building, running and testing the app needs, and only what is missing: every step checks
# first and is skipped when already satisfied, so running this again costs a few seconds.
#
# Needs: rustup + cargo, Node.js 20 + npm, Python 3.9+, and root (or sudo) for Debian's Chromium.
# Nothing is downloaded from outside the package registries (crates.io, npm, PyPI, Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.11
SCHEMATHESIS_VERSION=4.32.5
export PATH="$HOME/.cargo/bin:$PATH"

have() { printf '  ok    %s\n' "$*"; }
install() { printf '  add   %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

echo "==> setup: checking tools"

# The browser half of the app compiles to WebAssembly.
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  have "rust target wasm32-unknown-unknown"
else
  install "rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos builds server + wasm + CSS. Its own lockfile pins a crate that declares a newer Rust
# (hence --ignore-rust-version); `no_downloads` makes it use the tools below instead of fetching its own.
if cargo leptos --version 2>/dev/null | grep -qF "$CARGO_LEPTOS_VERSION"; then
  have "cargo-leptos $CARGO_LEPTOS_VERSION"
else
  install "cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes on 2 cores)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --ignore-rust-version \
    --features no_downloads
fi

# The wasm-bindgen CLI must be the exact version of the wasm-bindgen crate in Cargo.lock. Not --locked:
# its lockfile pins a webpki-roots release the registry no longer serves; the resolver picks one that
# builds with this Rust instead.
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $wasm_bindgen_version" ]; then
  have "wasm-bindgen CLI $wasm_bindgen_version"
else
  install "wasm-bindgen CLI $wasm_bindgen_version (about 2 minutes)"
  CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --force
fi

# Playwright drives Debian's Chromium; it never downloads a browser of its own.
if [ -x /usr/bin/chromium ]; then
  have "chromium ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
else
  install "chromium from Debian"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# npm packages, exactly as the committed lockfiles say: wasm-opt (binaryen) at the root, where
# cargo-leptos looks for it, and Playwright in end2end/.
for dir in . end2end; do
  if [ -d "$dir/node_modules" ] && [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    have "npm packages in $dir"
  else
    install "npm packages in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

# schemathesis (PyPI) fuzzes the running API against its own OpenAPI document in scripts/test.sh. In a
# virtualenv in .venv/ (gitignored), so the system's Python stays as it was; Debian ships `venv`
# separately.
if [ "$(.venv/bin/schemathesis --version 2>/dev/null)" = "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  have "schemathesis $SCHEMATHESIS_VERSION (.venv/)"
else
  install "schemathesis $SCHEMATHESIS_VERSION into .venv/ (about a minute)"
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# --- Test tools: the standards' own suites (conformance/run.sh, which scripts/test.sh runs) ---------
# graphql-http (the GraphQL over HTTP audit) and @redocly/cli (OpenAPI lint) from npm, exactly as
# conformance/package-lock.json says; openapi-spec-validator from PyPI into .venv/ (made above).
OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0
if [ -d conformance/node_modules ] \
  && [ ! conformance/package-lock.json -nt conformance/node_modules/.package-lock.json ]; then
  have "npm packages in conformance"
else
  install "npm packages in conformance (graphql-http, @redocly/cli)"
  (cd conformance && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ "$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("openapi-spec-validator"))' 2>/dev/null)" \
  = "$OPENAPI_SPEC_VALIDATOR_VERSION" ]; then
  have "openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION (.venv/)"
else
  install "openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION into .venv/"
  .venv/bin/pip install --quiet --disable-pip-version-check \
    "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION"
fi
# --- end of the standards' suites ------------------------------------------------------------------

echo "==> setup: done"
