"""Every table module, imported once so that `Base.metadata` is complete (migrations, tests)."""

from __future__ import annotations

import dispatcher.storage.bot_tables
import dispatcher.storage.desk_forms_tables
import dispatcher.storage.desk_tables
import dispatcher.storage.dispatch_tables
import dispatcher.storage.notify_tables  # notifications and СМП
import dispatcher.storage.telephony_tables  # noqa: F401  (phone calls and call-backs)
from dispatcher.storage import tables
from dispatcher.storage.tables import Base

# Feature table modules register here, one import line each.

__all__ = ["Base", "tables"]
