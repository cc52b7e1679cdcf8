"""The part of the MAX Bot API the bot speaks, as pydantic models (field names from the
published OpenAPI schema, max-messenger/api-schema); unknown fields are ignored."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class User(_Model):
    user_id: int
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False


class Recipient(_Model):
    chat_id: int | None = None
    chat_type: str = "dialog"
    user_id: int | None = None


class Attachment(_Model):
    """Any attachment; the bot reads only contacts (`payload.vcf_info`, `payload.max_info`)."""

    type: str
    payload: dict[str, Any] | None = None


class MessageBody(_Model):
    mid: str
    seq: int = 0
    text: str | None = None
    attachments: list[Attachment] | None = None


class Message(_Model):
    sender: User | None = None
    recipient: Recipient
    timestamp: int
    body: MessageBody


class Callback(_Model):
    timestamp: int
    callback_id: str
    payload: str | None = None
    user: User


class Update(_Model):
    """One update of `GET /updates` or of a webhook push; the kinds the dialog handles."""

    update_type: str
    timestamp: int
    message: Message | None = None
    callback: Callback | None = None
    chat_id: int | None = None  # bot_started
    user: User | None = None  # bot_started
    payload: str | None = None  # bot_started: the deep link's start parameter
    user_locale: str | None = None


class UpdateList(_Model):
    updates: list[Update] = Field(default_factory=list)
    marker: int | None = None


class SendMessageResult(_Model):
    message: Message


class Button(_Model):
    type: Literal["callback", "message", "request_contact", "link"]
    text: str
    payload: str | None = None
    url: str | None = None


def keyboard(rows: list[list[Button]]) -> dict[str, Any]:
    """An `inline_keyboard` attachment."""
    return {
        "type": "inline_keyboard",
        "payload": {"buttons": [[b.model_dump(exclude_none=True) for b in row] for row in rows]},
    }
