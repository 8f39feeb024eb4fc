#!/usr/bin/env python3
# bench/accounts.py — sign-ins under load against the release binary (issue 22): sign-ins per second,
# the server's peak memory while 50 clients sign in at once, the median time of unknown-user vs
# wrong-password sign-ins (interleaved, so drift hits both alike), and reads signed in vs anonymous.
#
#   bench/accounts.py [DATABASE_URL]     default: a fresh SQLite file in a temporary folder
#
# Starts target/release/leptos-api-routes (build it first: `env -u RUSTFLAGS cargo build --release
# --locked --features ssr`) on 127.0.0.1:$PORT (default 3310) with only the variables below, the
# sign-in and write limits off and a request timeout of 60 s, so every attempt is measured rather
# than refused. Prints markdown rows for bench/README.md `## Accounts`. Stops what it started;
# every wait is bounded. Stdlib only: threads with http.client (one connection each).
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(os.environ.get("SERVER_BIN", os.path.join(ROOT, "target/release/leptos-api-routes")))
PORT = int(os.environ.get("PORT", "3310"))
HOST = "127.0.0.1"
PASSWORD = "correct horse battery staple"
RUNS = int(os.environ.get("TIMING_RUNS", "200"))


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def request(method, path, body=None, timeout=60):
    connection = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
    try:
        headers = {"content-type": "application/json"} if body is not None else {}
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def sign_in(username, password):
    return request("POST", "/api/auth/signin", {"username": username, "password": password})


