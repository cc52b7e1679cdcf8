"""An HTTP-only SMS provider on 127.0.0.1: takes messages, then posts delivery reports back."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


@dataclass
class SmsProvider:
    """Checks its bearer token; answers `fail_status` to the first `fail_next` messages; posts
    a report of `report_status` to `report_url`, again while that answers 404 (as providers do)."""

    token: str = "provider-token"
    fail_next: int = 0
    fail_status: int = 503
    report_url: str | None = None
    report_token: str = ""
    report_status: str = "delivered"
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    reports: list[tuple[str, int]] = field(default_factory=list)  # (message id, our answer)
    drop_next: int = 0  # take this many messages, then hang up without an answer

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._closing = threading.Event()  # set by close(): pending reports stop
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, answer = provider.handle(self.headers.get("Authorization", ""), body)
                if provider.drop_next > 0:
                    provider.drop_next -= 1
                    self.close_connection = True
                    return  # the message is taken; the answer never comes
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/messages"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def handle(self, authorization: str, body: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests += 1
            if authorization != f"Bearer {self.token}":
                return 401, {"error": "unauthorized"}
            if self.fail_next > 0:
                self.fail_next -= 1
                return self.fail_status, {"error": "try later"}
            message = json.loads(body)
            message_id = f"HTTP{len(self.messages) + 1:06d}"
            self.messages.append(message | {"id": message_id})
        if self.report_url:
            thread = threading.Thread(target=self._report, args=(message_id,), daemon=True)
            self._threads.append(thread)
            thread.start()
        return 200, {"id": message_id}

    def _report(self, message_id: str) -> None:
        headers = {"Authorization": f"Bearer {self.report_token}"}
        report = {"id": message_id, "status": self.report_status}
        assert self.report_url is not None
        deadline = time.monotonic() + 30  # a loaded machine may commit the send late
        while time.monotonic() < deadline:
            if self._closing.is_set():
                return  # the test is over: its API may be gone
            try:
                status = httpx.post(self.report_url, json=report, headers=headers).status_code
            except httpx.TransportError:
                time.sleep(0.05)  # a busy machine's refused or slow connection: try again
                continue
            with self._lock:
                self.reports.append((message_id, status))
            if status != 404:
                return
            time.sleep(0.05)  # our record of the send is not committed yet

    def close(self) -> None:
        self._closing.set()
        for thread in self._threads:
            thread.join(10)
        self.server.shutdown()
        self.server.server_close()
