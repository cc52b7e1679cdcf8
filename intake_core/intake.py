"""From a raw intake to a formalized call, a clear rejection, or an emergency redirect."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from intake_core.analysis import TextAnalyzer
from intake_core.call import (
    CallerType,
    CallKind,
    Complaints,
    RedFlag,
    Source,
    VisitAddress,
)
from intake_core.districts import DistrictCatalog, DistrictMatch
from intake_core.errors import FieldError, IllegalTransition, InvalidValue, ValidationFailed
from intake_core.patient import AgeCategory, Sex, age_category, age_in_months
from intake_core.phones import InvalidPhone, normalize_phone, phone_field_error
from intake_core.planning import WorkCalendar
from intake_core.policy import InvalidPolicy, Policy, parse_policy, policy_field_error
from intake_core.status import CallStatus

EMERGENCY_ADVICE = (
    "Это похоже на неотложное состояние. Вызов врача на дом не оформлен: "
    "срочно звоните 103 или 112."
)
MIN_ADDRESS_CONFIDENCE = 0.6
MAX_AGE_YEARS = 125
# Russia's easternmost time zone (Kamchatka, Chukotka: UTC+12): where its calendar date is the
# latest at any instant
EASTERNMOST_OFFSET = timedelta(hours=12)


def latest_local_date(now: datetime) -> date:
    """The calendar date where it is latest in Russia at `now`: a channel that does not know the
    patient's MO yet takes it as «today», so that no date that is today for the patient (a
    baby born after midnight in Moscow, before midnight in UTC) is refused as in the future."""
    return (now.astimezone(UTC) + EASTERNMOST_OFFSET).date()


MAX_ATTEMPTS = 5  # an intake that failed this often is left queued, logged, not tried again


class IntakeState(enum.StrEnum):
    QUEUED = "queued"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EMERGENCY = "emergency"

    @property
    def label(self) -> str:
        return _INTAKE_LABELS[self]


_INTAKE_LABELS = {
    IntakeState.QUEUED: "В очереди",
    IntakeState.ACCEPTED: "Принята",
    IntakeState.REJECTED: "Отклонена",
    IntakeState.EMERGENCY: "Перенаправлена на 103/112",
}

# state -> the states an intake may move to from it: it is settled once
INTAKE_TRANSITIONS: dict[IntakeState, frozenset[IntakeState]] = {
    IntakeState.QUEUED: frozenset(
        {IntakeState.ACCEPTED, IntakeState.REJECTED, IntakeState.EMERGENCY}
    ),
    IntakeState.ACCEPTED: frozenset(),
    IntakeState.REJECTED: frozenset(),
    IntakeState.EMERGENCY: frozenset(),
}


class IntakeMoveRefused(IllegalTransition):
    """A change of an intake's state its lifecycle does not allow (it is settled already)."""

    code = "illegal_intake_move"

    def __init__(self, current: IntakeState, target: IntakeState) -> None:
        super().__init__(
            f"Заявку в состоянии «{current.label}» нельзя перевести в состояние «{target.label}»"
        )
        self.current = current
        self.target = target


def next_intake_state(current: IntakeState, target: IntakeState) -> IntakeState:
    """`target` when the table allows the move from `current`, else IntakeMoveRefused."""
    if target not in INTAKE_TRANSITIONS[current]:
        raise IntakeMoveRefused(current, target)
    return target


@dataclass(frozen=True, slots=True)
class PatientInput:
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    policy_series: str | None = None
    policy_number: str | None = None


@dataclass(frozen=True, slots=True)
class CallerInput:
    type: str | None = None
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class IntakeRequest:
    """A raw call as a channel hands it over, before any checks."""

    source: str
    patient: PatientInput
    address: str
    complaints: str
    phone: str | None = None
    kind: str | None = None
    mo_code: str | None = None
    entrance: str | None = None
    floor: str | None = None
    intercom: str | None = None
    private_sector: bool | None = None
    caller: CallerInput = field(default_factory=CallerInput)
    notes: str | None = None
    channel_kind: str | None = None
    channel_ref: str | None = None


@dataclass(frozen=True, slots=True)
class ValidIntake:
    """An intake whose fields are well-formed; what the worker formalizes."""

    source: Source
    kind: CallKind | None
    mo_code: str | None
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: date | None
    sex: Sex | None
    policy: Policy | None
    phone: str | None
    address: str
    entrance: str | None
    floor: str | None
    intercom: str | None
    private_sector: bool | None
    complaints: str
    caller_type: CallerType | None
    caller_name: str | None
    caller_phone: str | None
    notes: str | None
    channel_kind: str | None
    channel_ref: str | None


