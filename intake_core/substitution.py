"""The substitution table («диспетчер-эвакуатор») and the choice it suggests.

A card per profile letter needed; in it, the first column matching the call's urgency
(and place) gives the chain of letters to try in order, ending in ЖДИТЕ (plan for the next
working day) or ОТЗОВИТЕ (re-route a doctor on the way to a lower-priority call today).
`suggest()` walks the chain against the doctors' live states and load; it is pure.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from intake_core.doctor_state import DoctorState
from intake_core.errors import DomainError
from intake_core.questionnaire import Urgency
from intake_core.yaml_table import StrictSpec, TableFileUnreadable, problems_of, read_yaml

DEFAULT_TABLE = Path(__file__).parent / "data" / "substitution.yaml"
WAIT = "ЖДИТЕ"
RECALL = "ОТЗОВИТЕ"
TERMINALS = (WAIT, RECALL)
HOME_PLACES = range(60, 100)  # every home reason code must find a column


class SubstitutionTableError(DomainError):
    """A substitution table file that cannot be used; `problems` lists every defect."""

    code = "substitution_table_invalid"

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"Таблица подмен {source} не принята: " + "; ".join(problems))
        self.problems = problems


class _ColumnSpec(StrictSpec):
    column: str = Field(min_length=1, max_length=60)
    urgency: list[Urgency] = Field(min_length=1)
    places: tuple[int, int] | None = None
    chain: list[str] = Field(min_length=1)


class _TableSpec(StrictSpec):
    version: str = Field(min_length=1, max_length=32)
    letters: list[str] = Field(min_length=1)
    cards: dict[str, list[_ColumnSpec]]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a card: which calls it serves and whom to send, in order."""

    name: str
    urgencies: frozenset[Urgency]
    places: tuple[int, int] | None
    chain: tuple[str, ...]

    def serves(self, urgency: Urgency, place_digits: int) -> bool:
        if urgency not in self.urgencies:
            return False
        return self.places is None or self.places[0] <= place_digits <= self.places[1]

    @property
    def letters(self) -> tuple[str, ...]:
        return self.chain[:-1]

    @property
    def terminal(self) -> str:
        return self.chain[-1]


@dataclass(frozen=True, slots=True)
class SubstitutionTable:
    version: str
    letters: tuple[str, ...]
    cards: dict[str, tuple[Column, ...]]

    def column(self, letter: str, urgency: Urgency, place_digits: int) -> Column:
        for column in self.cards.get(letter, ()):
            if column.serves(urgency, place_digits):
                return column
        # the check on load makes every (letter, urgency, home place) answerable
        raise SubstitutionTableError(
            "", [f"нет колонки для буквы «{letter}», {urgency.label}, место {place_digits}"]
        )


@dataclass(frozen=True, slots=True)
class DoctorSnapshot:
    """A doctor as the choice sees it: letter, live state, today's work and load."""

    id: int
    name: str
    letter: str | None
    state: DoctorState
    works_today: bool  # on the schedule today and the window is not over
    load_today: int  # calls assigned for today
    capacity_today: int  # visits the window holds
    own_district: bool
    current_call_urgency: Urgency | None = None  # the call it is on the way to or at