def signed_in_cookie(username="alice"):
    connection = http.client.HTTPConnection(HOST, PORT, timeout=60)
    try:
        connection.request("POST", "/api/auth/signin",
                           json.dumps({"username": username, "password": PASSWORD}),
                           {"content-type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.getheader("set-cookie").split(";")[0]
    finally:
        connection.close()


def wrk_rps(path, headers):
    """Requests per second of `wrk -t1 -c16 -d5s` on `path` (after a 2 s warm-up)."""
    command = ["timeout", "60", "wrk", "-t1", "-c16", "--timeout", "5s", *headers,
               f"http://{HOST}:{PORT}{path}"]
    subprocess.run(command[:5] + ["-d2s"] + command[5:], capture_output=True, check=True)
    out = subprocess.run(command[:5] + ["-d5s"] + command[5:], capture_output=True, text=True,
                         check=True).stdout
    return float(next(line.split()[1] for line in out.splitlines()
                      if line.startswith("Requests/sec:")))


def wait_until_up(process):
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit("the server exited at start")
        try:
            if request("GET", "/api/hello", timeout=1) == 200:
                return
        except OSError:
            time.sleep(0.05)
    sys.exit("the server did not answer in 30 s")


def in_parallel(count, work):
    """`count` threads, released together; their results, and the wall time."""
    results = [None] * count
    start = threading.Barrier(count + 1)

    def run(i):
        start.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(120)
    return results, time.perf_counter() - began


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} missing: env -u RUSTFLAGS cargo build --release --locked --features ssr")
    scratch = tempfile.mkdtemp(prefix="bench-accounts.")
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite://{scratch}/bench.db"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/"),
        "DATABASE_URL": url,
        "LEPTOS_SITE_ADDR": f"{HOST}:{PORT}",
        "LEPTOS_SITE_ROOT": os.path.join(ROOT, "target/site"),
        "RUST_LOG": "warn",
        "RATE_LIMIT_PER_MINUTE": "0",
        "SIGNIN_LIMIT_PER_MINUTE": "0",
        "SIGNIN_ADDRESS_LIMIT_PER_MINUTE": "0",
        "REQUEST_TIMEOUT_MS": "60000",
    }
    server = subprocess.Popen([BIN], env=env, cwd=scratch, stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(scratch, "server.log"), "w"))
    try:
        wait_until_up(server)
        time.sleep(1)
        idle_kib = status_kib(server.pid, "VmRSS")  # started, nothing hashed yet
        assert request("POST", "/api/auth/signup", {"username": "alice", "password": PASSWORD}) == 201
        for _ in range(5):  # warm-up: the allocator's arenas, the connections, the code paths
            sign_in("alice", PASSWORD)
            sign_in("nobody", PASSWORD)
        warm_kib = status_kib(server.pid, "VmHWM")

        # Peak memory: 50 clients sign in at once (half right, half wrong passwords).
        statuses, _ = in_parallel(50, lambda i: sign_in("alice", PASSWORD if i % 2 else "wrong password"))
        assert all(status in (200, 401) for status in statuses), statuses
        peak_kib = status_kib(server.pid, "VmHWM")

        # Sign-ins per second: 200 correct sign-ins from 8 clients.
        per_client = 25
        statuses, elapsed = in_parallel(
            8, lambda i: [sign_in("alice", PASSWORD) for _ in range(per_client)])
        done = sum(1 for run in statuses for status in run if status == 200)
        rate = done / elapsed

        # Unknown user vs wrong password, interleaved, one at a time.
        unknown, wrong = [], []
        for n in range(RUNS):
            for sample, name in ((unknown, "nobody"), (wrong, "alice")) if n % 2 else (
                    (wrong, "alice"), (unknown, "nobody")):
                began = time.perf_counter()
                status = sign_in(name, "not the password")
                sample.append(time.perf_counter() - began)
                assert status == 401, status
        unknown_ms, wrong_ms = statistics.median(unknown) * 1000, statistics.median(wrong) * 1000

        # Reads signed in vs anonymous: wrk on `/` (the header names the user) and `/api/post`,
        # anonymous and with the session cookie, interleaved, twice each; the sums compared.
        cookie = signed_in_cookie()
        reads = {}
        for _ in range(2):
            for path in ("/", "/api/post"):
                for who, headers in (("anonymous", []), ("signed in", ["-H", f"Cookie: {cookie}"])):
                    reads.setdefault((path, who), []).append(wrk_rps(path, headers))
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        subprocess.run(["rm", "-rf", scratch], check=False)

    cores = os.cpu_count() or 1
    hashes = min(cores, 16)
    budget_kib = idle_kib + 30 * 1024 + hashes * 19 * 1024
    backend = url.split(":", 1)[0]
    print(f"| sign-ins per second ({backend}, 8 clients, 200 sign-ins) | {rate:.1f}/s | |")
    print(f"| RSS idle (started, nothing hashed) → peak (VmHWM) while 50 clients sign in at once | "
          f"{idle_kib / 1024:.1f} → {peak_kib / 1024:.1f} MiB (+{(peak_kib - idle_kib) / 1024:.1f}; "
          f"after 10 warm-up sign-ins {warm_kib / 1024:.1f}) | target ≤ idle + 30 MiB + "
          f"{hashes} hashes × 19 MiB = {budget_kib / 1024:.1f} MiB: "
          f"{'met' if peak_kib <= budget_kib else 'NOT met'} |")
    ratio = unknown_ms / wrong_ms
    print(f"| median sign-in, unknown user vs wrong password ({RUNS} each, interleaved) | "
          f"{unknown_ms:.2f} ms vs {wrong_ms:.2f} ms (×{ratio:.3f}) | target within 5 %: "
          f"{'met' if abs(ratio - 1) <= 0.05 else 'NOT met'} |")
    for path in ("/", "/api/post"):
        anonymous, signed_in = sum(reads[(path, "anonymous")]), sum(reads[(path, "signed in")])
        share = signed_in / anonymous
        print(f"| `GET {path}` signed in vs anonymous (wrk -c16, 2 × 5 s each, interleaved) | "
              f"{signed_in / 2:.0f} vs {anonymous / 2:.0f} req/s (×{share:.3f}) | target ≥ ×0.95: "
              f"{'met' if share >= 0.95 else 'NOT met'} |")


if __name__ == "__main__":
    main()
