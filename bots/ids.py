"""MAX users and messages as the aiogram dialog sees them: ids kept apart from Telegram's.

The dialog, its tables (`bot_users`, linked people, addresses, sent notifications) and its FSM
keys all key on one integer per user and chat. Telegram's ids have at most 52 significant bits,
so a MAX id is stored shifted above 2**62: both messengers share the tables without a column or
a migration, a MAX user can never be taken for a Telegram one, and the notifier tells from the
number alone which messenger reaches a chat. MAX message ids are strings (`mid`); the dialog
sees them as integers through `MessageIds`.
"""

from __future__ import annotations

import enum
import hashlib
from collections import OrderedDict

MAX_BASE = 1 << 62  # every MAX user or chat id, as the dialog sees it, is at least this
_LIMIT = (1 << 63) - 1 - MAX_BASE


class Messenger(enum.StrEnum):
    TELEGRAM = "telegram"
    MAX = "max"

    @property
    def label(self) -> str:
        return {Messenger.TELEGRAM: "Telegram", Messenger.MAX: "MAX"}[self]


def to_dialog(max_id: int) -> int:
    """A MAX user id as the dialog's user and chat id."""
    if not 0 <= max_id <= _LIMIT:
        raise ValueError(f"MAX id {max_id} is outside the supported range")
    return MAX_BASE + max_id


def to_max(dialog_id: int) -> int:
    """The MAX user id behind a dialog id made by `to_dialog`."""
    if not is_max(dialog_id):
        raise ValueError(f"{dialog_id} is not a MAX id")
    return dialog_id - MAX_BASE


def is_max(dialog_id: int) -> bool:
    return dialog_id >= MAX_BASE


def messenger_of(dialog_id: int) -> Messenger:
    """Which messenger reaches this user or chat."""
    return Messenger.MAX if is_max(dialog_id) else Messenger.TELEGRAM


class MessageIds:
    """MAX message ids (`mid` strings) as aiogram's integer message ids, and back.

    The integer is a hash of the mid, so the same message gets the same number in every process
    and after a restart; the way back is remembered for the messages this process saw (sent, or
    carried by an update), which are the ones the dialog edits: a button press brings its
    message along. Their text is kept too: MAX edits a message as a whole, and the dialog's
    «change only the buttons» carries no text.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[int, tuple[str, str | None]] = OrderedDict()

    def number(self, mid: str, text: str | None = None) -> int:
        value = int.from_bytes(hashlib.blake2b(mid.encode(), digest_size=6).digest(), "big")
        number = value or 1
        known = self._seen.get(number)
        self._seen[number] = (mid, text if text is not None else known[1] if known else None)
        self._seen.move_to_end(number)
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return number

    def mid(self, number: int) -> str | None:
        seen = self._seen.get(number)
        return seen[0] if seen else None

    def text(self, number: int) -> str | None:
        """The message's text as last sent or seen, when this process knows it."""
        seen = self._seen.get(number)
        return seen[1] if seen else None
