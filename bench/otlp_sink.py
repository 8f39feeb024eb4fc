#!/usr/bin/env python3
"""bench/otlp_sink.py PORT COUNTS_FILE — the local OTLP/HTTP collector of bench/observability.sh, as
little as a collector can be: for every POST (/v1/traces, protobuf) it reads the body and answers 200
with an empty body (an empty ExportTraceServiceResponse), on keep-alive connections. It decodes
nothing: the benchmark measures the server's side of exporting, not a collector. It counts the exports,
the bytes and the request spans (each holds the attribute key `url.path` once: a byte search, not a
decoding) in memory and writes them to COUNTS_FILE when stopped (SIGTERM), with its own CPU time."""
import http.server
import os
import signal
import sys

PORT, COUNTS = int(sys.argv[1]), sys.argv[2]
exports = 0
received = 0
request_spans = 0


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global exports, received, request_spans
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        exports += 1
        received += len(body)
        request_spans += body.count(b"url.path")
        self.send_response_only(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def stop(*_):
    times = os.times()
    with open(COUNTS, "w") as counts:
        counts.write(
            f"{exports} exports, {received} bytes, {request_spans} request spans; "
            f"the sink's CPU {times.user + times.system:.1f} s\n"
        )
    os._exit(0)


signal.signal(signal.SIGTERM, stop)
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Sink).serve_forever()
