#!/usr/bin/env python3
"""bench/otlp_sink.py PORT COUNTS_FILE — the local OTLP/HTTP collector of bench/observability.sh:
accepts every POST (/v1/traces, protobuf), answers 200 with an empty ExportTraceServiceResponse,
and keeps the number of exports and bytes received in COUNTS_FILE. It decodes nothing: the
benchmark measures the server's side of exporting, not a collector."""
import http.server
import sys

PORT, COUNTS = int(sys.argv[1]), sys.argv[2]
exports = 0
received = 0


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global exports, received
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        exports += 1
        received += len(body)
        with open(COUNTS, "w") as counts:
            counts.write(f"{exports} exports, {received} bytes\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Sink).serve_forever()
