"""The formalized call and the value objects it is made of."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from intake_core.patient import AgeCategory, Patient
from intake_core.status import CallStatus


class Source(enum.StrEnum):
    CALL_CENTER = "call_center"
    REGISTRY = "registry"
    DOCTOR = "doctor"
    PORTAL = "portal"
    AMBULANCE = "ambulance"
    TELEGRAM = "telegram"
    MAX = "max"  # the national messenger's bot

    @property
    def label(self) -> str:
        return {
            Source.CALL_CENTER: "Колл-центр",
            Source.REGISTRY: "Регистратура",
            Source.DOCTOR: "Врач поликлиники",
            Source.PORTAL: "РПГУ (портал)",
            Source.AMBULANCE: "СМП",
            Source.TELEGRAM: "Telegram",
            Source.MAX: "MAX",
        }[self]


class CallKind(enum.StrEnum):
    PRIMARY = "primary"
    REPEAT = "repeat"
    ACTIVE_VISIT = "active_visit"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return {
            CallKind.PRIMARY: "Первичный",
            CallKind.REPEAT: "Повторный",
            CallKind.ACTIVE_VISIT: "Активное посещение",
            CallKind.URGENT: "Неотложный",
        }[self]


class CallerType(enum.StrEnum):
    SELF = "сам пациент"
    MOTHER = "мать"
    FATHER = "отец"
    RELATIVE = "родственник"
    SOCIAL_WORKER = "соцработник"
    AMBULANCE = "СМП"
    OTHER = "другое"


class ServiceResult(enum.StrEnum):
    """How a visit ended (the call service card's result code)."""

    LEFT_AT_HOME = "left_at_home"
    HOSPITALISED = "hospitalised"
    HANDED_OVER = "handed_over"
    REFUSED_HOSPITALISATION = "refused_hospitalisation"
    NOBODY_HOME = "nobody_home"
    DEATH = "death"

    @property
    def label(self) -> str:
        return {
            ServiceResult.LEFT_AT_HOME: "Оставлен дома",
            ServiceResult.HOSPITALISED: "Госпитализирован",
            ServiceResult.HANDED_OVER: "Передан",
            ServiceResult.REFUSED_HOSPITALISATION: "Отказ от госпитализации",
            ServiceResult.NOBODY_HOME: "Никого нет дома",
            ServiceResult.DEATH: "Смерть",
        }[self]


ADDRESS_KEYS = (
    "region",
    "district",
    "city",
    "street",
    "street_type",
    "house",
    "korpus",
    "building",
    "flat",
    "entrance",
    "floor",
    "intercom",
)


@dataclass(frozen=True, slots=True)
class VisitAddress:
    """Where the doctor goes: the raw text and its components."""

    raw: str
    region: str | None = None
    district: str | None = None
    city: str | None = None
    street: str | None = None
    street_type: str | None = None
    house: str | None = None
    korpus: str | None = None
    building: str | None = None
    flat: str | None = None
    entrance: str | None = None
    floor: str | None = None
    intercom: str | None = None
    private_sector: bool = False
    confidence: float = 0.0
    street_matched: bool = False

    def components(self) -> dict[str, str | None]:
        return {key: getattr(self, key) for key in ADDRESS_KEYS}

    @property
    def one_line(self) -> str:
        """«Химки, ул. Молодежная, д. 63, корп. 2, кв. 54» for lists and messages."""
        parts: list[str] = []
        if self.city:
            parts.append(self.city)
        if self.street:
            parts.append(f"{self.street_type or ''} {self.street}".strip())
        for label, value in (("д.", self.house), ("корп.", self.korpus), ("стр.", self.building)):
            if value:
                parts.append(f"{label} {value}")
        if self.flat:
            parts.append(f"кв. {self.flat}")
        return ", ".join(parts) or self.raw


@dataclass(frozen=True, slots=True)
class RedFlag:
    """A sign of an emergency. `possible` marks a likely but uncertain one: every channel still
    treats it as an emergency, only a person who asked the caller (the desk operator) may
    confirm it is not one."""

    code: str
    reason: str
    possible: bool = False

    def as_json(self) -> dict[str, Any]:
        """As the call row, the intake row and the desk's live triage keep it."""
        return {"code": self.code, "reason": self.reason, "possible": self.possible}

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> RedFlag:
        """Back from `as_json`; a flag stored before `possible` existed is a certain one."""
        return cls(str(stored["code"]), str(stored["reason"]), bool(stored.get("possible")))


@dataclass(frozen=True, slots=True)
class Complaints:
    """Complaint text and what the NLP found in it."""

    raw: str
    symptoms: tuple[str, ...] = ()
    temperature: float | None = None
    reason_code: str | None = None
    red_flags: tuple[RedFlag, ...] = ()
    emergency: bool = False


@dataclass(frozen=True, slots=True)
class Caller:
    type: CallerType | None
    name: str | None
    phone: str | None


# a messenger chat's channel kind, Telegram or MAX alike: the chat id tells which (bots.ids)
CHAT_CHANNEL = "telegram_chat"


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """How the call reached us: a Telegram chat, a telephony Linkedid, a portal or СМП id."""

    kind: str
    value: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StatusChange:
    at: datetime
    actor: str
    from_status: CallStatus | None
    to_status: CallStatus
    reason: str | None


@dataclass(frozen=True, slots=True)
class Assignment:
    doctor_id: int
    doctor_name: str
    planned_date: date


@dataclass(frozen=True, slots=True)
class Service:
    """What the doctor recorded when serving the call."""

    result: ServiceResult
    diagnoses: tuple[str, ...]
    note: str | None


@dataclass(slots=True)
class Call:
    """A formalized call as the dispatcher sees it."""

    id: int
    number: int
    mo_code: str
    department_code: str | None
    source: Source
    kind: CallKind
    status: CallStatus
    patient: Patient
    age_category: AgeCategory | None
    phone: str | None
    address: VisitAddress
    district_code: str | None
    complaints: Complaints
    caller: Caller
    planned_date: date
    created_at: datetime
    received_at: datetime
    notes: str | None = None
    assignment: Assignment | None = None
    service: Service | None = None
    assigned_at: datetime | None = None
    served_at: datetime | None = None
    transferred_to: str | None = None
    pending_reasons: tuple[str, ...] = ()
    channels: list[ChannelRef] = field(default_factory=list)
    history: list[StatusChange] = field(default_factory=list)