_SOURCE_ALIASES = {
    "portal": Source.PORTAL,
    "rpgu": Source.PORTAL,
    "рпгу": Source.PORTAL,
    "call_center": Source.CALL_CENTER,
    "callcenter": Source.CALL_CENTER,
    "phone": Source.CALL_CENTER,
    "registry": Source.REGISTRY,
    "doctor": Source.DOCTOR,
    "ambulance": Source.AMBULANCE,
    "smp": Source.AMBULANCE,
    "смп": Source.AMBULANCE,
    "telegram": Source.TELEGRAM,
    "max": Source.MAX,
}
_KIND_ALIASES = {k.value: k for k in CallKind} | {k.label.casefold(): k for k in CallKind}
_CALLER_ALIASES = {t.value.casefold(): t for t in CallerType} | {
    "сам": CallerType.SELF,
    "пациент": CallerType.SELF,
    "мама": CallerType.MOTHER,
    "папа": CallerType.FATHER,
    "social_worker": CallerType.SOCIAL_WORKER,
    "self": CallerType.SELF,
    "mother": CallerType.MOTHER,
    "father": CallerType.FATHER,
    "relative": CallerType.RELATIVE,
    "ambulance": CallerType.AMBULANCE,
    "other": CallerType.OTHER,
}
_SEX_ALIASES = {"м": Sex.MALE, "m": Sex.MALE, "male": Sex.MALE, "ж": Sex.FEMALE, "f": Sex.FEMALE}
_SEX_ALIASES |= {"female": Sex.FEMALE, "мужской": Sex.MALE, "женский": Sex.FEMALE}
# the accepted spellings, for the API schema
SOURCES = tuple(_SOURCE_ALIASES)
CALL_KINDS = tuple(_KIND_ALIASES)
SEXES = tuple(_SEX_ALIASES)
CALLER_TYPES = tuple(_CALLER_ALIASES)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


class InvalidBirthDate(InvalidValue):
    """A birth date that cannot be read or cannot be true; the reason is Russian."""

    code = "invalid_date"


def parse_birth_date(raw: str, today: date) -> date:
    """ISO «2015-03-02» or Russian «02.03.2015»; raise InvalidBirthDate with a Russian reason."""
    text = raw.strip()
    parsed: date | None = None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            parsed = datetime.strptime(text, fmt).date()
            break
        except ValueError:
            continue
    if parsed is None:
        raise InvalidBirthDate("Неверная дата рождения: укажите в виде ДД.ММ.ГГГГ или ГГГГ-ММ-ДД")
    if parsed > today:
        raise InvalidBirthDate("Дата рождения не может быть в будущем")
    if today.year - parsed.year > MAX_AGE_YEARS:
        raise InvalidBirthDate("Проверьте дату рождения: возраст больше 125 лет")
    return parsed


