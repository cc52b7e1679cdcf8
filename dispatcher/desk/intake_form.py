"""The new call form as typed by the operator: to the core's IntakeRequest and back to fields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Literal

from pydantic import BaseModel

from dispatcher.storage.references import MoContext
from intake_core.analysis import TextAnalyzer
from intake_core.call import CallerType, CallKind, Complaints, Source
from intake_core.districts import DistrictMatch, DistrictStreet
from intake_core.errors import FieldError
from intake_core.intake import (
    CallerInput,
    Formalized,
    IntakeRequest,
    InvalidBirthDate,
    PatientInput,
    parse_birth_date,
)
from intake_core.questionnaire import Facts
from intake_core.status import CallStatus

DESK_SOURCES = (Source.REGISTRY, Source.CALL_CENTER, Source.AMBULANCE, Source.DOCTOR)
DESK_KINDS = tuple(CallKind)
CALLER_TYPES = tuple(CallerType)

# core field names → the form's input names
_FIELD_NAMES = {
    "patient.last_name": "last_name",
    "patient.first_name": "first_name",
    "patient.middle_name": "middle_name",
    "patient.birth_date": "birth_date",
    "patient.sex": "sex",
    "policy": "policy_number",
    "caller.type": "caller_type",
    "caller.name": "caller_name",
    "caller.phone": "caller_phone",
    "to_mo": "to_mo",
}


Adjust = Callable[[Formalized], Formalized]

# the longest value each input takes, in characters: the page's maxlength and the server's check
# (a name longer than any real one is a slip of the keyboard, and it widened every list)
LIMITS = {
    "last_name": 50,
    "first_name": 50,
    "middle_name": 50,
    "birth_date": 10,
    "policy_series": 20,
    "policy_number": 30,
    "phone": 40,
    "address": 300,
    "entrance": 10,
    "floor": 10,
    "intercom": 30,
    "complaints": 2000,
    "caller_name": 150,
    "caller_phone": 40,
    "notes": 1000,
}


def too_long(limit: int, length: int) -> str:
    """The field's message when it is longer than its limit."""
    return f"Слишком длинно: не более {limit} знаков (введено {length})"


class NewCallForm(BaseModel):
    """Every input of «Оформление нового вызова», as strings, exactly as typed."""

    form_id: str = ""
    source: str = Source.REGISTRY.value
    kind: str = CallKind.PRIMARY.value
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    birth_date: str = ""
    sex: str = ""
    policy_series: str = ""
    policy_number: str = ""
    phone: str = ""
    address: str = ""
    district_code: str = ""
    entrance: str = ""
    floor: str = ""
    intercom: str = ""
    private_sector: str = ""
    complaints: str = ""
    caller_type: str = ""
    caller_name: str = ""
    caller_phone: str = ""
    notes: str = ""
    reason_answers: str = ""  # the reason-code questionnaire's answer ids, JSON
    linkedid: str = ""  # the phone call the form was opened from (the caller's card)
    # «Уточнил(а) у звонящего: не экстренный случай» — only clears signs that are all possible
    not_emergency: str = ""
    next: Literal["save", "assign", "transfer"] = "save"

    def length_errors(self) -> dict[str, str]:
        """The inputs longer than their limit, each with its Russian message."""
        errors: dict[str, str] = {}
        for name, limit in LIMITS.items():
            length = len(getattr(self, name).strip())
            if length > limit:
                errors[name] = too_long(limit, length)
        return errors

    def to_request(self, mo_code: str) -> IntakeRequest:
        return IntakeRequest(
            source=self.source,
            kind=self.kind or None,
            mo_code=mo_code,
            patient=PatientInput(
                last_name=self.last_name,
                first_name=self.first_name,
                middle_name=self.middle_name or None,
                birth_date=self.birth_date or None,
                sex=self.sex or None,
                policy_series=self.policy_series or None,
                policy_number=self.policy_number or None,
            ),
            phone=self.phone or None,
            address=self.address,
            entrance=self.entrance or None,
            floor=self.floor or None,
            intercom=self.intercom or None,
            private_sector=bool(self.private_sector) or None,
            complaints=self.complaints,
            caller=CallerInput(
                type=self.caller_type or None,
                name=self.caller_name or None,
                phone=self.caller_phone or None,
            ),
            notes=self.notes or None,
        )


def field_errors(errors: list[FieldError]) -> dict[str, str]:
    """Russian messages keyed by the form's input names, for showing next to each field."""
    shown: dict[str, str] = {}
    for error in errors:
        name = _FIELD_NAMES.get(error.field, error.field)
        shown[name] = f"{shown[name]}; {error.message}" if name in shown else error.message
    return shown


def typed_birth_date(raw: str, today: date) -> date | None:
    """The form's birth date as typed, or None while it is empty or not a date yet."""
    try:
        return parse_birth_date(raw, today) if raw.strip() else None
    except InvalidBirthDate:
        return None


def triage(analyzer: TextAnalyzer, text: str, birth_date: date | None, today: date) -> Complaints:
    """One free text of the form (complaint or note) through the emergency triage, with the age
    from the birth date (a fever under 3 months is an emergency)."""
    return analyzer.complaints(text[:2000], Facts.known(birth_date, None, today).age_years)


def with_triaged_notes(analyzer: TextAnalyzer, today: date) -> Adjust:
    """The note goes through the triage too: its red flags join the complaint's, so the intake
    refuses the call and records the emergency exactly as for an emergency complaint."""

    def adjust(formalized: Formalized) -> Formalized:
        notes = formalized.intake.notes
        if not notes:
            return formalized
        found = triage(analyzer, notes, formalized.intake.birth_date, today)
        if not found.emergency:
            return formalized
        complaints = formalized.complaints
        flags = complaints.red_flags + tuple(
            flag for flag in found.red_flags if flag not in complaints.red_flags
        )
        return replace(formalized, complaints=replace(complaints, red_flags=flags, emergency=True))

    return adjust


def chained(*steps: Adjust | None) -> Adjust:
    """The operator's corrections applied in order (the ones given)."""

    def adjust(formalized: Formalized) -> Formalized:
        for step in steps:
            if step is not None:
                formalized = step(formalized)
        return formalized

    return adjust


def with_district(mo: MoContext, code: str) -> Adjust:
    """The district the operator confirmed or chose: a person checked the address, so it is new."""

    def adjust(formalized: Formalized) -> Formalized:
        chosen = next((d for d in mo.catalog.districts if d.code == code), None)
        if chosen is None:
            return formalized
        match = formalized.district
        if match is None or match.district.code != code:
            address = formalized.address
            street = DistrictStreet(address.city, address.street or "", address.street_type, ())
            match = DistrictMatch(chosen, street)
        return replace(formalized, district=match, pending_reasons=(), status=CallStatus.NEW)

    return adjust
