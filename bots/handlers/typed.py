"""Message filters, checked on the event loop; what counts as an answer typed into a step.

aiogram runs a plain callable — and `F.text == …` becomes one — through `asyncio.to_thread`:
a message passed four or five such checks on its way to its handler, each a thread hop that,
with the loop busy, waited milliseconds for the GIL to compare one string. Wrapped in `OnLoop`
(an aiogram `Filter`, which aiogram awaits) they run inline.
"""

from __future__ import annotations

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
