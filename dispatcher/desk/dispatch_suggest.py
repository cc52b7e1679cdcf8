"""The assign dialog's «эвакуатор» panel: the substitution table's suggestion for a coded call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.desk.doctor_board import DoctorOption
from dispatcher.services.dispatch_rules import DispatchRules
from dispatcher.storage import tables
from dispatcher.storage.service_cards import live_states, save_sent, set_state
from intake_core.doctor_state import DoctorState
from intake_core.errors import FieldError, ValidationFailed
from intake_core.questionnaire import Urgency
from intake_core.service_card import ServiceCard
from intake_core.substitution import DoctorSnapshot, Suggestion, Verdict, suggest


@dataclass(frozen=True, slots=True)
class ChainItem:
    """One position of the column's chain as the panel shows it."""

    item: str
    name: str
    state: str  # "tried" (no one suitable), "chosen", "ahead"


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the panel offers: the table's verdict, the doctor and the date for one click."""

    card: ServiceCard
    suggestion: Suggestion
    chain: tuple[ChainItem, ...]
    doctor: DoctorOption | None
    day: date | None
    letters: dict[int, str]  # every listed doctor's letter
    states: dict[int, DoctorState]
    recall_call_number: int | None

    @property
    def headline(self) -> str:
        s = self.suggestion
        if s.verdict is Verdict.SEND and self.doctor:
            kind = "подмена" if s.substituted else "профиль по поводу"
            return f"Направьте: {self.doctor.name} ({s.letter}, {kind})"
        if s.verdict is Verdict.WAIT:
            who = f": {self.doctor.name}" if self.doctor else ""
            return f"ЖДИТЕ — подходящих свободных врачей нет, вызов на следующий рабочий день{who}"
        if self.doctor:
            return f"ОТЗОВИТЕ: {self.doctor.name} ({s.letter}) с менее срочного вызова"
        return "ОТЗОВИТЕ — но отозвать некого: нет врачей в пути к менее срочным вызовам"


def _snapshots(
    options: list[DoctorOption],
    letters: dict[int, str],
    states: dict[int, DoctorState],
    urgencies: dict[int, Urgency | None],
) -> list[DoctorSnapshot]:
    snapshots = []
    for option in options:
        today = option.loads[0]
        snapshots.append(
            DoctorSnapshot(
                id=option.id,
                name=option.name,
                letter=letters.get(option.id),
                state=states.get(option.id, DoctorState.FREE),
                works_today=today.available,
                load_today=today.assigned,
                capacity_today=today.capacity,
                own_district=option.own_district,
                current_call_urgency=urgencies.get(option.id),
            )
        )
    return snapshots


def _next_day_doctor(
    options: list[DoctorOption], letters: dict[int, str], chain: tuple[str, ...]
) -> DoctorOption | None:
    """For ЖДИТЕ: the chain's first letter with room on the next working day."""
    for letter in chain:
        fit = [
            o
            for o in options
            if letters.get(o.id) == letter
            and o.loads[1].available
            and o.loads[1].assigned < o.loads[1].capacity
        ]
        if fit:
            return min(fit, key=lambda o: (not o.own_district, o.loads[1].assigned, o.name))
    return None


def propose(
    session: Session,
    rules: DispatchRules,
    card: ServiceCard,
    options: list[DoctorOption],
    days: tuple[date, date],
) -> Proposal:
    """The table's suggestion from the doctors' letters, live states and today's load."""
    ids = [o.id for o in options]
    rows = session.execute(
        select(tables.Doctor.id, tables.Doctor.profile_letter, tables.Doctor.profile).where(
            tables.Doctor.id.in_(ids)
        )
    ).all()
    letters = {i: rules.letter_of(letter, profile) for i, letter, profile in rows}
    live = live_states(session, ids)
    states = {i: s.state for i, s in live.items()}
    urgencies = {i: s.call_urgency for i, s in live.items()}
    suggestion = suggest(
        rules.table, card.reason_code, card.urgency, _snapshots(options, letters, states, urgencies)
    )
    by_id = {o.id: o for o in options}
    doctor = by_id.get(suggestion.doctor.id) if suggestion.doctor else None
    day: date | None = days[0] if doctor else None
    if suggestion.verdict is Verdict.WAIT:
        doctor = _next_day_doctor(options, letters, suggestion.column.letters)
        day = days[1] if doctor else None
    recall_number = None
    if suggestion.verdict is Verdict.RECALL and doctor:
        call_id = live[doctor.id].call_id
        recall_number = (
            session.scalar(select(tables.CallRow.number).where(tables.CallRow.id == call_id))
            if call_id
            else None
        )
    return Proposal(
        card=card,
        suggestion=suggestion,
        chain=_chain(rules, suggestion),
        doctor=doctor,
        day=day,
        letters=letters,
        states=states,
        recall_call_number=recall_number,
    )


def _chain(rules: DispatchRules, suggestion: Suggestion) -> tuple[ChainItem, ...]:
    items = []
    reached = suggestion.step
    for item in suggestion.column.chain:
        if item in suggestion.tried:
            state = "tried"
        elif item == reached:
            state = "chosen"
        else:
            state = "ahead"
        name = rules.profiles.name(item) if item in rules.profiles.names else item
        items.append(ChainItem(item, name, state))
    return tuple(items)


def check_override(proposal: Proposal | None, doctor_id: int, day: date, reason: str) -> None:
    """Assigning someone else than the table suggests needs a reason, kept on the card."""
    if proposal is None or proposal.doctor is None:
        return
    if (proposal.doctor.id, proposal.day) == (doctor_id, day):
        return
    if not reason.strip():
        raise ValidationFailed(
            [
                FieldError(
                    "override_reason",
                    "Таблица подмен предлагает другого врача: укажите причину отступления",
                    "required",
                )
            ]
        )


def record_dispatch(
    session: Session,
    proposal: Proposal,
    call_id: int,
    doctor_id: int,
    user_id: int,
    override_reason: str,
    now: datetime,
) -> None:
    """The sent letter on the card; a doctor recalled («ОТЗОВИТЕ») is on the way to this call."""
    reason = override_reason.strip() or None
    save_sent(session, call_id, doctor_id, proposal.letters.get(doctor_id), user_id, reason, now)
    recalled = proposal.suggestion.verdict is Verdict.RECALL and proposal.doctor is not None
    if recalled and proposal.doctor is not None and proposal.doctor.id == doctor_id:
        set_state(session, doctor_id, DoctorState.ON_THE_WAY, call_id, now)
