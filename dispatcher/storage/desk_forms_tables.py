"""Tables of the desk's forms: which user is which doctor, until when an MO works."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from dispatcher.storage.tables import Base


class DoctorAccount(Base):
    """A desk user who is a doctor: the doctor view and the route sheet show this doctor's calls."""

    __tablename__ = "desk_doctor_accounts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id", ondelete="CASCADE"), index=True)


class MoTerm(Base):
    """Until when a medical organization accepts calls («работает до» in the transfer dialog)."""

    __tablename__ = "mo_terms"

    mo_id: Mapped[int] = mapped_column(
        ForeignKey("medical_organizations.id", ondelete="CASCADE"), primary_key=True
    )
    works_until: Mapped[date | None] = mapped_column(Date)
