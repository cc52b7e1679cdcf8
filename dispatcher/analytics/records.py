"""What the analytics read: one plain record per call and its service card, and the names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class CardFact:
    """The dispatch code of one call: reason, sent and post-factum letters, who coded it."""

    operator_id: int | None
    questionnaire: str
    branch: str
    reason_code: str
    reason_letter: str
    sent_letter: str | None
    postfactum_letter: str | None
    reason_text: str = ""
    questionnaire_version: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a visit ended: the result code (card first, else the call), ICD-10 codes, the trip."""

    result: str | None
    result_reason: str | None = None
    diagnoses: tuple[str, ...] = ()
    departed_at: datetime | None = None
    arrived_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CallFact:
    """One call of the period: where it came from, its time points, its card if coded."""

    call_id: int
    status: str
    channel: str
    department_id: int | None
    district_id: int | None
    doctor_id: int | None
    created_at: datetime
    assigned_at: datetime | None  # the last assignment: the serve deadline runs from it
    served_at: datetime | None
    card: CardFact | None = None
    first_assigned_at: datetime | None = None  # from the history; None: `assigned_at`
    outcome: Outcome | None = None  # the visit's result, diagnoses and trip, once begun

    @property
    def assigned_first(self) -> datetime | None:
        """When the call first got a doctor: the end of «time to assign»."""
        return self.first_assigned_at or self.assigned_at


@dataclass(frozen=True, slots=True)
class Period:
    """Local calendar days from `first` to `last`, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("period ends before it starts")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True, slots=True)
class Names:
    """Human names for the ids in the facts; doctors carry their profile letter."""

    departments: dict[int, str] = field(default_factory=dict)
    districts: dict[int, str] = field(default_factory=dict)
    operators: dict[int, str] = field(default_factory=dict)
    doctors: dict[int, str] = field(default_factory=dict)
    doctor_letters: dict[int, str | None] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)  # letter → «Педиатр»

    def profile(self, letter: str | None) -> str:
        """«П — педиатр» for a profile letter."""
        if letter is None:
            return "—"
        name = self.profiles.get(letter)
        return f"{letter} — {name.lower()}" if name else letter
