"""The skeleton the loopback fakes of the platforms share: an HTTP server on 127.0.0.1 (a free port)
serving one handler class in a daemon thread."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class Loopback:
    server: ThreadingHTTPServer
    thread: threading.Thread

    def serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}" if isinstance(host, str) else f"http://{host.decode()}:{port}"

    def start(self) -> Self:
        self.thread.start()
        return self

    def before_stop(self) -> None:
        """Release what a held request waits for (a fake's fault may hold one)."""

    def stop(self) -> None:
        self.before_stop()
        self.server.shutdown()
        self.server.server_close()
