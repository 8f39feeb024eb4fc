#!/usr/bin/env bash
# Packages the one-file release as an AWS Lambda function: writes target/dist/lambda.zip, which holds
# the release as `bootstrap`, the file Lambda's `provided.al2023` runtime starts. The binary notices it
# runs under Lambda (AWS_LAMBDA_RUNTIME_API) and answers invocations instead of listening; the site is
# inside it, so nothing else goes into the zip.
#
#   scripts/release.sh && deploy/lambda/package.sh [RELEASE [ZIP]]
#
# RELEASE defaults to target/dist/leptos-api-routes, ZIP to target/dist/lambda.zip.
#
# Then create the function from the zip (docs/deploy.md, "Serverless: AWS Lambda"). ALLOWED_HOSTS may
# stay unset there: the function then serves any host, since its front door (Function URL, API
# Gateway) only passes it requests for its own names, over https (src/lambda/mod.rs); set it to
# refuse, say, the execute-api name behind a custom domain. Python writes the zip, so that
# `bootstrap` is stored executable (mode 0755, which Lambda keeps) without `zip` installed, and with a
# fixed date, so the same release always makes the same zip.
set -euo pipefail
cd "$(dirname "$0")/../.."

release=${1:-target/dist/leptos-api-routes}
out=${2:-target/dist/lambda.zip}
if [ ! -f "$release" ]; then
  echo "error: no release at $release: run scripts/release.sh first" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
python3 - "$release" "$out" <<'PYTHON'
import sys, zipfile

release, out = sys.argv[1], sys.argv[2]
entry = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
entry.external_attr = (0o100755 << 16)  # a regular file, rwxr-xr-x
entry.compress_type = zipfile.ZIP_DEFLATED
with open(release, "rb") as binary, zipfile.ZipFile(out, "w") as archive:
    archive.writestr(entry, binary.read(), compresslevel=9)
PYTHON
echo "$out: $(stat -c %s "$out") bytes (bootstrap: $(stat -c %s "$release") bytes)"
