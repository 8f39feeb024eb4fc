#!/usr/bin/env python3
# bench/signed_in_reads.py — reads signed in vs anonymous where a post's author is shown (issue 22,
# authors): the post page (whose author also gets the Edit and Delete forms and their ETag), the
# post's JSON with its strong ETag, the post list, and the home page. wrk, interleaved: each round
# runs every path anonymous then signed in, so drift hits both alike; the table gives the medians.
#
#   bench/signed_in_reads.py [DATABASE_URL]     default: a fresh SQLite file in a temporary folder
#
# Starts target/release/leptos-api-routes (or SERVER_BIN) the way bench/accounts.py does, whose
# helpers it uses; prints markdown rows for bench/README.md `## Signed-in reads`.
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from accounts import BIN, HOST, PASSWORD, PORT, ROOT, request, signed_in_cookie, wait_until_up, wrk_rps

ROUNDS = int(os.environ.get("ROUNDS", "3"))


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} missing: env -u RUSTFLAGS cargo build --release --locked --features ssr")
    scratch = tempfile.mkdtemp(prefix="bench-signed-in.")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/"),
        "DATABASE_URL": sys.argv[1] if len(sys.argv) > 1 else f"sqlite://{scratch}/bench.db",
        "LEPTOS_SITE_ADDR": f"{HOST}:{PORT}",
        "LEPTOS_SITE_ROOT": os.path.join(ROOT, "target/site"),
        "RUST_LOG": "warn",
        "RATE_LIMIT_PER_MINUTE": "0",
        "SIGNIN_LIMIT_PER_MINUTE": "0",
        "SIGNIN_ADDRESS_LIMIT_PER_MINUTE": "0",
    }
    server = subprocess.Popen([BIN], env=env, cwd=scratch, stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(scratch, "server.log"), "w"))
    try:
        wait_until_up(server)
        assert request("POST", "/api/auth/signup", {"username": "alice", "password": PASSWORD}) == 201
        cookie = signed_in_cookie()
        # Alice's post, with a comment: the page she reads is the one with her Edit and Delete.
        post = accounts_post(cookie)
        assert request("POST", f"/api/comments/{post}", {"comment": "A comment"}) == 201
        paths = [f"/posts/{post}", f"/api/post/{post}", "/api/post", "/"]
        rps = {}
        for _ in range(ROUNDS):
            for path in paths:
                for who, headers in (("anonymous", []), ("signed in", ["-H", f"Cookie: {cookie}"])):
                    rps.setdefault((path, who), []).append(wrk_rps(path, headers))
    finally:
        server.terminate()
        server.wait(30)
    for path in paths:
        anonymous = statistics.median(rps[(path, "anonymous")])
        signed_in = statistics.median(rps[(path, "signed in")])
        ratio = signed_in / anonymous
        verdict = "met" if ratio >= 0.95 else "NOT met"
        print(f"| `GET {path}` signed in (the author) vs anonymous, wrk -c16, {ROUNDS} × 5 s each, "
              f"interleaved, medians | {signed_in:.0f} vs {anonymous:.0f} req/s (×{ratio:.3f}) | "
              f"≥ ×0.95: {verdict} |")


def accounts_post(cookie):
    """Creates a post as the cookie's user; its id."""
    connection = http.client.HTTPConnection(HOST, PORT, timeout=60)
    try:
        connection.request("POST", "/api/post", json.dumps({"title": "Benchmarked", "post": "Body " * 200}),
                           {"content-type": "application/json", "cookie": cookie})
        response = connection.getresponse()
        assert response.status == 201, response.status
        return json.loads(response.read())["id"]
    finally:
        connection.close()


if __name__ == "__main__":
    main()