class Verdict(enum.StrEnum):
    SEND = "send"
    WAIT = "wait"
    RECALL = "recall"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What the table says for one call: send `doctor` (of `letter`), wait, or recall one."""

    verdict: Verdict
    reason_letter: str
    column: Column
    tried: tuple[str, ...]  # letters of the chain found without a suitable doctor
    letter: str | None = None
    doctor: DoctorSnapshot | None = None

    @property
    def substituted(self) -> bool:
        return self.letter is not None and self.letter != self.reason_letter

    @property
    def step(self) -> str:
        """The chain position reached: a letter, ЖДИТЕ or ОТЗОВИТЕ."""
        if self.verdict is Verdict.SEND and self.letter:
            return self.letter
        return WAIT if self.verdict is Verdict.WAIT else RECALL


def _can_take(doctor: DoctorSnapshot, urgency: Urgency) -> bool:
    if not doctor.works_today or doctor.state is DoctorState.DONE:
        return False
    if urgency is Urgency.URGENT:
        return doctor.state is DoctorState.FREE  # must be able to go now
    return doctor.load_today < doctor.capacity_today


def _preference(doctor: DoctorSnapshot) -> tuple[bool, bool, int, str]:
    return (
        not doctor.own_district,
        doctor.state is not DoctorState.FREE,
        doctor.load_today,
        doctor.name,
    )


def suggest(
    table: SubstitutionTable,
    reason_code: str,
    urgency: Urgency,
    doctors: list[DoctorSnapshot],
) -> Suggestion:
    """Walk the chain of the reason code's letter: the first letter with a doctor who can take
    the call (own district, free, least loaded first), else the chain's ЖДИТЕ or ОТЗОВИТЕ."""
    reason_letter, place = reason_code[-1], int(reason_code[:2])
    column = table.column(reason_letter, urgency, place)
    tried: list[str] = []
    for letter in column.letters:
        fit = sorted(
            (d for d in doctors if d.letter == letter and _can_take(d, urgency)), key=_preference
        )
        if fit:
            return Suggestion(
                Verdict.SEND, reason_letter, column, tuple(tried), letter=letter, doctor=fit[0]
            )
        tried.append(letter)
    if column.terminal == WAIT:
        return Suggestion(Verdict.WAIT, reason_letter, column, tuple(tried))
    order = {letter: i for i, letter in enumerate(column.letters)}
    recallable = sorted(
        (
            d
            for d in doctors
            if d.letter in order
            and d.works_today
            and d.state is DoctorState.ON_THE_WAY
            and (d.current_call_urgency or Urgency.ROUTINE).rank < urgency.rank
        ),
        key=lambda d: (order[d.letter or ""], *_preference(d)),
    )
    chosen = recallable[0] if recallable else None
    return Suggestion(
        Verdict.RECALL,
        reason_letter,
        column,
        tuple(tried),
        letter=chosen.letter if chosen else None,
        doctor=chosen,
    )


def _problems(spec: _TableSpec) -> list[str]:
    problems: list[str] = []
    letters = set(spec.letters)
    for letter in spec.letters:
        if letter not in spec.cards:
            problems.append(f"нет карты для буквы «{letter}»")
    for letter, columns in spec.cards.items():
        if letter not in letters:
            problems.append(f"карта «{letter}»: буква не из списка профилей")
        for col in columns:
            where = f"карта «{letter}», колонка «{col.column}»"
            if col.chain[-1] not in TERMINALS:
                problems.append(f"{where}: цепочка должна кончаться словом ЖДИТЕ или ОТЗОВИТЕ")
            for item in col.chain[:-1]:
                if item in TERMINALS:
                    problems.append(f"{where}: «{item}» может стоять только в конце цепочки")
                elif item not in letters:
                    problems.append(f"{where}: подмена «{item}» не из списка профилей")
            if col.chain[0] != letter:
                problems.append(f"{where}: цепочка начинается с самой буквы карты «{letter}»")
            if len(set(col.chain)) != len(col.chain):
                problems.append(f"{where}: буква в цепочке повторяется")
            if col.places and not 10 <= col.places[0] <= col.places[1]:
                problems.append(f"{where}: диапазон мест {list(col.places)} неверен")
        for urgency in Urgency:
            uncovered = [
                place
                for place in HOME_PLACES
                if not any(
                    urgency in c.urgency
                    and (c.places is None or c.places[0] <= place <= c.places[1])
                    for c in columns
                )
            ]
            if uncovered:
                problems.append(
                    f"карта «{letter}»: нет колонки для срочности «{urgency.label}» "
                    f"и мест {uncovered[0]}–{uncovered[-1]}"
                )
    return problems


def parse_table(data: Any, source: str = "") -> SubstitutionTable:
    """A checked table from parsed YAML; refuses any defect with every problem listed."""
    try:
        spec = _TableSpec.model_validate(data)
    except ValidationError as exc:
        raise SubstitutionTableError(source, problems_of(exc)) from None
    problems = _problems(spec)
    if problems:
        raise SubstitutionTableError(source, problems)
    return SubstitutionTable(
        version=spec.version,
        letters=tuple(spec.letters),
        cards={
            letter: tuple(
                Column(c.column, frozenset(c.urgency), c.places, tuple(c.chain)) for c in columns
            )
            for letter, columns in spec.cards.items()
        },
    )


def load_table(path: Path | None = None) -> SubstitutionTable:
    """The MO's substitution table file, or the shipped one."""
    path = path or DEFAULT_TABLE
    try:
        data = read_yaml(path)
    except TableFileUnreadable as exc:
        raise SubstitutionTableError(path.name, [exc.message]) from None
    return parse_table(data, path.name)
