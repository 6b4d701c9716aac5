"""A real HTTP receiver for webhook tests: a `http.server` on 127.0.0.1 in a thread.

It answers each POST with the next status of `statuses` (the last one repeats), records the
request's headers and raw body, and stops by itself after `max_requests` requests or `timeout`
seconds, whichever comes first.

    with Receiver(statuses=[500, 500, 200]) as receiver:
        ...                                   # point a webhook at receiver.url
        receiver.wait_for(3)                  # the requests it got, once there are 3
"""

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict
    body: bytes


class Receiver:
    def __init__(self, *, statuses=(200,), max_requests: int = 20, timeout: float = 30, location: str = ""):
        self.statuses = list(statuses)
        self.max_requests = max_requests
        self.timeout = timeout
        self.location = location
        self.received: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                    index = min(len(receiver.received) - 1, len(receiver.statuses) - 1)
                status = receiver.statuses[index]
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.server.timeout = 0.2
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and len(self.received) < self.max_requests:
            self.server.handle_request()
        self.server.server_close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.max_requests = 0  # the loop ends at its next turn
        self._thread.join(timeout=5)

    def wait_for(self, count: int, *, timeout: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"The receiver got {len(self.received)} requests, not {count}, in {timeout}s.")
            time.sleep(0.05)
        return list(self.received)
