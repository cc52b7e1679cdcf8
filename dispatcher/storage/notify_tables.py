"""Tables of the notification pipeline and the ambulance service handover."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dispatcher.storage.tables import Base, BigId, UTCDateTime


class NotifySubscription(Base):
    """A client system's webhook: where to post status events and the key to sign them."""

    __tablename__ = "notify_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("api_clients.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    statuses: Mapped[list[str]] = mapped_column(JSON, default=list)
    own_calls_only: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NotifyDelivery(Base):
    """One message to one recipient over one channel for one event: sent at most once."""

    __tablename__ = "notify_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "channel"),
        Index("ix_notify_deliveries_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger)
    call_id: Mapped[int | None] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    mo_id: Mapped[int | None] = mapped_column(
        ForeignKey("medical_organizations.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(64))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("notify_subscriptions.id", ondelete="CASCADE")
    )
    template: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotifySmsPart(Base):
    """One SMPP segment of an SMS, keyed by the SMS center's message id for receipts."""

    __tablename__ = "notify_sms_parts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("notify_deliveries.id", ondelete="CASCADE"), index=True
    )
    part_no: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str] = mapped_column(String(65), index=True)
    state: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NotifyPreference(Base):
    """A patient's choice by phone number: SMS wanted or not (opt-out)."""

    __tablename__ = "notify_preferences"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class NotifyMoSetting(Base):
    """Quiet hours of an MO (local time): non-urgent SMS wait until they end."""

    __tablename__ = "notify_mo_settings"

    mo_id: Mapped[int] = mapped_column(
        ForeignKey("medical_organizations.id", ondelete="CASCADE"), primary_key=True
    )
    quiet_start: Mapped[str] = mapped_column(String(5), default="22:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")


class SmpHandover(Base):
    """An urgent call or «актив» handed over by the ambulance service, by its card number."""

    __tablename__ = "smp_handovers"
    __table_args__ = (UniqueConstraint("client_id", "card_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"))
    card_number: Mapped[str] = mapped_column(String(64))
    intake_id: Mapped[str] = mapped_column(ForeignKey("intakes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(8))
    reason_text: Mapped[str] = mapped_column(String(1000))
    brigade: Mapped[str | None] = mapped_column(String(64))
    smp_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handed_over_at: Mapped[datetime] = mapped_column(UTCDateTime())
