"""Tables of the dispatcher's algorithms: doctors' live state, call service cards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dispatcher.storage.tables import Base, BigId, UTCDateTime


class DoctorState(Base):
    """What a doctor is doing now: free, on_the_way, at_patient or done (for the day)."""

    __tablename__ = "doctor_states"

    doctor_id: Mapped[int] = mapped_column(
        ForeignKey("doctors.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    call_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("calls.id", ondelete="SET NULL"))


class CallServiceCard(Base):
    """The call service card: reason code, who was sent and why, what was needed, the result."""

    __tablename__ = "call_service_cards"

    call_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    branch: Mapped[str] = mapped_column(String(200))
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason_code: Mapped[str] = mapped_column(String(8))
    reason_letter: Mapped[str] = mapped_column(String(1))
    reason_text: Mapped[str] = mapped_column(String(500))
    urgency: Mapped[str] = mapped_column(String(16))
    coded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    coded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_letter: Mapped[str | None] = mapped_column(String(1))
    sent_doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"))
    sent_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    override_reason: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    postfactum_letter: Mapped[str | None] = mapped_column(String(1))
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result_code: Mapped[str | None] = mapped_column(String(32))
    result_reason: Mapped[str | None] = mapped_column(String(500))
    remarks: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
