"""The worker's side of intake: formalize queued intakes, a batch per transaction, safe to run
twice; a failing batch is run again one intake at a time."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatcher.outages import is_database_outage
from dispatcher.services.call_store import NewCalls, judge_many, lock_keys, store_call
from dispatcher.services.events import emit
from dispatcher.services.intake import request_from_payload
from dispatcher.services.red_flag import record_emergency
from dispatcher.storage import tables
from dispatcher.storage.calls import lock_patient, next_call_number, reserve_call_numbers
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoContext, MoDirectory
from intake_core.analysis import TextAnalyzer
from intake_core.call import CHAT_CHANNEL, Complaints, RedFlag, Source, VisitAddress
from intake_core.districts import DistrictStreet
from intake_core.duplicates import Verdict
from intake_core.errors import ValidationFailed
from intake_core.intake import (
    MAX_ATTEMPTS,
    Formalized,
    IntakeState,
    ValidIntake,
    formalize,
    latest_local_date,
    next_intake_state,
    validate,
)

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "Система приёма вызовов"


@dataclass(frozen=True, slots=True)
class Declared:
    """Red flags a channel found with the patient before it submitted the intake (a messenger's
    triage): the intake is an emergency whatever its text says, recorded with what is known
    even when the dialog stopped before a patient and an address were given."""

    red_flags: tuple[RedFlag, ...]
    actor: str

    def apply(self, formalized: Formalized) -> Formalized:
        known = {f.code for f in formalized.red_flags}
        every = (*formalized.red_flags, *(f for f in self.red_flags if f.code not in known))
        complaints = replace(formalized.complaints, red_flags=every, emergency=True)
        return replace(formalized, complaints=complaints)


@dataclass(frozen=True, slots=True)
class _Ready:
    """An intake validated and formalized, not yet written."""

    formalized: Formalized
    mo: MoContext


class _OnceAnalyzer:
    """The analyzer for one intake: its complaints are parsed once however many MOs' street
    catalogs its address is tried against."""

    def __init__(self, analyzer: TextAnalyzer) -> None:
        self.analyzer = analyzer
        self._complaints: dict[tuple[str, float | None], Complaints] = {}

    def address(self, text: str, streets: list[DistrictStreet]) -> VisitAddress:
        return self.analyzer.address(text, streets)

    def complaints(self, text: str, age_years: float | None) -> Complaints:
        key = (text, age_years)
        found = self._complaints.get(key)
        if found is None:
            found = self._complaints[key] = self.analyzer.complaints(text, age_years)
        return found


class IntakeProcessor:
    """Formalizes queued intakes, one or a batch per transaction; safe to run twice for the
    same intake."""

    def __init__(self, db: Database, analyzer: TextAnalyzer, directory: MoDirectory) -> None:
        self.db = db
        self.analyzer = analyzer
        self.directory = directory
        # PostgreSQL: numbers come from a sequence, which no rollback gives back, so a block
        # may outlive its batch; SQLite's counter row rolls back with the batch
        self._keeps_numbers = db.engine.dialect.name == "postgresql"
        self._numbers: list[int] = []  # reserved, not yet given (a worker exits: a gap)
        self._block = 1

    def process(self, intake_id: str, now: datetime | None = None) -> IntakeState:
        with self.db.session() as session:
            state, _ = self.settle(session, intake_id, now or datetime.now(UTC))
            return state

    def settle(
        self,
        session: Session,
        intake_id: str,
        now: datetime,
        declared: Declared | None = None,
        processed_at: datetime | None = None,
    ) -> tuple[IntakeState, bool]:
        """Formalize one intake in the caller's transaction: its state, and whether this call
        settled it (False when it was settled before, or is not found)."""
        intake = session.scalar(
            select(tables.Intake).where(tables.Intake.id == intake_id).with_for_update()
        )
        if intake is None:
            log.warning("intake %s not found", intake_id)
            return IntakeState.REJECTED, False
        if intake.state != IntakeState.QUEUED.value:
            return IntakeState(intake.state), False
        self._block = 1
        state = self._settle(session, intake, now, declared)
        intake.processed_at = processed_at or datetime.now(UTC)
        return state, True

    def process_pending(self, limit: int = 16) -> dict[str, IntakeState]:
        """Formalize up to `limit` queued intakes, oldest first, in one transaction; intakes
        another worker holds are skipped. Should one of them fail, each is run again alone
        (so one bad intake holds up no other); a database outage is raised to the caller."""
        claimed: list[str] = []
        try:
            with self.db.session() as session:
                intakes = session.scalars(
                    select(tables.Intake)
                    .where(
                        tables.Intake.state == IntakeState.QUEUED.value,
                        tables.Intake.attempts < MAX_ATTEMPTS,
                    )
                    .order_by(tables.Intake.received_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                ).all()
                claimed = [i.id for i in intakes]
                self._block = max(1, len(intakes))
                outcomes = self._settle_batch(session, list(intakes))
                done = datetime.now(UTC)
                for intake in intakes:
                    intake.processed_at = done
                return outcomes
        except Exception as exc:
            if is_database_outage(exc) or not claimed:
                raise
            log.warning("a batch of %d intakes failed: each is run alone", len(claimed))
        return {i: s for i in claimed if (s := self._process_alone(i)) is not None}

    def _process_alone(self, intake_id: str) -> IntakeState | None:
        try:
            return self.process(intake_id)
        except Exception as exc:
            if is_database_outage(exc):
                raise
            log.exception("intake %s failed; it stays queued for another attempt", intake_id)
        with self.db.session() as session:
            attempts = session.scalar(
                update(tables.Intake)
                .where(tables.Intake.id == intake_id)
                .values(attempts=tables.Intake.attempts + 1)
                .returning(tables.Intake.attempts)
            )
        if attempts is not None and attempts >= MAX_ATTEMPTS:
            log.error("intake %s failed %d times: no more attempts", intake_id, attempts)
        return None

    def _settle_batch(
        self, session: Session, intakes: list[tables.Intake]
    ) -> dict[str, IntakeState]:
        """Formalize a batch as if one by one, with one lock statement and one duplicate
        lookup for the intakes that share no patient or home with another of the batch; their
        new calls are written together. From the first merge on, or for intakes that share a
        key, `store_call` runs for each in turn (a merge changes what later intakes find)."""
        prepared = []
        for intake in intakes:
            now = datetime.now(UTC)
            prepared.append((intake, now, self._prepare(session, intake, now)))
        to_store: dict[str, list[str]] = {}  # the intakes to store, with their lock keys
        for intake, _, ready in prepared:
            if isinstance(ready, _Ready) and not ready.formalized.emergency:
                to_store[intake.id] = lock_keys(ready.formalized, ready.mo)
        shared = Counter(k for keys in to_store.values() for k in set(keys))
        alone: list[tuple[str, tuple[Formalized, MoContext, datetime]]] = [
            (intake.id, (ready.formalized, ready.mo, now))
            for intake, now, ready in prepared
            if isinstance(ready, _Ready)
            and intake.id in to_store
            and all(shared[k] == 1 for k in to_store[intake.id])
        ]
        if to_store:  # every lock at once, in one order: two batches never wait on each other
            lock_patient(session, *(k for keys in to_store.values() for k in keys))
        judged = dict(
            zip(
                [intake_id for intake_id, _ in alone],
                judge_many(session, [store for _, store in alone]),
                strict=True,
            )
        )
        new_calls = NewCalls()
        by_id = {i.id: i for i in intakes}
        merged = False
        outcomes: dict[str, IntakeState] = {}
        for intake, now, ready in prepared:
            found = judged.get(intake.id)
            if found is not None and not merged and found[0].verdict is not Verdict.MERGE:
                assert isinstance(ready, _Ready)
                new_calls.add(
                    session,
                    ready.formalized,
                    ready.mo,
                    now,
                    intake.received_at,
                    _channel(ready.formalized.intake, intake),
                    SYSTEM_ACTOR,
                    found,
                    self._next_number(session),
                    intake.id,
                )
                intake.merged = False
                state = IntakeState.ACCEPTED
            else:
                self._write_new(session, new_calls, by_id)  # the batch's order is kept
                state = (
                    ready
                    if isinstance(ready, IntakeState)
                    else self._write(session, intake, ready, now)
                )
                merged = merged or bool(intake.merged)
            outcomes[intake.id] = self._settled(session, intake, state, now)
        self._write_new(session, new_calls, by_id)
        return outcomes

    @staticmethod
    def _write_new(
        session: Session, new_calls: NewCalls, intakes: dict[str, tables.Intake]
    ) -> None:
        for intake_id, call_id in new_calls.write(session).items():
            intakes[intake_id].call_id = call_id

    def _settle(
        self,
        session: Session,
        intake: tables.Intake,
        now: datetime,
        declared: Declared | None = None,
    ) -> IntakeState:
        return self._settled(session, intake, self._process(session, intake, now, declared), now)

    def _settled(
        self, session: Session, intake: tables.Intake, state: IntakeState, now: datetime
    ) -> IntakeState:
        intake.attempts += 1  # written with the outcome: a crash rolls both back anyway
        intake.state = next_intake_state(IntakeState(intake.state), state).value
        if state is IntakeState.REJECTED:
            # the channel tells its patient why (the reasons are in the intake's errors)
            emit(
                session,
                "intake.rejected",
                {
                    "type": "intake.rejected",
                    "intake_id": intake.id,
                    "source": intake.payload.get("source"),
                    "at": now.isoformat(),
                },
            )
        return state

    def _next_number(self, session: Session) -> int:
        """The next of this worker's reserved call numbers: a block as large as the batch is
        reserved in one statement when none is left (a sequence: it locks nothing while the
        batch runs). SQLite's writers are serial: a number at a time, in the batch."""
        if not self._keeps_numbers:
            return next_call_number(session)
        if not self._numbers:
            self._numbers = reserve_call_numbers(session, self._block)
        return self._numbers.pop(0)

    def _process(
        self,
        session: Session,
        intake: tables.Intake,
        now: datetime,
        declared: Declared | None = None,
    ) -> IntakeState:
        ready = self._prepare(session, intake, now, declared)
        if isinstance(ready, IntakeState):
            return ready
        return self._write(session, intake, ready, now, declared)

    def _prepare(
        self,
        session: Session,
        intake: tables.Intake,
        now: datetime,
        declared: Declared | None = None,
    ) -> IntakeState | _Ready:
        """Validate and formalize (nothing written but a rejected intake's errors)."""
        request = request_from_payload(intake.payload)
        valid: ValidIntake | None = None
        try:
            valid = validate(request, latest_local_date(now))
        except ValidationFailed as exc:
            if declared is None:
                intake.errors = [
                    {"field": e.field, "message": e.message, "code": e.code} for e in exc.errors
                ]
                return IntakeState.REJECTED
        contexts = self._candidate_mos(session, intake, valid.mo_code if valid else request.mo_code)
        if not contexts:
            intake.errors = [
                {
                    "field": "mo_code",
                    "message": "Медицинская организация не найдена или недоступна этому клиенту",
                    "code": "unknown_mo",
                }
            ]
            return IntakeState.REJECTED
        if valid is None:  # only a declared emergency gets here: recorded with what is known
            valid = _known(intake.payload, contexts[0].code)
        return _Ready(*self._formalize(valid, contexts, now, declared))

    def _write(
        self,
        session: Session,
        intake: tables.Intake,
        ready: _Ready,
        now: datetime,
        declared: Declared | None = None,
    ) -> IntakeState:
        formalized, mo = ready.formalized, ready.mo
        if formalized.emergency:
            intake.red_flags = (
                [f.as_json() for f in formalized.red_flags]
                if declared is None
                # as the messengers have always kept them: the patient was told it is urgent
                else [{"code": f.code, "reason": f.reason} for f in formalized.red_flags]
            )
            actor = declared.actor if declared else None
            record_emergency(session, formalized, mo, now, intake_id=intake.id, actor=actor)
            return IntakeState.EMERGENCY
        return self._store(session, intake, formalized, mo, now)

    def _candidate_mos(
        self, session: Session, intake: tables.Intake, mo_code: str | None
    ) -> list[MoContext]:
        allowed = [c for c in intake.mo_codes.split(",") if c]
        if mo_code:
            codes = [mo_code] if not allowed or mo_code in allowed else []
        else:
            codes = allowed or self.directory.served_codes(session)
        contexts = [self.directory.by_code(session, code) for code in codes]
        return [c for c in contexts if c is not None]

    def _formalize(
        self,
        valid: ValidIntake,
        contexts: list[MoContext],
        now: datetime,
        declared: Declared | None = None,
    ) -> tuple[Formalized, MoContext]:
        first: tuple[Formalized, MoContext] | None = None
        analyzer = _OnceAnalyzer(self.analyzer)
        for mo in contexts:
            result = formalize(valid, analyzer, mo.catalog, mo.calendar, mo.local(now))
            if declared is not None:
                result = declared.apply(result)
            if result.district is not None or result.emergency:
                return result, mo
            first = first or (result, mo)
        assert first is not None
        return first

    def _store(
        self,
        session: Session,
        intake: tables.Intake,
        formalized: Formalized,
        mo: MoContext,
        now: datetime,
    ) -> IntakeState:
        stored = store_call(
            session,
            formalized,
            mo,
            now,
            received_at=intake.received_at,
            channel=_channel(formalized.intake, intake),
            actor=SYSTEM_ACTOR,
            intake_id=intake.id,
            number=lambda: self._next_number(session),
        )
        intake.call_id = stored.row.id
        intake.merged = stored.merged
        return IntakeState.ACCEPTED


