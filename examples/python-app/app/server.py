"""The HTTP service: GET / answers a greeting as JSON, GET /healthz answers ok."""

import json
import logging
import platform
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from app import __version__

log = logging.getLogger("python-app")


class Handler(BaseHTTPRequestHandler):
    server_version = "python-app/" + __version__

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/":
            body = {
                "message": "Hello, world!",
                "version": __version__,
                "python": platform.python_version(),
            }
            self._send(HTTPStatus.OK, "application/json", json.dumps(body) + "\n")
        elif path == "/healthz":
            self._send(HTTPStatus.OK, "text/plain; charset=utf-8", "ok\n")
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", "not found\n")

    def _send(self, status, content_type, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        log.info("%s %s", self.address_string(), format % args)


def make_server(host="", port=8080):
    """Returns a server bound to host:port (port 0 picks a free one)."""
    return ThreadingHTTPServer((host, port), Handler)
