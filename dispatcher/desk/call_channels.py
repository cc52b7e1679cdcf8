"""How a call reached us, as the call card says it: «поступил по телефону 08:15», «Telegram»."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dispatcher.storage.phone_calls import TELEPHONY_CHANNEL
from intake_core.call import ChannelRef

DESK_CHANNEL = "desk_form"  # «Новый вызов» of the desk: the form's id

# call_channels.kind → what the operator reads; the ids themselves are for machines
LABELS = {
    TELEPHONY_CHANNEL: "поступил по телефону",
    DESK_CHANNEL: "оформлен оператором на рабочем столе",
    "telegram_chat": "Telegram",
    "portal_request": "портал",
    "smp_card": "СМП",
    "intake": "из внешней системы",
}
OTHER = "другой канал"
SHOWN_VALUES = frozenset({"smp_card"})  # the ambulance card number is what people quote


@dataclass(frozen=True, slots=True)
class ChannelLine:
    """One channel of a call: its kind, label, the number people quote, local time."""

    kind: str
    label: str
    number: str | None
    at: str


def channel_lines(
    channels: Iterable[ChannelRef], created_at: datetime, zone: ZoneInfo
) -> list[ChannelLine]:
    """The time alone on the call's own day, with the date when a channel joined later."""
    day = created_at.astimezone(zone).date()
    lines = []
    for channel in channels:
        local = channel.at.astimezone(zone)
        lines.append(
            ChannelLine(
                kind=channel.kind,
                label=LABELS.get(channel.kind, OTHER),
                number=channel.value if channel.kind in SHOWN_VALUES else None,
                at=f"{local:%H:%M}" if local.date() == day else f"{local:%d.%m.%Y %H:%M}",
            )
        )
    return lines
