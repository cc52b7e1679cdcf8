"""Former home of the app factory, now `dispatcher.app.create_app`; the old import path still
resolves for callers not yet moved (looked up on use, so the API never imports its own
composition root)."""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    if name == "create_app":
        return importlib.import_module("dispatcher.app").create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
