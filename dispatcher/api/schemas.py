"""JSON shapes of the API (pydantic at the edge) and the mapping of domain calls to them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from dispatcher.api.responses import MAX_ID
from dispatcher.services.lifecycle import ICD10
from intake_core.call import Call, ServiceResult
from intake_core.intake import (
    CALL_KINDS,
    CALLER_TYPES,
    SEXES,
    SOURCES,
    CallerInput,
    IntakeRequest,
    PatientInput,
)
from intake_core.overdue import Deadlines
from intake_core.patient import describe_age

# Constraints the domain checks itself, field by field with Russian messages: the OpenAPI
# states them (so a schema-valid request is accepted), pydantic does not check them twice.
# a non-space character, as the domain's str.split() sees spaces (also \x1c-\x1f and \x85)
NON_BLANK: dict[str, Any] = {"minLength": 1, "pattern": r"[^\s\u001c-\u001f\u0085]"}
# the same rule checked by pydantic, for a field the domain does not look at
NON_BLANK_TEXT: dict[str, Any] = {"min_length": 1, "pattern": NON_BLANK["pattern"]}
DIGITS: dict[str, Any] = {"pattern": r"^\s*-?[0-9]+\s*$|^$"}


def _iso_only(value: Any) -> Any:
    """Pydantic also reads a number as a Unix time; the API takes ISO 8601 only, as it says."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.match(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("ожидается дата ISO 8601")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_only)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def one_of(values: tuple[str, ...], nullable: bool = True) -> dict[str, Any]:
    """Accepted spellings (the domain also takes them in any letter case)."""
    return {"enum": [*sorted(values), *([None] if nullable else [])]}


def required_text(*names: str) -> Callable[[dict[str, Any]], None]:
    """Declare optional-in-pydantic fields as required non-null strings in the OpenAPI: the
    domain answers a missing one with its own Russian message."""

    def patch(schema: dict[str, Any]) -> None:
        schema["required"] = sorted({*schema.get("required", []), *names})
        for name in names:
            field = schema["properties"][name]
            variants = field.pop("anyOf", None)
            if variants:
                field.update(next(v for v in variants if v.get("type") != "null"))
            field.pop("default", None)

    return patch


class PatientBody(BaseModel):
    """Пациент. Дата рождения (ДД.ММ.ГГГГ или ГГГГ-ММ-ДД, не в будущем, возраст до 125 лет) и
    полис ОМС (16 цифр ЕНП с контрольной цифрой, или серия и 6–12 цифр старого образца)
    проверяются по этим правилам: иначе 422 с сообщением по полю."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra=required_text("last_name", "first_name")
    )

    last_name: str | None = Field(None, max_length=100, json_schema_extra=NON_BLANK)
    first_name: str | None = Field(None, max_length=100, json_schema_extra=NON_BLANK)
    middle_name: str | None = Field(None, max_length=100)
    birth_date: str | None = Field(None, max_length=20, examples=["2015-03-02"])
    sex: str | None = Field(None, max_length=10, examples=["Ж"], json_schema_extra=one_of(SEXES))
    policy_series: str | None = Field(None, max_length=20)
    policy_number: str | None = Field(None, max_length=30)
    policy: str | None = Field(None, max_length=30, description="синоним policy_number")


class CallerBody(BaseModel):
    """Кто вызывает. Телефон проверяется по плану нумерации (иначе 422)."""

    model_config = ConfigDict(extra="ignore")

    type: str | None = Field(
        None, max_length=32, examples=["мать"], json_schema_extra=one_of(CALLER_TYPES)
    )
    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)


class IntakeBody(BaseModel):
    """Вызов от внешней системы: сервис проверяет каждое поле и отвечает по-русски. Телефон
    проверяется по плану нумерации (8…, +7…, 10 цифр), иначе 422."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra=required_text("phone", "address", "complaints")
    )

    source: str = Field(
        ..., max_length=32, examples=["portal"], json_schema_extra=one_of(SOURCES, nullable=False)
    )
    kind: str | None = Field(None, max_length=32, json_schema_extra=one_of(CALL_KINDS))
    mo_code: str | None = Field(None, max_length=32)
    patient: PatientBody
    phone: str | None = Field(
        None, max_length=40, examples=["8 (916) 123-45-67"], json_schema_extra=NON_BLANK
    )
    address: str = Field("", max_length=1000, json_schema_extra=NON_BLANK)
    entrance: str | None = Field(None, max_length=10, json_schema_extra=DIGITS)
    floor: str | None = Field(None, max_length=10, json_schema_extra=DIGITS)
    intercom: str | None = Field(None, max_length=100)
    private_sector: bool | None = Field(None, strict=True)
    complaints: str = Field("", max_length=4000, json_schema_extra=NON_BLANK)
    caller: CallerBody = CallerBody()
    notes: str | None = Field(None, max_length=2000)
    channel_kind: str | None = Field(None, max_length=32)
    channel_ref: str | None = Field(None, max_length=200)

    def payload(self) -> dict[str, Any]:
        data = self.model_dump()
        patient = data["patient"]
        if patient.get("policy") and not patient.get("policy_number"):
            patient["policy_number"] = patient["policy"]
        patient.pop("policy", None)
        return data

    def to_request(self) -> IntakeRequest:
        data = self.payload()
        return IntakeRequest(
            source=data["source"],
            kind=data["kind"],
            mo_code=data["mo_code"],
            patient=PatientInput(**data["patient"]),
            phone=data["phone"],
            address=data["address"],
            entrance=data["entrance"],
            floor=data["floor"],
            intercom=data["intercom"],
            private_sector=data["private_sector"],
            complaints=data["complaints"],
            caller=CallerInput(**data["caller"]),
            notes=data["notes"],
            channel_kind=data["channel_kind"],
            channel_ref=data["channel_ref"],
        )


