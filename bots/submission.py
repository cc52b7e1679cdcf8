"""The bot as a client system of the intake spine: triage, emergencies, and submitting calls.

The dialog becomes the intake body here; storing it, waking a worker and settling an emergency
at once are the dispatcher's `ChatIntake` service (see `dispatcher.services.messenger.intake`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from bots.draft import CallDraft
from bots.ids import Messenger, messenger_of
from bots.texts import CHIPS
from dispatcher.queue import IntakeQueue
from dispatcher.services.messenger.clinics import Clinic, Clinics
from dispatcher.services.messenger.coding import ReasonCoding
from dispatcher.services.messenger.intake import ChatIntake
from intake_core.analysis import TextAnalyzer
from intake_core.call import CHAT_CHANNEL, Complaints, RedFlag, Source
from intake_core.patient import age_in_months

BOT_ACTOR = "Telegram-бот"
BOT_ACTORS = {Messenger.TELEGRAM: BOT_ACTOR, Messenger.MAX: "MAX-бот"}  # in a call's history
SOURCES = {Messenger.TELEGRAM: Source.TELEGRAM, Messenger.MAX: Source.MAX}


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
        intake: ChatIntake,
        clinics: Clinics,
        analyzer: TextAnalyzer,
        clock: Callable[[], datetime],
        coding: ReasonCoding | None = None,
    ) -> None:
        self.intake = intake
        self.clinics = clinics
        self.coding = coding
        self.analyzer = analyzer
        self.clock = clock

    @property
    def queue(self) -> IntakeQueue:
        return self.intake.queue

    def assess(self, text: str, birth_date: date | None) -> Complaints:
        """What the NLP finds in a text — red flags (negations respected), the temperature —
        for the person's age from the birth date when it is known."""
        age = age_in_months(birth_date, self.clock().date()) / 12 if birth_date else None
        return self.analyzer.complaints(text, age)

    def plan(self, served: list[Clinic], mo_code: str | None) -> Plan:
        """The visit date by the MO's 13:00 rule (the first served MO when none was matched)."""
        if mo_code is None and served:
            mo = served[0]  # served MOs come in the directory's order, as `by_code` takes them
        else:
            mo = next((m for m in served if m.code == mo_code), None) or self.clinics.by_code(
                mo_code
            )
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
            "channel_kind": CHAT_CHANNEL,  # either messenger: the chat id tells which
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
        coding, coded_at = self.coding, draft.coded_at

        def remember(intake_id: str) -> None:
            if coding is not None and coded_at is not None:
                coding.remember(intake_id, draft.answers, coded_at)

        payload = self.payload(draft, phone, chat_id)
        return self.intake.submit(draft.key, payload, self.clock(), remember).created

    def record_emergency(
        self, draft: CallDraft, phone: str, chat_id: int, flags: list[RedFlag]
    ) -> None:
        """Store the intake as `emergency` with the spine's event; no visit is created.

        A red flag typed before the patient and the address were chosen (at the menu, while
        linking) is recorded with what the chat said: its text, the phone and the chat."""
        payload = self.payload(draft, phone, chat_id)
        actor = BOT_ACTORS[messenger_of(chat_id)]
        self.intake.record_emergency(draft.key, payload, chat_id, flags, actor, self.clock())
