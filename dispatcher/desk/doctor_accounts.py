"""Which desk user is which doctor: a linked user sees that doctor's calls."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from dispatcher.storage.desk_forms_tables import DoctorAccount
from intake_core.errors import FieldError, ValidationFailed


def doctor_of_user(session: Session, user_id: int) -> tables.Doctor | None:
    """The doctor this user is, or None for operators and unlinked accounts."""
    return session.scalar(
        select(tables.Doctor)
        .join(DoctorAccount, DoctorAccount.doctor_id == tables.Doctor.id)
        .where(DoctorAccount.user_id == user_id)
    )


def link_doctor(session: Session, user_id: int, doctor_code: str) -> tables.Doctor:
    """Make the user that doctor of the user's own MO (idempotent; relinks if needed)."""
    user = session.get(tables.User, user_id)
    doctor = (
        session.scalar(
            select(tables.Doctor).where(
                tables.Doctor.mo_id == user.mo_id, tables.Doctor.code == doctor_code
            )
        )
        if user is not None
        else None
    )
    if user is None or doctor is None:
        raise ValidationFailed(
            [FieldError("doctor_code", f"Врач {doctor_code} не найден в МО пользователя")]
        )
    account = session.get(DoctorAccount, user_id)
    if account is None:
        session.add(DoctorAccount(user_id=user_id, doctor_id=doctor.id))
    else:
        account.doctor_id = doctor.id
    session.flush()
    return doctor
