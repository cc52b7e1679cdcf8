"""The bot as a client system of the intake spine: triage, emergencies, and submitting calls.

The bot calls `dispatcher.services.intake.submit` and the RQ `IntakeQueue` directly, as its
own `ApiClient`, rather than POSTing to the HTTP API with a token: it already shares the
database and Redis with the dispatcher (its own tables, the event stream), so an HTTP hop
would add a token to guard, a server to be up, and a second failure mode for nothing; the
intake row is the same, so idempotency per (client, Idempotency-Key) holds exactly as for
HTTP clients — the dialog's key makes a double-tapped «Подтвердить» one intake, one call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from bots.coding import ReasonCoding
from bots.draft import CallDraft
from bots.ids import Messenger, messenger_of
from bots.texts import CHIPS
from dispatcher.queue import IntakeQueue
from dispatcher.services import accounts
from dispatcher.services.intake import record_emergency, request_from_payload, submit
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import SentNotification
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoContext, MoDirectory
from intake_core.analysis import TextAnalyzer
from intake_core.call import Complaints, RedFlag, Source
from intake_core.intake import IntakeState, ValidIntake, formalize, validate
from intake_core.patient import age_in_months

log = logging.getLogger(__name__)

BOT_ACTOR = "Telegram-бот"
BOT_ACTORS = {Messenger.TELEGRAM: BOT_ACTOR, Messenger.MAX: "MAX-бот"}  # in a call's history
SOURCES = {Messenger.TELEGRAM: Source.TELEGRAM, Messenger.MAX: Source.MAX}
TELEGRAM_CHAT = "telegram_chat"  # the bot's chat in either messenger: the id tells which


def ensure_client(db: Database, name: str) -> int:
    """The bot's ApiClient row (created once): intakes are idempotent per client and key."""
    with db.session() as session:
        found = session.scalar(
            select(tables.ApiClient.id).where(tables.ApiClient.name == name).limit(1)
        )
        if found is not None:
            return int(found)
        accounts.create_token(session, name, ["intake"], [])
        created = session.scalar(select(tables.ApiClient.id).where(tables.ApiClient.name == name))
        assert created is not None
        return int(created)


@dataclass(frozen=True, slots=True)
class Plan:
    """When the visit would be, and why: the MO's local today, its cutoff, a day off."""

    planned: date
    past_cutoff: bool
    mo_name: str | None
    today: date
    cutoff: time
    working_today: bool


