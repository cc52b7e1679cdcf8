"""«Просроченный» is a flag, not a status: not assigned in time, or not served in time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from intake_core.status import CallStatus


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Per-MO limits; the seed's figures are 30 minutes and 24 hours."""

    assign: timedelta = timedelta(minutes=30)
    serve: timedelta = timedelta(hours=24)

    def deadline(
        self, status: CallStatus, created_at: datetime, assigned_at: datetime | None
    ) -> datetime | None:
        if status in (CallStatus.PENDING, CallStatus.NEW):
            return created_at + self.assign
        if status is CallStatus.ACTIVE and assigned_at is not None:
            return assigned_at + self.serve
        return None

    def is_overdue(
        self,
        status: CallStatus,
        created_at: datetime,
        assigned_at: datetime | None,
        now: datetime,
    ) -> bool:
        deadline = self.deadline(status, created_at, assigned_at)
        return deadline is not None and now > deadline
