"""Deadlines kept: time to assign and to serve, overall and per department, district, day,
channel and hour of the day.

The limits are the MO's own (`Deadlines`, 30 minutes and 24 hours by default), the same that
make a call «Просроченный». «Time to assign» runs from creation to the first assignment (from
the call history); «time to serve» from the last assignment to service, since a reassignment
restarts the serve deadline as it does for the flag. A call counts once it reaches the time
point, or while it is still open past the limit (then as late); calls cancelled or
transferred before a time point do not count for it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dispatcher.analytics.distribution import Distribution, distribution, percentile
from dispatcher.analytics.records import CallFact
from intake_core.overdue import Deadlines
from intake_core.status import CallStatus

ASSIGN_EDGES_MIN = (10.0, 30.0, 60.0, 120.0, 240.0)
SERVE_EDGES_H = (4.0, 8.0, 12.0, 24.0, 48.0)


@dataclass(frozen=True, slots=True)
class Timing:
    """One call's time points as durations, and whether an open call is already late."""

    assign_minutes: float | None
    assign_late_open: bool
    serve_hours: float | None
    serve_late_open: bool
    assign_within: bool = False  # within the MO's limit, judged once per call
    serve_within: bool = False


def timing(fact: CallFact, deadlines: Deadlines, now: datetime) -> Timing:
    status = CallStatus(fact.status)
    assign = serve = None
    first = fact.assigned_first
    if first is not None:
        assign = (first - fact.created_at) / timedelta(minutes=1)
    if fact.assigned_at is not None and fact.served_at is not None:
        serve = (fact.served_at - fact.assigned_at) / timedelta(hours=1)
    overdue = deadlines.is_overdue(status, fact.created_at, fact.assigned_at, now)
    return Timing(
        assign_minutes=assign,
        assign_late_open=overdue and status in (CallStatus.PENDING, CallStatus.NEW),
        serve_hours=serve,
        serve_late_open=overdue and status is CallStatus.ACTIVE,
        assign_within=assign is not None and assign <= deadlines.assign / timedelta(minutes=1),
        serve_within=serve is not None and serve <= deadlines.serve / timedelta(hours=1),
    )


@dataclass(slots=True)
class Compliance:
    """Calls of one group and the shares that met each deadline."""

    key: Hashable
    calls: int = 0
    assign_counted: int = 0
    assign_within: int = 0
    serve_counted: int = 0
    serve_within: int = 0
    assign_minutes: list[float] = field(default_factory=list, repr=False)
    serve_hours: list[float] = field(default_factory=list, repr=False)

    @property
    def assign_share(self) -> float | None:
        return self.assign_within / self.assign_counted if self.assign_counted else None

    @property
    def serve_share(self) -> float | None:
        return self.serve_within / self.serve_counted if self.serve_counted else None

    def assign_percentile(self, q: float) -> float | None:
        return percentile(sorted(self.assign_minutes), q)

    def serve_percentile(self, q: float) -> float | None:
        return percentile(sorted(self.serve_hours), q)

    def add(self, t: Timing) -> None:
        self.calls += 1
        if t.assign_minutes is not None:
            self.assign_counted += 1
            self.assign_within += t.assign_within
            self.assign_minutes.append(t.assign_minutes)
        elif t.assign_late_open:
            self.assign_counted += 1
        if t.serve_hours is not None:
            self.serve_counted += 1
            self.serve_within += t.serve_within
            self.serve_hours.append(t.serve_hours)
        elif t.serve_late_open:
            self.serve_counted += 1


@dataclass(frozen=True, slots=True)
class SlaReport:
    """Compliance overall and per group, and the two duration distributions."""

    deadlines: Deadlines
    overall: Compliance
    assign: Distribution  # minutes
    serve: Distribution  # hours
    by_department: list[Compliance]
    by_district: list[Compliance]
    by_day: list[Compliance]
    by_channel: list[Compliance]
    by_hour: list[Compliance]  # local hour of creation, 0–23, hours without calls left out


def _grouped(
    pairs: list[tuple[CallFact, Timing]],
    key: Callable[[CallFact], Hashable],
) -> list[Compliance]:
    groups: dict[Hashable, Compliance] = {}
    for fact, t in pairs:
        k = key(fact)
        group = groups.get(k)
        if group is None:
            group = groups[k] = Compliance(k)
        group.add(t)
    return list(groups.values())


def sla_report(
    facts: Iterable[CallFact], deadlines: Deadlines, zone: ZoneInfo, now: datetime
) -> SlaReport:
    """Deadline compliance of the calls; days are the MO's local dates of creation."""
    pairs = [(fact, timing(fact, deadlines, now)) for fact in facts]
    overall = Compliance("all")
    for _, t in pairs:
        overall.add(t)

    def day(fact: CallFact) -> date:
        return fact.created_at.astimezone(zone).date()

    def by_count(rows: list[Compliance]) -> list[Compliance]:
        return sorted(rows, key=lambda c: (-c.calls, str(c.key)))

    return SlaReport(
        deadlines=deadlines,
        overall=overall,
        assign=distribution(
            (t.assign_minutes for _, t in pairs if t.assign_minutes is not None),
            ASSIGN_EDGES_MIN,
        ),
        serve=distribution(
            (t.serve_hours for _, t in pairs if t.serve_hours is not None), SERVE_EDGES_H
        ),
        by_department=by_count(_grouped(pairs, lambda f: f.department_id)),
        by_district=by_count(_grouped(pairs, lambda f: f.district_id)),
        by_day=sorted(_grouped(pairs, day), key=lambda c: str(c.key)),
        by_channel=by_count(_grouped(pairs, lambda f: f.channel)),
        by_hour=sorted(
            _grouped(pairs, lambda f: f.created_at.astimezone(zone).hour),
            key=lambda c: c.key,  # type: ignore[arg-type, return-value]
        ),
    )
