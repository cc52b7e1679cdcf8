"""The services a handler may call, built once in main() and injected into every handler."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bots.accounts import Accounts
from bots.addresses import AddressBook
from bots.calls import CallBook
from bots.notices import Notices
from bots.settings import BotSettings
from bots.submission import Submission
from dispatcher.settings import Settings


@dataclass(slots=True)
class BotContext:
    """Wiring only: every service here is plain, synchronous core code run in a thread."""

    settings: Settings
    bot_settings: BotSettings
    accounts: Accounts
    addresses: AddressBook
    submission: Submission
    calls: CallBook
    notices: Notices
    clock: Callable[[], datetime]

    async def deactivate(self, chat_id: int) -> None:
        await asyncio.to_thread(self.accounts.deactivate, chat_id)
