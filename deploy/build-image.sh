#!/usr/bin/env bash
# Builds the container image of deploy/Containerfile from the one-file release, with buildah: no
# daemon, no registry (the image is FROM scratch).
#
#   deploy/build-image.sh [BINARY] [TAG]
#     BINARY  the one-file release (default target/dist/leptos-api-routes, from scripts/release.sh)
#     TAG     the image's name (default leptos-api-routes:latest)
#
# The build context it makes holds the binary and the dynamic loader and shared libraries the
# binary links (glibc, libgcc_s: `ldd` lists them), copied from this machine: the image runs where a
# binary built here runs. Where buildah keeps images follows its own configuration
# (CONTAINERS_STORAGE_CONF, `--root`…).
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:-target/dist/leptos-api-routes}
tag=${2:-leptos-api-routes:latest}
[ -x "$binary" ] || { echo "error: $binary is missing: run scripts/release.sh first" >&2; exit 1; }

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/rootfs" "$context/data"
cp "$binary" "$context/rootfs/leptos-api-routes"
# `ldd` prints "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" and the loader as
# "/lib64/ld-linux-x86-64.so.2 (0x…)"; each is copied to the same path in the image.
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
  while read -r library; do
    cp --dereference --parents "$library" "$context/rootfs"
  done

# --format docker: the OCI image format has no HEALTHCHECK. No RUN step, so the default isolation
# is never used; chroot works even inside another container.
buildah bud --format docker --isolation chroot --pull=never \
  -f deploy/Containerfile --tag "$tag" "$context"
buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$tag"