class Submission:
    """Turns a finished dialog into an intake, or into a recorded emergency."""

    def __init__(
        self,
        db: Database,
        queue: IntakeQueue,
        analyzer: TextAnalyzer,
        directory: MoDirectory,
        client_id: int,
        clock: Callable[[], datetime],
        coding: ReasonCoding | None = None,
    ) -> None:
        self.db = db
        self.coding = coding
        self.queue = queue
        self.analyzer = analyzer
        self.directory = directory
        self.client_id = client_id
        self.clock = clock

    def _mo(self, code: str | None) -> MoContext:
        with self.db.session() as session:
            codes = [code] if code else self.directory.served_codes(session)
            for candidate in codes:
                mo = self.directory.by_code(session, candidate)
                if mo is not None:
                    return mo
        raise LookupError("no served medical organization")

    def assess(self, text: str, birth_date: date | None) -> Complaints:
        """What the NLP finds in a text — red flags (negations respected), the temperature —
        for the person's age from the birth date when it is known."""
        age = age_in_months(birth_date, self.clock().date()) / 12 if birth_date else None
        return self.analyzer.complaints(text, age)

    def plan(self, served: list[MoContext], mo_code: str | None) -> Plan:
        """The visit date by the MO's 13:00 rule (the first served MO when none was matched)."""
        if mo_code is None and served:
            mo = served[0]  # served MOs come in the directory's order, as `_mo` takes them
        else:
            mo = next((m for m in served if m.code == mo_code), None) or self._mo(mo_code)
        local = mo.local(self.clock())
        calendar = mo.calendar
        return Plan(
            planned=calendar.planned_date(local),
            past_cutoff=calendar.past_cutoff(local),
            mo_name=mo.name,
            today=local.date(),
            cutoff=calendar.cutoff,
            working_today=calendar.is_working_day(local.date()),
        )

    def payload(self, draft: CallDraft, phone: str, chat_id: int) -> dict[str, Any]:
        """The intake body, deterministic for one draft (the key's body hash must not drift);
        an emergency stopped early has no patient or address yet, and the body says so."""
        person, address = draft.patient, draft.address
        body: dict[str, Any] = {
            "source": SOURCES[messenger_of(chat_id)].value,
            "phone": phone,
            "complaints": draft.complaints_text(CHIPS),
            "caller": {"phone": phone},
            "channel_kind": TELEGRAM_CHAT,
            "channel_ref": str(chat_id),
        }
        if person is not None:
            body["patient"] = {
                "last_name": person.last_name,
                "first_name": person.first_name,
                "middle_name": person.middle_name,
                "birth_date": person.birth_date.isoformat(),
                "policy_number": person.policy_number,
            }
        if address is not None:
            body["address"] = address.one_line
            body["entrance"] = address.entrance
            body["floor"] = address.floor
            body["intercom"] = address.intercom
            if address.mo_code:
                body["mo_code"] = address.mo_code
        return body

    def submit(self, draft: CallDraft, phone: str, chat_id: int) -> bool:
        """Store and enqueue the intake once per draft key; False when it was already sent."""
        assert draft.patient is not None and draft.address is not None
        submitted = submit(
            self.db,
            self.client_id,
            "",
            draft.key,
            self.payload(draft, phone, chat_id),
            self.clock(),
        )
        if submitted.created:
            if self.coding is not None and draft.coded_at is not None:
                self.coding.remember(submitted.intake_id, draft.answers, draft.coded_at)
            self.queue.enqueue(submitted.intake_id)
            log.info("telegram intake %s queued", submitted.intake_id)
        return submitted.created

    def record_emergency(
        self, draft: CallDraft, phone: str, chat_id: int, flags: list[RedFlag]
    ) -> None:
        """Store the intake as `emergency` with the spine's event; no visit is created.

        A red flag typed before the patient and the address were chosen (at the menu, while
        linking) is recorded with what the chat said: its text, the phone and the chat."""
        now = self.clock()
        payload = self.payload(draft, phone, chat_id)
        submitted = submit(self.db, self.client_id, "", draft.key, payload, now)
        mo = self._mo(draft.address.mo_code if draft.address else None)
        with self.db.session() as session:
            intake = session.scalar(
                select(tables.Intake)
                .where(tables.Intake.id == submitted.intake_id)
                .with_for_update()
            )
            if intake is None or intake.state != IntakeState.QUEUED.value:
                return
            local = mo.local(now)
            valid = (
                validate(request_from_payload(payload), local.date())
                if draft.patient is not None and draft.address is not None
                else _early(draft, payload, mo.code)
            )
            formalized = formalize(valid, self.analyzer, mo.catalog, mo.calendar, local)
            known = {f.code for f in formalized.red_flags}
            every = (*formalized.red_flags, *(f for f in flags if f.code not in known))
            formalized = replace(
                formalized,
                complaints=replace(formalized.complaints, red_flags=every, emergency=True),
            )
            intake.red_flags = [{"code": f.code, "reason": f.reason} for f in every]
            intake.state = IntakeState.EMERGENCY.value
            intake.attempts += 1
            intake.processed_at = now
            record_emergency(
                session,
                formalized,
                mo,
                now,
                intake_id=intake.id,
                actor=BOT_ACTORS[messenger_of(chat_id)],
            )
            # the patient has been told already: the event consumer must not tell again
            session.add(SentNotification(chat_id=chat_id, key=f"intake:{intake.id}", sent_at=now))


def _early(draft: CallDraft, payload: dict[str, Any], mo_code: str) -> ValidIntake:
    """An emergency stopped before the dialog had a patient and an address: what is known,
    blanks for the rest (it is recorded as an event and never becomes a visit)."""
    person, phone = draft.patient, payload["phone"] or None
    return ValidIntake(
        source=Source(payload["source"]),
        kind=None,
        mo_code=mo_code,
        last_name=person.last_name if person else "",
        first_name=person.first_name if person else "",
        middle_name=person.middle_name if person else None,
        birth_date=person.birth_date if person else None,
        sex=None,
        policy=None,
        phone=phone,
        address=draft.address.one_line if draft.address else "",
        entrance=None,
        floor=None,
        intercom=None,
        private_sector=None,
        complaints=payload["complaints"],
        caller_type=None,
        caller_name=None,
        caller_phone=phone,
        notes=None,
        channel_kind=payload["channel_kind"],
        channel_ref=payload["channel_ref"],
    )
