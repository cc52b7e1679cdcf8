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


class Back(CallbackData, prefix="bk"):
    """«Назад» on a step: `step` is the state it was shown in (a stale one is refused)."""

    step: str


class Chip(CallbackData, prefix="ch"):
    index: int


class Answer(CallbackData, prefix="yn"):
    yes: bool


class Undo(CallbackData, prefix="un"):
    """Back to the call after «Да» to a red-flag question pressed by mistake."""

    key: str  # the start of the stopped draft's key


class Change(CallbackData, prefix="cg"):
    part: str  # "menu", or what to change: patient, address, details, complaint


class Reply(CallbackData, prefix="qa"):
    """A questionnaire answer: `step` answers were given before it; `index` -1 is «Назад»."""

    key: str  # the start of the draft's key: a button from another dialog is refused
    step: int
    index: int


class Confirm(CallbackData, prefix="cf"):
    key: str  # the draft's Idempotency-Key
    go: bool


class CancelPick(CallbackData, prefix="cc"):
    call_id: int


class Reason(CallbackData, prefix="rs"):
    index: int


def _rows(
    buttons: list[InlineKeyboardButton], width: int = 1, back: str | None = None
) -> InlineKeyboardMarkup:
    """Buttons `width` to a row; with `back`, a «Назад» row for that step at the bottom."""
    rows = [buttons[i : i + width] for i in range(0, len(buttons), width)]
    if back is not None:
        rows.append([back_button(back)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def back_button(step: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=texts.BACK, callback_data=Back(step=step).pack())


def back_only(step: str) -> InlineKeyboardMarkup:
    return _rows([], back=step)


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
        ],
        back="link_method",
    )


def patients(people: list[Person]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=p.short, callback_data=PatientPick(patient_id=p.id).pack())
        for p in people
    ]
    buttons.append(
        InlineKeyboardButton(text=texts.ADD_ANOTHER, callback_data=PatientPick(patient_id=0).pack())
    )
    return _rows(buttons, back="patient")


def saved_addresses(items: Sequence[SavedAddressItem]) -> InlineKeyboardMarkup:
    return _rows(
        [
            InlineKeyboardButton(text=i.label, callback_data=AddressPick(address_id=i.id).pack())
            for i in items
        ],
        back="address",
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
        back="address_check",
    )


def address_fields() -> InlineKeyboardMarkup:
    return _rows(
        [
            InlineKeyboardButton(text=label, callback_data=AddressCheck(field=key).pack())
            for key, label in texts.ADDRESS_FIELDS.items()
        ],
        width=3,
        back="address_check",
    )


def skip(step: str) -> InlineKeyboardMarkup:
    return _rows(
        [InlineKeyboardButton(text=texts.SKIP, callback_data=Skip(step=step).pack())], back=step
    )


def chips() -> InlineKeyboardMarkup:
    """One tap is the whole complaint."""
    buttons = [
        InlineKeyboardButton(text=label, callback_data=Chip(index=index).pack())
        for index, label in enumerate(texts.CHIPS)
    ]
    return _rows(buttons, width=2, back="complaints")


def yes_no() -> InlineKeyboardMarkup:
    return _rows(
        [
            InlineKeyboardButton(text=texts.YES, callback_data=Answer(yes=True).pack()),
            InlineKeyboardButton(text=texts.NO, callback_data=Answer(yes=False).pack()),
        ],
        width=2,
        back="safety",
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


def confirm(key: str) -> InlineKeyboardMarkup:
    """The summary's «Отправить», «Изменить», «Назад»."""
    return _rows(
        [
            InlineKeyboardButton(
                text=texts.CONFIRM, callback_data=Confirm(key=key, go=True).pack()
            ),
            InlineKeyboardButton(text=texts.CHANGE, callback_data=Change(part="menu").pack()),
        ],
        width=2,
        back="summary",
    )


def undo(key: str) -> InlineKeyboardMarkup:
    return _rows([InlineKeyboardButton(text=texts.UNDO, callback_data=Undo(key=key).pack())])


def changes() -> InlineKeyboardMarkup:
    parts = (
        ("patient", texts.CHANGE_PATIENT),
        ("address", texts.CHANGE_ADDRESS),
        ("details", texts.CHANGE_DETAILS),
        ("complaint", texts.CHANGE_COMPLAINT),
    )
    return _rows(
        [
            InlineKeyboardButton(text=label, callback_data=Change(part=part).pack())
            for part, label in parts
        ],
        width=2,
        back="change",
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
    """The cancel reasons, and «Назад» that keeps the call."""
    return _rows(
        [
            InlineKeyboardButton(text=label, callback_data=Reason(index=index).pack())
            for index, label in enumerate(texts.CANCEL_REASONS)
        ],
        back="cancel_reason",
    )
