#!/usr/bin/env python3
"""Times one start of a server: from launching COMMAND to the first 200 answer on URL.

    first_answer.py URL -- COMMAND [ARG...]

Launches COMMAND (with this process's environment), then asks `GET URL` over a new connection every
5 ms until the answer is a 200; prints the milliseconds from launch to that answer, then stops the
server with SIGTERM (SIGKILL after 5 s). Gives up after 30 s. bench/run.sh calls it once per start.
"""

import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

POLL_EVERY_S = 0.005
GIVE_UP_AFTER_S = 30


def answers_200(host, port, request):
    try:
        with socket.create_connection((host, port), timeout=1) as connection:
            connection.sendall(request)
            return connection.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    url = urlsplit(sys.argv[1])
    command = sys.argv[3:]
    request = f"GET {url.path or '/'} HTTP/1.1\r\nHost: {url.netloc}\r\nConnection: close\r\n\r\n"

    started = time.perf_counter()
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        while not answers_200(url.hostname, url.port, request.encode()):
            if server.poll() is not None:
                sys.exit(f"first_answer.py: the server exited with {server.returncode} before answering")
            if time.perf_counter() - started > GIVE_UP_AFTER_S:
                sys.exit(f"first_answer.py: no 200 from {sys.argv[1]} within {GIVE_UP_AFTER_S} s")
            time.sleep(POLL_EVERY_S)
        print(f"{(time.perf_counter() - started) * 1000:.1f}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
