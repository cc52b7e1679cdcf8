"""Buttons: reply keyboards for the menu and contact, inline ones with typed callback data."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bots import texts
from bots.dto import CallSummary, Person, SavedAddressItem
from intake_core.questionnaire import Question


class LinkMethod(CallbackData, prefix="lm"):
    by_policy: bool


class PatientPick(CallbackData, prefix="pt"):
    patient_id: int  # 0: link another person first


class AddressPick(CallbackData, prefix="ad"):
    address_id: int


class AddressCheck(CallbackData, prefix="ac"):
    field: str  # "ok" or the component to edit


class Skip(CallbackData, prefix="sk"):
    step: str


class Chip(CallbackData, prefix="ch"):
    index: int  # -1: done


class Answer(CallbackData, prefix="yn"):
    step: int
    yes: bool


class Reply(CallbackData, prefix="qa"):
    """A questionnaire answer: `step` answers were given before it; `index` -1 is «Назад»."""

    key: str  # the start of the draft's key: a button from another dialog is refused
    step: int
    index: int


class Proceed(CallbackData, prefix="go"):
    go: bool


class Confirm(CallbackData, prefix="cf"):
    key: str  # the draft's Idempotency-Key
    go: bool


class CancelPick(CallbackData, prefix="cc"):
    call_id: int


class Reason(CallbackData, prefix="rs"):
    index: int


def _rows(buttons: list[InlineKeyboardButton], width: int = 1) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[buttons[i : i + width] for i in range(0, len(buttons), width)]
    )


def contact() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=texts.SHARE_CONTACT, request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def menu() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=texts.MENU_CALL), KeyboardButton(text=texts.MENU_MY)],
            [KeyboardButton(text=texts.MENU_LINK), KeyboardButton(text=texts.MENU_HELP)],
        ],
        resize_keyboard=True,
    )


def link_methods() -> InlineKeyboardMarkup:
    return _rows(
        [
            InlineKeyboardButton(
                text=texts.LINK_BY_POLICY, callback_data=LinkMethod(by_policy=True).pack()
            ),
            InlineKeyboardButton(
                text=texts.LINK_BY_NAME, callback_data=LinkMethod(by_policy=False).pack()
            ),
        ]
    )


def patients(people: list[Person]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=p.short, callback_data=PatientPick(patient_id=p.id).pack())
        for p in people
    ]
    buttons.append(
        InlineKeyboardButton(text=texts.ADD_ANOTHER, callback_data=PatientPick(patient_id=0).pack())
    )
    return _rows(buttons)


def saved_addresses(items: Sequence[SavedAddressItem]) -> InlineKeyboardMarkup:
    return _rows(
        [
            InlineKeyboardButton(text=i.label, callback_data=AddressPick(address_id=i.id).pack())
            for i in items
        ]
    )


def address_check() -> InlineKeyboardMarkup:
    return _rows(
        [
            InlineKeyboardButton(
                text=texts.YES_RIGHT, callback_data=AddressCheck(field="ok").pack()
            ),
            InlineKeyboardButton(text=texts.FIX, callback_data=AddressCheck(field="fix").pack()),
        ],
        width=2,
    )


def address_fields() -> InlineKeyboardMarkup:
    return _rows(
        [
            InlineKeyboardButton(text=label, callback_data=AddressCheck(field=key).pack())
            for key, label in texts.ADDRESS_FIELDS.items()
        ],
        width=3,
    )


def skip(step: str) -> InlineKeyboardMarkup:
    return _rows([InlineKeyboardButton(text=texts.SKIP, callback_data=Skip(step=step).pack())])


def chips(selected: list[int]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=("✓ " if index in selected else "") + label,
            callback_data=Chip(index=index).pack(),
        )
        for index, label in enumerate(texts.CHIPS)
    ]
    markup = _rows(buttons, width=2)
    markup.inline_keyboard.append(
        [InlineKeyboardButton(text=texts.DONE, callback_data=Chip(index=-1).pack())]
    )
    return markup


def yes_no(step: int) -> InlineKeyboardMarkup:
    return _rows(
        [
            InlineKeyboardButton(text=texts.YES, callback_data=Answer(step=step, yes=True).pack()),
            InlineKeyboardButton(text=texts.NO, callback_data=Answer(step=step, yes=False).pack()),
        ],
        width=2,
    )


def question(question: Question, key: str, step: int) -> InlineKeyboardMarkup:
    """One button per answer, then «Назад»."""
    buttons = [
        InlineKeyboardButton(
            text=answer.text, callback_data=Reply(key=key, step=step, index=index).pack()
        )
        for index, answer in enumerate(question.answers)
    ]
    buttons.append(
        InlineKeyboardButton(
            text=texts.BACK, callback_data=Reply(key=key, step=step, index=-1).pack()
        )
    )
    return _rows(buttons)


def proceed() -> InlineKeyboardMarkup:
    return _rows(
        [
            InlineKeyboardButton(text=texts.CONTINUE, callback_data=Proceed(go=True).pack()),
            InlineKeyboardButton(text=texts.STOP, callback_data=Proceed(go=False).pack()),
        ],
        width=2,
    )


def confirm(key: str) -> InlineKeyboardMarkup:
    return _rows(
        [
            InlineKeyboardButton(
                text=texts.CONFIRM, callback_data=Confirm(key=key, go=True).pack()
            ),
            InlineKeyboardButton(text=texts.STOP, callback_data=Confirm(key=key, go=False).pack()),
        ],
        width=2,
    )


def cancellable(calls: list[CallSummary]) -> InlineKeyboardMarkup | None:
    buttons = [
        InlineKeyboardButton(
            text=texts.CANCEL_CALL.format(number=c.number),
            callback_data=CancelPick(call_id=c.id).pack(),
        )
        for c in calls
        if c.open
    ]
    return _rows(buttons) if buttons else None


def reasons() -> InlineKeyboardMarkup:
    return _rows(
        [
            InlineKeyboardButton(text=label, callback_data=Reason(index=index).pack())
            for index, label in enumerate(texts.CANCEL_REASONS)
        ]
    )
