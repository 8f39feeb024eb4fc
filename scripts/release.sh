#!/usr/bin/env bash
# The one-file release: builds the site and the server for release, then packs the finished site
# into a copy of the server binary. Deploying is copying that one file (see docs/deploy.md).
#
#   scripts/release.sh            # writes target/dist/leptos-api-routes
#
# Two steps, in this order on purpose: cargo-leptos builds the server and the front end at the same
# time and empties target/site when it starts, so the site is packed only once the build returns.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

out=target/dist/leptos-api-routes

# The release build chooses its own flags; a RUSTFLAGS left over from a debug shell would change them.
env -u RUSTFLAGS cargo leptos build --release
target/release/leptos-api-routes pack target/site "$out"
