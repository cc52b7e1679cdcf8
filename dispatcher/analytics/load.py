"""Load per doctor: calls assigned and served, working days, the busiest day, substitutions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dispatcher.analytics.distribution import percentile
from dispatcher.analytics.records import CallFact
from intake_core.status import CallStatus


@dataclass(slots=True)
class DoctorLoad:
    """One doctor's calls of the period; a day is the local date of the visit (or assignment)."""

    doctor_id: int
    calls: int = 0
    served: int = 0
    substitute: int = 0  # sent although the reason code asked for another profile
    per_day: Counter[date] = field(default_factory=Counter)
    serve_hours: list[float] = field(default_factory=list, repr=False)

    @property
    def days(self) -> int:
        return len(self.per_day)

    @property
    def mean_per_day(self) -> float | None:
        return self.calls / self.days if self.days else None

    @property
    def busiest(self) -> int:
        return max(self.per_day.values(), default=0)

    @property
    def median_serve_hours(self) -> float | None:
        return percentile(sorted(self.serve_hours), 50)


def _visit_day(fact: CallFact, zone: ZoneInfo) -> date:
    moment: datetime = fact.served_at or fact.assigned_at or fact.created_at
    return moment.astimezone(zone).date()


def doctor_load(facts: Iterable[CallFact], zone: ZoneInfo) -> list[DoctorLoad]:
    """Calls with a doctor, busiest doctors first."""
    doctors: dict[int, DoctorLoad] = {}
    for fact in facts:
        if fact.doctor_id is None:
            continue
        load = doctors.setdefault(fact.doctor_id, DoctorLoad(fact.doctor_id))
        load.calls += 1
        load.per_day[_visit_day(fact, zone)] += 1
        if fact.status == CallStatus.SERVED.value:
            load.served += 1
            if fact.served_at is not None and fact.assigned_at is not None:
                load.serve_hours.append((fact.served_at - fact.assigned_at) / timedelta(hours=1))
        card = fact.card
        if card is not None and card.sent_letter is not None:
            load.substitute += card.sent_letter != card.reason_letter
    return sorted(doctors.values(), key=lambda d: (-d.calls, d.doctor_id))
