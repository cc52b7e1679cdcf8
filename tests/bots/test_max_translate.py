"""MAX updates as the dialog sees them, and the dialog's keyboards as MAX buttons."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bots.ids import MAX_BASE, MessageIds, Messenger, messenger_of, to_dialog, to_max
from bots.max.translate import Translator, attachments_of, phone_of_vcard

SENDER = {"user_id": 501, "first_name": "Анна", "is_bot": False}


def _created(body: dict[str, Any], chat_type: str = "dialog") -> dict[str, Any]:
    return {
        "update_type": "message_created",
        "timestamp": 1_767_000_000_000,
        "message": {
            "sender": SENDER,
            "recipient": {"chat_id": 9_000_501, "chat_type": chat_type},
            "timestamp": 1_767_000_000_000,
            "body": {"mid": "mid.a1", "seq": 5, **body},
        },
    }


def _card(max_info: dict[str, Any] | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"vcf_info": "BEGIN:VCARD\nTEL;TYPE=cell:79000000102\nEND:VCARD"}
    if max_info is not None:
        payload["max_info"] = max_info
    return _created({"attachments": [{"type": "contact", "payload": payload}]})


@pytest.fixture
def translator() -> Translator:
    return Translator(bot_id=1, message_ids=MessageIds())


# (what MAX delivers, what the dialog sees as the contact's owner)
CONTACT_OWNERS = [
    ({"user_id": 501, "first_name": "Анна", "is_bot": False}, to_dialog(501)),  # own card
    ({"user_id": 777, "first_name": "Сосед", "is_bot": False}, to_dialog(777)),  # someone else
    (None, None),  # a card typed in by hand: no account behind it
]


@pytest.mark.parametrize(("max_info", "owner"), CONTACT_OWNERS)
def test_max_contact_card_keeps_whose_account_it_is(
    translator: Translator, max_info: dict[str, Any] | None, owner: int | None
) -> None:
    update = translator.update(_card(max_info))
    assert update is not None
    contact = update["message"]["contact"]
    assert contact["phone_number"] == "79000000102"
    assert contact.get("user_id") == owner
    assert update["message"]["from"]["id"] == update["message"]["chat"]["id"] == to_dialog(501)


def test_max_bot_started_becomes_start_with_its_payload(translator: Translator) -> None:
    started = {
        "update_type": "bot_started",
        "timestamp": 1_767_000_000_000,
        "chat_id": 9_000_501,
        "user": SENDER,
        "payload": "poliklinika-3",
    }
    first, again = translator.update(started), translator.update(started)
    assert first is not None and again is not None
    assert first["message"]["text"] == "/start poliklinika-3"
    # delivered twice, it is one message: the dialog drops the second as a redelivery
    assert first["message"]["message_id"] == again["message"]["message_id"]


def test_max_callback_carries_its_message_so_the_dialog_can_edit_it(
    translator: Translator,
) -> None:
    update = translator.update(
        {
            "update_type": "message_callback",
            "timestamp": 1_767_000_000_000,
            "callback": {"timestamp": 1, "callback_id": "cb-9", "payload": "pt:3", "user": SENDER},
            "message": _created({"text": "Кому нужен врач?"})["message"],
        }
    )
    assert update is not None
    query = update["callback_query"]
    assert (query["id"], query["data"]) == ("cb-9", "pt:3")
    assert translator.message_ids.mid(query["message"]["message_id"]) == "mid.a1"


# updates the dialog has nothing to do with
_HUGE = _created({"text": "id за пределами"})
_HUGE["message"]["sender"] = {"user_id": 1 << 62, "first_name": "?", "is_bot": False}

IGNORED = [
    _created({"text": "всем привет"}, chat_type="chat"),  # a group chat
    {**_created({"text": "x"}), "update_type": "message_edited"},
    {"update_type": "bot_stopped", "timestamp": 1, "chat_id": 1, "user": SENDER},
    {"update_type": "message_created", "timestamp": 1},  # no message: not understood
    _HUGE,  # an id the namespace cannot hold: never taken for someone else
]


@pytest.mark.parametrize("raw", IGNORED)
def test_max_updates_outside_the_dialog_are_dropped(
    translator: Translator, raw: dict[str, Any]
) -> None:
    assert translator.update(raw) is None


def test_max_ids_never_meet_telegram_ids() -> None:
    assert to_max(to_dialog(501)) == 501 and to_dialog(0) == MAX_BASE
    assert messenger_of(to_dialog(501)) is Messenger.MAX
    assert messenger_of(7_000_000_000) is Messenger.TELEGRAM  # a large Telegram user id
    with pytest.raises(ValueError):
        to_max(501)


def test_max_message_ids_are_the_same_in_every_process() -> None:
    assert MessageIds().number("mid.x7") == MessageIds().number("mid.x7")


def test_max_keyboards_from_the_dialogs_telegram_keyboards() -> None:
    inline = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="yn:1")]]
    )
    reply = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text="📱 Поделиться номером", request_contact=True)],
            [KeyboardButton(text="🩺 Вызвать врача")],
        ]
    )
    assert attachments_of(inline) == [
        {
            "type": "inline_keyboard",
            "payload": {"buttons": [[{"type": "callback", "text": "Да", "payload": "yn:1"}]]},
        }
    ]
    [keyboard] = attachments_of(reply)
    assert keyboard["payload"]["buttons"] == [
        [{"type": "request_contact", "text": "📱 Поделиться номером"}],
        [{"type": "message", "text": "🩺 Вызвать врача"}],
    ]
    assert attachments_of(ReplyKeyboardRemove()) == attachments_of(None) == []


def test_max_vcard_gives_its_first_phone_as_written() -> None:
    assert phone_of_vcard("BEGIN:VCARD\r\nTEL;TYPE=cell:+7 900 000-01-02\r\nEND:VCARD") == (
        "+7 900 000-01-02"
    )
    assert phone_of_vcard("BEGIN:VCARD\nFN:Без номера\nEND:VCARD") is None