def validate(request: IntakeRequest, today: date) -> ValidIntake:
    """Check every field at once; raise ValidationFailed listing each bad one in Russian."""
    errors: list[FieldError] = []
    source = _SOURCE_ALIASES.get(request.source.strip().casefold())
    if source is None:
        errors.append(FieldError("source", "Неизвестный источник вызова", "invalid_source"))
    kind: CallKind | None = None
    if request.kind:
        kind = _KIND_ALIASES.get(request.kind.strip().casefold())
        if kind is None:
            errors.append(FieldError("kind", "Неизвестный вид вызова", "invalid_kind"))
    last_name = _clean(request.patient.last_name)
    first_name = _clean(request.patient.first_name)
    if not last_name:
        errors.append(FieldError("patient.last_name", "Укажите фамилию пациента", "required"))
    if not first_name:
        errors.append(FieldError("patient.first_name", "Укажите имя пациента", "required"))
    birth_date: date | None = None
    if request.patient.birth_date:
        try:
            birth_date = parse_birth_date(request.patient.birth_date, today)
        except InvalidBirthDate as exc:
            errors.append(FieldError("patient.birth_date", exc.message, exc.code))
    sex: Sex | None = None
    if request.patient.sex:
        sex = _SEX_ALIASES.get(request.patient.sex.strip().casefold())
        if sex is None:
            errors.append(FieldError("patient.sex", "Пол: «М» или «Ж»", "invalid_sex"))
    policy: Policy | None = None
    try:
        policy = parse_policy(request.patient.policy_series, request.patient.policy_number)
    except InvalidPolicy as exc:
        errors.append(policy_field_error(exc.message))
    phone: str | None = None
    if request.phone and request.phone.strip():
        try:
            phone = normalize_phone(request.phone)
        except InvalidPhone:
            errors.append(phone_field_error("phone"))
    caller_phone: str | None = None
    if request.caller.phone and request.caller.phone.strip():
        try:
            caller_phone = normalize_phone(request.caller.phone)
        except InvalidPhone:
            errors.append(phone_field_error("caller.phone"))
    phone_given = bool((request.phone or "").strip() or (request.caller.phone or "").strip())
    if not phone_given and source is not Source.AMBULANCE:
        errors.append(
            FieldError("phone", "Укажите контактный телефон, чтобы врач мог связаться", "required")
        )
    address = _clean(request.address)
    if not address:
        errors.append(FieldError("address", "Укажите адрес, куда прийти врачу", "required"))
    complaints = _clean(request.complaints)
    if not complaints:
        errors.append(FieldError("complaints", "Опишите жалобы пациента", "required"))
    caller_type: CallerType | None = None
    if request.caller.type:
        caller_type = _CALLER_ALIASES.get(request.caller.type.strip().casefold())
        if caller_type is None:
            errors.append(FieldError("caller.type", "Неизвестный тип вызывающего", "invalid"))
    for name, value in (("entrance", request.entrance), ("floor", request.floor)):
        if value and not value.strip().lstrip("-").isdigit():
            label = "Подъезд" if name == "entrance" else "Этаж"
            errors.append(FieldError(name, f"{label}: только цифры", "invalid"))
    if errors:
        raise ValidationFailed(errors)
    assert source is not None and last_name and first_name and address and complaints
    return ValidIntake(
        source=source,
        kind=kind,
        mo_code=_clean(request.mo_code),
        last_name=last_name,
        first_name=first_name,
        middle_name=_clean(request.patient.middle_name),
        birth_date=birth_date,
        sex=sex,
        policy=policy,
        phone=phone or caller_phone,
        address=address,
        entrance=_clean(request.entrance),
        floor=_clean(request.floor),
        intercom=_clean(request.intercom),
        private_sector=request.private_sector,
        complaints=complaints,
        caller_type=caller_type,
        caller_name=_clean(request.caller.name),
        caller_phone=caller_phone,
        notes=_clean(request.notes),
        channel_kind=_clean(request.channel_kind),
        channel_ref=_clean(request.channel_ref),
    )


@dataclass(frozen=True, slots=True)
class Formalized:
    """The worker's verdict on one intake, before storage decides about duplicates."""

    intake: ValidIntake
    address: VisitAddress
    complaints: Complaints
    age_category: AgeCategory | None
    kind: CallKind
    status: CallStatus
    pending_reasons: tuple[str, ...]
    district: DistrictMatch | None
    planned_date: date

    @property
    def emergency(self) -> bool:
        return self.complaints.emergency

    @property
    def red_flags(self) -> tuple[RedFlag, ...]:
        return self.complaints.red_flags


def formalize(
    intake: ValidIntake,
    analyzer: TextAnalyzer,
    catalog: DistrictCatalog,
    calendar: WorkCalendar,
    now: datetime,
) -> Formalized:
    """Parse the texts, triage, match the district, decide status and planned date."""
    today = now.date()
    age_years: float | None = None
    if intake.birth_date is not None:
        age_years = age_in_months(intake.birth_date, today) / 12
    complaints = analyzer.complaints(intake.complaints, age_years)
    address = analyzer.address(intake.address, catalog.streets())
    # fields typed into their own boxes win over what was parsed from the line
    overrides = {
        key: value
        for key, value in (
            ("entrance", intake.entrance),
            ("floor", intake.floor),
            ("intercom", intake.intercom),
        )
        if value
    }
    address = replace(address, **overrides)  # type: ignore[arg-type]
    if intake.private_sector is not None:
        address = replace(address, private_sector=intake.private_sector)
    category = age_category(intake.birth_date, today)
    district = catalog.match(address.city, address.street, address.house, category)
    reasons: list[str] = []
    if district is None:
        reasons.append("Адрес не сопоставлен с участком")
    if address.confidence < MIN_ADDRESS_CONFIDENCE:
        reasons.append("Адрес распознан неуверенно")
    kind = intake.kind or (
        CallKind.URGENT if intake.source is Source.AMBULANCE else CallKind.PRIMARY
    )
    return Formalized(
        intake=intake,
        address=address,
        complaints=complaints,
        age_category=category,
        kind=kind,
        status=CallStatus.PENDING if reasons else CallStatus.NEW,
        pending_reasons=tuple(reasons),
        district=district,
        planned_date=calendar.planned_date(now),
    )
