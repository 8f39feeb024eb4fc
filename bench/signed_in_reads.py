#!/usr/bin/env python3
# bench/signed_in_reads.py — reads signed in vs anonymous (issue 22: "reads of pages and API routes
# signed in: no more than 5 % below anonymous"). Like with like: each path read anonymous and by Bob,
# a signed-in user who is not the post's author, so the signed-in page is the same page plus the
# header's name. The author's own post page (Alice: her Edit and Delete forms carry the post's text
# again) is a separate row: a larger page, not only a session lookup more. wrk, interleaved: each
# round runs every path as every reader, so drift hits them alike; the table gives the medians.
#
#   bench/signed_in_reads.py [DATABASE_URL]     default: a fresh SQLite file in a temporary folder
#
# Starts target/release/leptos-api-routes (or SERVER_BIN) the way bench/accounts.py does, whose
# helpers it uses; ROUNDS (default 3) rounds; prints markdown rows for bench/README.md
# `## Signed-in reads`. A PostgreSQL DATABASE_URL must name an empty database.
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile

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
        for username in ("alice", "bob"):
            assert request("POST", "/api/auth/signup", {"username": username, "password": PASSWORD}) == 201
        alice, bob = signed_in_cookie("alice"), signed_in_cookie("bob")
        # Alice's post, with a comment.
        post = accounts_post(alice)
        assert request("POST", f"/api/comments/{post}", {"comment": "A comment"}) == 201
        readers = {"anonymous": [], "bob": ["-H", f"Cookie: {bob}"], "alice": ["-H", f"Cookie: {alice}"]}
        # (path, readers measured): Alice only on her own page.
        paths = [("/", ("anonymous", "bob")),
                 (f"/posts/{post}", ("anonymous", "bob", "alice")),
                 (f"/api/post/{post}", ("anonymous", "bob")),
                 ("/api/post", ("anonymous", "bob"))]
        rps = {}
        for _ in range(ROUNDS):
            for path, who in paths:
                for reader in who:
                    rps.setdefault((path, reader), []).append(wrk_rps(path, readers[reader]))
    finally:
        server.terminate()
        server.wait(30)
    print(f"binary: {BIN}; {ROUNDS} rounds of wrk -t1 -c16, 5 s each, interleaved; medians (req/s)")
    for path, who in paths:
        anonymous = statistics.median(rps[(path, "anonymous")])
        for reader in who[1:]:
            signed_in = statistics.median(rps[(path, reader)])
            ratio = signed_in / anonymous
            verdict = "met" if ratio >= 0.95 else "NOT met"
            label = "Bob, not the author" if reader == "bob" else "Alice, the author: her Edit and Delete forms"
            print(f"| `GET {path}` signed in ({label}) vs anonymous | {signed_in:.0f} vs {anonymous:.0f} "
                  f"req/s (×{ratio:.3f}) | {verdict} |")


def accounts_post(cookie):
    """Creates a post (1 000 characters) as the cookie's user; its id."""
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
