"""A patient's SMS preference (opt-out by phone) and the MO's quiet hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.notify.delivery_state import DeliveryState
from dispatcher.storage import tables
from dispatcher.storage.notify_tables import NotifyDelivery, NotifyMoSetting, NotifyPreference
from intake_core.errors import FieldError, NotFound, ValidationFailed
from intake_core.phones import InvalidPhone, normalize_phone, phone_field_error

HELD = DeliveryState.DEFERRED.value  # an SMS waiting for the end of quiet hours


def sms_wanted(session: Session, phone: str) -> bool:
    """False when the patient opted out of SMS for this number."""
    pref = session.get(NotifyPreference, phone)
    return pref is None or pref.sms_enabled


def set_sms(session: Session, raw_phone: str, enabled: bool, actor: str, now: datetime) -> str:
    """Record a patient's choice for a number; returns the number in E.164."""
    try:
        phone = normalize_phone(raw_phone)
    except InvalidPhone:
        phone = None
    if phone is None:
        raise ValidationFailed([phone_field_error("phone")])
    pref = session.get(NotifyPreference, phone)
    if pref is None:
        pref = NotifyPreference(phone=phone)
        session.add(pref)
    pref.sms_enabled = enabled
    pref.updated_at = now
    pref.updated_by = actor
    return phone


def _hhmm(value: str, field: str) -> time:
    try:
        hours, minutes = (int(p) for p in value.split(":"))
        return time(hours, minutes)
    except ValueError as exc:
        raise ValidationFailed([FieldError(field, "Время в виде ЧЧ:ММ", "invalid")]) from exc


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local [start, end) when non-urgent SMS wait; may span midnight (22:00–08:00)."""

    start: time
    end: time
    zone: ZoneInfo

    def until(self, moment: datetime) -> datetime | None:
        """When the quiet period containing `moment` ends, or None when it is not quiet."""
        if self.start == self.end:
            return None
        local = moment.astimezone(self.zone)
        now = local.time()
        if self.start < self.end:
            inside = self.start <= now < self.end
            end_day = local.date()
        else:
            inside = now >= self.start or now < self.end
            end_day = local.date() + timedelta(days=1) if now >= self.start else local.date()
        if not inside:
            return None
        return datetime.combine(end_day, self.end, tzinfo=self.zone)


def quiet_hours(session: Session, mo_id: int, default_start: str, default_end: str) -> QuietHours:
    mo = session.get(tables.MedicalOrganization, mo_id)
    zone = ZoneInfo(mo.timezone if mo else "Europe/Moscow")
    setting = session.get(NotifyMoSetting, mo_id)
    start = setting.quiet_start if setting else default_start
    end = setting.quiet_end if setting else default_end
    return QuietHours(_hhmm(start, "quiet_start"), _hhmm(end, "quiet_end"), zone)


def set_quiet_hours(
    session: Session, mo_code: str, start: str, end: str, now: datetime | None = None
) -> int:
    """Store the MO's quiet hours; SMS held by the old ones get the release time of the new
    ones (at once when `now` is no longer quiet). Returns how many were rescheduled."""
    _hhmm(start, "quiet_start")
    _hhmm(end, "quiet_end")
    mo = session.scalar(
        select(tables.MedicalOrganization).where(tables.MedicalOrganization.code == mo_code)
    )
    if mo is None:
        raise NotFound(f"Медицинская организация {mo_code} не найдена")
    setting = session.get(NotifyMoSetting, mo.id)
    if setting is None:
        setting = NotifyMoSetting(mo_id=mo.id)
        session.add(setting)
    setting.quiet_start = start
    setting.quiet_end = end
    session.flush()
    return reschedule_held(session, mo.id, now or datetime.now(UTC))


def reschedule_held(session: Session, mo_id: int, now: datetime) -> int:
    """Recompute when the MO's SMS held for quiet hours go, by the hours stored now."""
    held = list(
        session.scalars(
            select(NotifyDelivery)
            .where(NotifyDelivery.mo_id == mo_id, NotifyDelivery.state == HELD)
            .with_for_update()
        )
    )
    if not held:
        return 0
    setting = session.get(NotifyMoSetting, mo_id)
    if setting is None:
        return 0
    hours = quiet_hours(session, mo_id, setting.quiet_start, setting.quiet_end)
    until = hours.until(now)
    release = until.astimezone(UTC) if until is not None else now
    for row in held:
        row.due_at = release
        row.updated_at = now
    return len(held)