class IntakeAccepted(BaseModel):
    intake_id: str
    status_url: str
    state: str


class AssignBody(BaseModel):
    doctor_id: int = Field(..., ge=1, le=MAX_ID)
    planned_date: IsoDate | None = None


class ServeBody(BaseModel):
    result: ServiceResult
    diagnoses: list[str] = Field(
        default_factory=list,
        max_length=10,
        json_schema_extra={"items": {"type": "string", "pattern": ICD10}},
        examples=[["J06.9"]],
    )
    note: str | None = Field(None, max_length=2000)


class ReasonBody(BaseModel):
    reason: str = Field(..., max_length=1000, json_schema_extra=NON_BLANK)


class TransferBody(BaseModel):
    to_mo: str = Field(..., max_length=32, json_schema_extra=NON_BLANK)
    reason: str = Field(..., max_length=1000, json_schema_extra=NON_BLANK)


class LoginBody(BaseModel):
    login: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=200)


def call_json(call: Call, deadlines: Deadlines, now: datetime) -> dict[str, Any]:
    """The formalized call as the API returns it."""
    patient = call.patient
    deadline = deadlines.deadline(call.status, call.created_at, call.assigned_at)
    return {
        "id": call.id,
        "number": call.number,
        "title": f"Карта вызова № {call.number}",
        "mo_code": call.mo_code,
        "department_code": call.department_code,
        "district_code": call.district_code,
        "source": call.source.value,
        "source_label": call.source.label,
        "kind": call.kind.value,
        "kind_label": call.kind.label,
        "status": call.status.value,
        "status_label": call.status.label,
        "pending_reasons": list(call.pending_reasons),
        "overdue": deadline is not None and now > deadline,
        "deadline": deadline.isoformat() if deadline else None,
        "patient": {
            "last_name": patient.last_name,
            "first_name": patient.first_name,
            "middle_name": patient.middle_name,
            "birth_date": patient.birth_date.isoformat() if patient.birth_date else None,
            "age": describe_age(patient.birth_date, now.date()) if patient.birth_date else None,
            "age_category": call.age_category.value if call.age_category else None,
            "sex": patient.sex.value if patient.sex else None,
            "policy_series": patient.policy_series,
            "policy_number": patient.policy_number,
        },
        "phone": call.phone,
        "address": {
            "raw": call.address.raw,
            **call.address.components(),
            "private_sector": call.address.private_sector,
            "confidence": call.address.confidence,
            "street_matched": call.address.street_matched,
            "one_line": call.address.one_line,
        },
        "complaints": {
            "raw": call.complaints.raw,
            "symptoms": list(call.complaints.symptoms),
            "temperature": call.complaints.temperature,
            "reason_code": call.complaints.reason_code,
            "red_flags": [{"code": f.code, "reason": f.reason} for f in call.complaints.red_flags],
            "emergency": call.complaints.emergency,
        },
        "caller": {
            "type": call.caller.type.value if call.caller.type else None,
            "name": call.caller.name,
            "phone": call.caller.phone,
        },
        "planned_date": call.planned_date.isoformat(),
        "notes": call.notes,
        "assignment": (
            {
                "doctor_id": call.assignment.doctor_id,
                "doctor_name": call.assignment.doctor_name,
                "planned_date": call.assignment.planned_date.isoformat(),
                "assigned_at": call.assigned_at.isoformat() if call.assigned_at else None,
            }
            if call.assignment
            else None
        ),
        "service": (
            {
                "result": call.service.result.value,
                "result_label": call.service.result.label,
                "diagnoses": list(call.service.diagnoses),
                "note": call.service.note,
                "served_at": call.served_at.isoformat() if call.served_at else None,
            }
            if call.service
            else None
        ),
        "transferred_to": call.transferred_to,
        "channels": [
            {"kind": c.kind, "value": c.value, "at": c.at.isoformat()} for c in call.channels
        ],
        "created_at": call.created_at.isoformat(),
        "received_at": call.received_at.isoformat(),
        "history": [
            {
                "at": h.at.isoformat(),
                "actor": h.actor,
                "from": h.from_status.value if h.from_status else None,
                "from_label": h.from_status.label if h.from_status else None,
                "to": h.to_status.value,
                "to_label": h.to_status.label,
                "reason": h.reason,
            }
            for h in call.history
        ],
    }
