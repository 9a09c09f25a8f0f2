#!/usr/bin/env python3
"""http_server.py ADDR PORT ROOT [1.0|1.1] - threaded static file server for the bench capture.
GET/HEAD serve files under ROOT (like python3 -m http.server); POST/PUT read the body and
answer 201 with a short JSON body.  Protocol HTTP/1.1 (keep-alive) by default."""
import functools, http.server, socketserver, sys


class H(http.server.SimpleHTTPRequestHandler):
    server_version = 'Apache/2.4.57'
    sys_version = ''

    def do_POST(self):
        n = int(self.headers.get('Content-Length') or 0)
        while n > 0:
            b = self.rfile.read(min(n, 1 << 16))
            if not b:
                break
            n -= len(b)
        body = b'{"status":"stored"}\n'
        self.send_response(201)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST

    def log_message(self, fmt, *a):
        pass


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


if __name__ == '__main__':
    H.protocol_version = 'HTTP/%s' % (sys.argv[4] if len(sys.argv) > 4 else '1.1')
    S((sys.argv[1], int(sys.argv[2])), functools.partial(H, directory=sys.argv[3])).serve_forever()
