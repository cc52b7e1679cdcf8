"""Every table module, imported once so that `Base.metadata` is complete (migrations, tests)."""

from __future__ import annotations

from dispatcher.storage import tables
from dispatcher.storage.tables import Base

# Feature table modules register here, one import line each.

__all__ = ["Base", "tables"]
