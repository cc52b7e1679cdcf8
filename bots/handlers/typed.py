"""Message filters, checked on the event loop; what counts as an answer typed into a step.

aiogram runs a plain callable — and `F.text == …` becomes one — through `asyncio.to_thread`:
a message passed four or five such checks on its way to its handler, each a thread hop that,
with the loop busy, waited milliseconds for the GIL to compare one string. Wrapped in `OnLoop`
(an aiogram `Filter`, which aiogram awaits) they run inline.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter

from bots.texts import MENU_BUTTONS


class OnLoop(Filter):
    """A magic filter (`F.…`) evaluated on the loop instead of in a worker thread."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> bool:
        return bool(self.magic.resolve(event))


def text_is(value: str) -> OnLoop:
    """The message is exactly this text (a menu button)."""
    return OnLoop(F.text == value)


HAS_CONTACT = OnLoop(F.contact)
# an answer typed into a dialog step: text, not a command, not a menu button
TYPED = OnLoop(F.text & ~F.text.startswith("/") & ~F.text.in_(MENU_BUTTONS))


def is_free_text(text: str | None) -> bool:
    """Typed words, triaged: not a command, not a menu button, not only digits and signs
    (a phone, a policy number, a date, a floor)."""
    if not text or text.startswith("/") or text in MENU_BUTTONS:
        return False
    return any(char.isalpha() for char in text)


def _plain(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").strip(" .,!?;:").split())


def typed_answer(typed: str | None, labels: Sequence[str]) -> int | None:
    """The button a typed answer names: its whole text or its first words («да», «Нет.»,
    «дома» for «Дома, по адресу вызова»); None when it names none, or more than one."""
    said = _plain(typed or "")
    if not said:
        return None
    found = [
        index
        for index, label in enumerate(labels)
        if said in {_plain(label), _plain(label.replace(":", ",").split(",")[0])}
    ]
    return found[0] if len(found) == 1 else None