def _channel(valid: ValidIntake, intake: tables.Intake) -> tuple[str, str]:
    if valid.channel_kind and valid.channel_ref:
        return valid.channel_kind, valid.channel_ref
    default_kind = {
        Source.PORTAL: "portal_request",
        Source.AMBULANCE: "smp_card",
        Source.TELEGRAM: CHAT_CHANNEL,
        Source.MAX: CHAT_CHANNEL,  # the bot's chat kind, whichever messenger (ids tell)
    }.get(valid.source, "intake")
    return default_kind, intake.id


def _known(payload: dict[str, Any], mo_code: str) -> ValidIntake:
    """A declared emergency stopped before the dialog had a patient and an address: what is
    known, blanks for the rest (it is recorded as an event and never becomes a visit)."""
    patient = payload.get("patient") or {}
    phone = payload.get("phone") or None
    born = patient.get("birth_date")
    return ValidIntake(
        source=Source(payload["source"]),
        kind=None,
        mo_code=mo_code,
        last_name=patient.get("last_name") or "",
        first_name=patient.get("first_name") or "",
        middle_name=patient.get("middle_name"),
        birth_date=date.fromisoformat(born) if born else None,
        sex=None,
        policy=None,
        phone=phone,
        address=payload.get("address") or "",
        entrance=None,
        floor=None,
        intercom=None,
        private_sector=None,
        complaints=payload.get("complaints", ""),
        caller_type=None,
        caller_name=None,
        caller_phone=phone,
        notes=None,
        channel_kind=payload.get("channel_kind"),
        channel_ref=payload.get("channel_ref"),
    )
