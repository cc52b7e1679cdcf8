"""Tables of the telephony link: tracked phone calls and the call-back list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatcher.storage.tables import Base, BigId, UTCDateTime


class PhoneCallRow(Base):
    """One call through the PBX, keyed by its Linkedid: who called, who answered, how it ended."""

    __tablename__ = "phone_calls"
    __table_args__ = (Index("ix_phone_calls_outcome_started", "outcome", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(16))  # inbound / outbound
    caller: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164, None if withheld
    caller_raw: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(16))  # in_progress / answered / abandoned
    end_reason: Mapped[str | None] = mapped_column(String(16))
    agent_interface: Mapped[str | None] = mapped_column(String(64), index=True)
    agent_name: Mapped[str | None] = mapped_column(String(200))
    agent_channel: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hold_seconds: Mapped[int | None] = mapped_column(Integer)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    transferred_to: Mapped[str | None] = mapped_column(String(32))
    transferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    intake_call_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("calls.id", ondelete="SET NULL"), index=True
    )
    mo_id: Mapped[int | None] = mapped_column(
        ForeignKey("medical_organizations.id", ondelete="SET NULL"), index=True
    )


class CallbackRow(Base):
    """A call nobody answered, to ring back: open until reached or given up after attempts."""

    __tablename__ = "phone_callbacks"
    __table_args__ = (Index("ix_phone_callbacks_state_called", "state", "called_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    called_at: Mapped[datetime] = mapped_column(UTCDateTime())
    wait_seconds: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16))  # open / reached / given_up
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_agent_interface: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mo_id: Mapped[int | None] = mapped_column(
        ForeignKey("medical_organizations.id", ondelete="SET NULL"), index=True
    )
