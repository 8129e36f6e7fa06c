#!/usr/bin/env python3
"""A webhook receiver for the tests of tools/diskquota-notify.

Listens on 127.0.0.1 on a port the system picks, writes that port to
--port-file (atomically), and for each POST appends a line to --requests
(the status it answered) and, if it answered 200, the body as one line to
--out.  The first --fail-first requests are answered 500.  Runs until
killed.
"""

import argparse
import http.server
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--requests", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    args = ap.parse_args()
    failures_left = [args.fail_first]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = 200
            if failures_left[0] > 0:
                failures_left[0] -= 1
                status = 500
            with open(args.requests, "a") as f:
                f.write("%d %s\n" % (status, self.headers.get("Content-Type")))
            if status == 200:
                with open(args.out, "ab") as f:
                    f.write(body.replace(b"\n", b" ") + b"\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, fmt, *a):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
