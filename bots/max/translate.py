"""MAX ↔ the aiogram dialog: a MAX update becomes a Telegram-shaped update the Dispatcher
handles, and a Telegram keyboard becomes a MAX `inline_keyboard` attachment.

MAX has no reply keyboard: its buttons live on a message. A reply button becomes a `message`
button (pressing it sends its text, which the dialog matches as typed text) and «share the
number» a `request_contact` button; inline buttons become `callback` buttons with the same data.
"""

from __future__ import annotations

import itertools
import logging
import re
from typing import Any

from aiogram.types import (
    ForceReply,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bots.ids import MessageIds, to_dialog
from bots.max import protocol

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply | None

_TEL = re.compile(r"^TEL[^:]*:(.+)$", re.MULTILINE | re.IGNORECASE)


def phone_of_vcard(vcf: str) -> str | None:
    """The first TEL of a vCard, as written there."""
    found = _TEL.search(vcf.replace("\r\n", "\n"))
    return found.group(1).strip() if found else None


def attachments_of(markup: Markup) -> list[dict[str, Any]]:
    """The MAX attachments that carry a Telegram keyboard (none for a removal or no keyboard)."""
    rows: list[list[protocol.Button]] = []
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            buttons = []
            for button in row:
                if button.url:
                    buttons.append(protocol.Button(type="link", text=button.text, url=button.url))
                else:
                    data = button.callback_data or button.text
                    buttons.append(protocol.Button(type="callback", text=button.text, payload=data))
            rows.append(buttons)
    elif isinstance(markup, ReplyKeyboardMarkup):
        for reply_row in markup.keyboard:
            rows.append(
                [
                    protocol.Button(
                        type="request_contact" if button.request_contact else "message",
                        text=button.text,
                    )
                    for button in reply_row
                ]
            )
    return [protocol.keyboard(rows)] if rows else []


class Translator:
    """MAX updates as aiogram update dicts for `Dispatcher.feed_raw_update`; None for updates
    the dialog has nothing to do with (group chats, bots, edits, removals)."""

    def __init__(self, bot_id: int, message_ids: MessageIds) -> None:
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": "MAX"}
        self.message_ids = message_ids
        self._update_ids = itertools.count(1)

    def update(self, raw: dict[str, Any]) -> dict[str, Any] | None:
        try:
            update = protocol.Update.model_validate(raw)
        except ValueError as exc:
            log.warning("MAX update not understood: %s", exc)
            return None
        try:
            body = self._body(update)
        except ValueError as exc:  # an id out of range: never mistaken for someone else
            log.warning("MAX update %s dropped: %s", update.update_type, exc)
            return None
        if body is None:
            return None
        return {"update_id": next(self._update_ids), **body}

    def _body(self, update: protocol.Update) -> dict[str, Any] | None:
        if update.update_type == "message_created" and update.message is not None:
            message = self._message(update.message)
            return {"message": message} if message is not None else None
        if update.update_type == "message_callback" and update.callback is not None:
            return {"callback_query": self._callback(update)}
        if update.update_type == "bot_started" and update.user is not None:
            text = "/start" + (f" {update.payload}" if update.payload else "")
            user = self._user(update.user)
            return {
                "message": {
                    # no MAX message behind it: a number of its own, the same if MAX delivers
                    # this start again (and so dropped as a redelivery), new for the next one
                    "message_id": self.message_ids.number(
                        f"bot_started:{update.user.user_id}:{update.timestamp}"
                    ),
                    "date": update.timestamp // 1000,
                    "chat": self._chat(user),
                    "from": user,
                    "text": text,
                }
            }
        return None

    @staticmethod
    def _user(user: protocol.User) -> dict[str, Any]:
        return {
            "id": to_dialog(user.user_id),
            "is_bot": user.is_bot,
            "first_name": user.first_name or "—",
            "last_name": user.last_name,
            "username": user.username,
        }

    @staticmethod
    def _chat(user: dict[str, Any]) -> dict[str, Any]:
        # a dialog with the bot: its chat is the user, as a Telegram private chat is; messages
        # go back by `user_id`, so MAX's own dialog chat id is not needed
        return {"id": user["id"], "type": "private", "first_name": user["first_name"]}

    def _message(self, message: protocol.Message) -> dict[str, Any] | None:
        sender = message.sender
        if sender is None or sender.is_bot or message.recipient.chat_type != "dialog":
            return None
        user = self._user(sender)
        result: dict[str, Any] = {
            "message_id": self.message_ids.number(message.body.mid),
            "date": message.timestamp // 1000,
            "chat": self._chat(user),
            "from": user,
        }
        contact = next((a for a in message.body.attachments or [] if a.type == "contact"), None)
        if contact is not None:
            result["contact"] = self._contact(contact.payload or {}, user)
        elif message.body.text is not None:
            result["text"] = message.body.text
        return result

    @staticmethod
    def _contact(payload: dict[str, Any], sender: dict[str, Any]) -> dict[str, Any]:
        """A contact card; `user_id` only when MAX says whose account it is (a request_contact
        answer carries the sender's own `max_info`), so a stranger's card is refused."""
        owner = payload.get("max_info") or {}
        phone = phone_of_vcard(str(payload.get("vcf_info") or "")) or payload.get("vcf_phone")
        card: dict[str, Any] = {
            "phone_number": str(phone or ""),
            "first_name": str(owner.get("first_name") or payload.get("name") or "—"),
        }
        if isinstance(owner.get("user_id"), int):
            card["user_id"] = to_dialog(owner["user_id"])
        return card

    def _callback(self, update: protocol.Update) -> dict[str, Any]:
        assert update.callback is not None
        user = self._user(update.callback.user)
        query: dict[str, Any] = {
            "id": update.callback.callback_id,
            "from": user,
            "chat_instance": str(user["id"]),
            "data": update.callback.payload or "",
        }
        if update.message is not None:
            query["message"] = {
                "message_id": self.message_ids.number(
                    update.message.body.mid, update.message.body.text
                ),
                "date": update.message.timestamp // 1000,
                "chat": self._chat(user),
                "from": self.bot_user,
                "text": update.message.body.text or "",
            }
        return query
