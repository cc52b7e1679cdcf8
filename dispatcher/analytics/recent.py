"""Reports kept for a short while: a page and its charts read the period only once."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from dispatcher.analytics.report import Report


class RecentReports:
    """Up to `size` reports by key, each reused for `ttl` seconds after it was built."""

    def __init__(self, ttl: float = 60.0, size: int = 16) -> None:
        self.ttl = ttl
        self.size = size
        self._reports: OrderedDict[Hashable, tuple[float, Report]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Report]) -> Report:
        """The report under `key` if still fresh, else a new one from `build()`."""
        now = time.monotonic()
        with self._lock:
            found = self._reports.get(key)
            if found is not None and now - found[0] < self.ttl:
                self._reports.move_to_end(key)
                return found[1]
        report = build()  # outside the lock: other periods are not held up
        with self._lock:
            self._reports[key] = (time.monotonic(), report)
            self._reports.move_to_end(key)
            while len(self._reports) > self.size:
                self._reports.popitem(last=False)
        return report
