"""An HTTP webhook receiver on 127.0.0.1 that verifies signatures and can fail for a while."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dispatcher.notify.webhooks import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)


@dataclass
class Receiver:
    """Processes each idempotency key once; answers 500 to the first `fail_next` requests."""

    secret: str = ""
    fail_next: int = 0
    requests: int = 0
    bad_signatures: int = 0
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: int = 0
    hold: threading.Event = field(default_factory=threading.Event)
    seen: threading.Event = field(default_factory=threading.Event)
    stall_after: int | None = None  # answer this many requests, then hold the next one
    stalled: threading.Event = field(default_factory=threading.Event)  # it is being held
    hosts: list[str] = field(default_factory=list)  # the Host header of each request

    def __post_init__(self) -> None:
        self.hold.set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real subscriber's server does

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(receiver.handle(dict(self.headers.items()), body))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            self.requests += 1
            self.hosts.append(headers.get("Host", ""))
            self.seen.set()
            if self.stall_after is not None and self.requests > self.stall_after:
                self.stall_after = None
                self.hold.clear()
                self.stalled.set()
        self.hold.wait(30)
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return 500
            ok = verify(
                self.secret,
                headers.get(TIMESTAMP_HEADER, ""),
                body,
                headers.get(SIGNATURE_HEADER, ""),
                300,
            )
            if not ok:
                self.bad_signatures += 1
                return 401
            key = headers.get(IDEMPOTENCY_HEADER, "")
            if key in self.events:
                self.duplicates += 1
                return 200
            self.events[key] = json.loads(body)
            return 200

    def statuses(self) -> list[str]:
        return [e["status"] for e in sorted(self.events.values(), key=lambda e: e["event_id"])]

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()
