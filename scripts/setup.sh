#!/usr/bin/env bash
# Installs what the project needs, and only what is missing: every block checks first and is skipped
# when already satisfied, so running this again costs a few seconds.
#
#   scripts/setup.sh build   what building and running the app needs (`make dev`, `bench/run.sh`)
#   scripts/setup.sh test    build, plus what the checks and tests need (`make test`, CI); the default
#
# Needs: rustup + cargo and Node.js 20 + npm; for `test` also Python 3.9+ and root (or sudo) for
# Debian's packages. Nothing is downloaded from outside the package registries (crates.io, npm, PyPI,
# Debian). A new tool goes into the function of the command that needs it: into `test_tools` when
# only a check or a test uses it, so `make dev` does not wait for it.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.11
SCHEMATHESIS_VERSION=4.32.5
OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0
export PATH="$HOME/.cargo/bin:$PATH"

have() { printf '  ok    %s\n' "$*"; }
install() { printf '  add   %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# The npm packages of a folder, exactly as its committed lockfile says.
npm_packages() {
  local dir=$1 what=$2
  if [ -d "$dir/node_modules" ] && [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    have "npm packages in $dir ($what)"
  else
    install "npm packages in $dir ($what)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

build_tools() {
  echo "==> setup: build tools"

  # The browser half of the app compiles to WebAssembly.
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    have "rust target wasm32-unknown-unknown"
  else
    install "rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi

  # cargo-leptos builds server + wasm + CSS. Its own lockfile pins a crate that declares a newer Rust
  # (hence --ignore-rust-version); `no_downloads` makes it use the tools below instead of fetching
  # its own.
  if cargo leptos --version 2>/dev/null | grep -qF "$CARGO_LEPTOS_VERSION"; then
    have "cargo-leptos $CARGO_LEPTOS_VERSION"
  else
    install "cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes on 2 cores)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --ignore-rust-version \
      --features no_downloads
  fi

  # The wasm-bindgen CLI must be the exact version of the wasm-bindgen crate in Cargo.lock. Not
  # --locked: its lockfile pins a webpki-roots release the registry no longer serves; the resolver
  # picks one that builds with this Rust instead.
  local wasm_bindgen_version
  wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
  if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $wasm_bindgen_version" ]; then
    have "wasm-bindgen CLI $wasm_bindgen_version"
  else
    install "wasm-bindgen CLI $wasm_bindgen_version (about 2 minutes)"
    CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
      cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --force
  fi

  # wasm-opt (npm's binaryen) for the release wasm, at the root, where cargo-leptos looks for it.
  npm_packages . "wasm-opt"
}

test_tools() {
  echo "==> setup: test tools"

  # Playwright drives Debian's Chromium; it never downloads a browser of its own.
  if [ -x /usr/bin/chromium ]; then
    have "chromium ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
  else
    install "chromium from Debian (about 30 seconds)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi

  npm_packages end2end "Playwright"

  # Containers (tests/deploy/container.rs, deploy/build-image.sh): buildah builds and starts the image
  # of deploy/Containerfile with no daemon and no registry (the image is FROM scratch).
  if command -v buildah >/dev/null; then
    have "buildah $(buildah --version | awk '{ print $3 }')"
  else
    install "buildah from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah >/dev/null
  fi

  # systemd (tests/deploy/systemd.rs): systemd-socket-activate and systemd-analyze, from Debian's
  # systemd package, stand in for systemd to test socket activation and check the units; systemd
  # itself need not be running.
  if command -v systemd-socket-activate >/dev/null; then
    have "systemd-socket-activate"
  else
    install "systemd from Debian (systemd-socket-activate, systemd-analyze)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null
  fi

  # PostgreSQL, for the tests and the benchmark on the second backend (scripts/test.sh and bench/run.sh
  # start a throwaway cluster of their own; scripts/sqlx-prepare.sh checks the PostgreSQL queries
  # against one), and `sqlite3`, which scripts/sqlx-prepare.sh builds its scratch SQLite file with.
  # Debian's server binaries land in /usr/lib/postgresql/N/bin, off PATH: the scripts look there. The
  # package also sets up and starts a cluster of its own on port 5432, which nothing here uses.
  local postgres_bin
  postgres_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  # openssl makes the certificate of the TLS tests (tests/postgres/tls.rs).
  if [ -n "$postgres_bin" ] && [ -x "$postgres_bin/initdb" ] && command -v psql >/dev/null \
    && command -v sqlite3 >/dev/null && command -v openssl >/dev/null; then
    have "postgresql ($("$postgres_bin/postgres" --version 2>/dev/null | awk '{print $3}')), sqlite3, openssl"
  else
    install "postgresql, sqlite3 and openssl from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql sqlite3 openssl >/dev/null
  fi

  # Issue 25 (docs/high-availability.md): tests/postgres/failover.rs runs a Patroni cluster (etcd as
  # its store) behind HAProxy; the pooler tests and scripts/test.sh run PgBouncer. Debian starts
  # none of them at install; the tests start and remove their own.
  if command -v patroni >/dev/null && command -v etcd >/dev/null && command -v etcdctl >/dev/null \
    && command -v haproxy >/dev/null && command -v pgbouncer >/dev/null; then
    have "patroni, etcd, haproxy, pgbouncer ($(pgbouncer --version 2>/dev/null | head -n 1))"
  else
    install "patroni, etcd-server, etcd-client, haproxy and pgbouncer from Debian (about 20 seconds)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patroni python3-etcd \
      etcd-server etcd-client haproxy pgbouncer >/dev/null
  fi

  # Prometheus (Debian 12: 2.42) and its `promtool`: tests/observability starts a throwaway one that
  # scrapes the server, and checks the exposition with promtool. Debian starts no service for it here.
  if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
    have "prometheus ($(prometheus --version 2>&1 | awk 'NR == 1 {print $3}'))"
  else
    install "prometheus from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
  fi

  # schemathesis (PyPI) fuzzes the running API against its own OpenAPI document in scripts/test.sh.
  # In a virtualenv in .venv/ (gitignored), so the system's Python stays as it was; Debian ships
  # `venv` separately.
  if [ "$(.venv/bin/schemathesis --version 2>/dev/null)" = "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    have "schemathesis $SCHEMATHESIS_VERSION (.venv/)"
  else
    install "schemathesis $SCHEMATHESIS_VERSION into .venv/ (about 10 seconds)"
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    fi
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  # The standards' own suites (conformance/run.sh, which scripts/test.sh runs): graphql-http (the
  # GraphQL over HTTP audit) and @redocly/cli (OpenAPI lint) from npm, exactly as
  # conformance/package-lock.json says; openapi-spec-validator from PyPI into .venv/ (made above).
  npm_packages conformance "graphql-http, @redocly/cli"
  if [ "$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("openapi-spec-validator"))' 2>/dev/null)" \
    = "$OPENAPI_SPEC_VALIDATOR_VERSION" ]; then
    have "openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION (.venv/)"
  else
    install "openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION into .venv/"
    .venv/bin/pip install --quiet --disable-pip-version-check \
      "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION"
  fi
}

case "${1:-test}" in
  build) build_tools ;;
  test)
    # Two statements, not `build_tools && test_tools`: `set -e` does not stop a function called on
    # the left of `&&`, so a failed install there would go unnoticed.
    build_tools
    test_tools
    ;;
  *)
    echo "usage: scripts/setup.sh [build|test]" >&2
    exit 2
    ;;
esac
echo "==> setup: done"
