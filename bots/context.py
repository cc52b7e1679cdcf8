"""The services a handler may call, built once in main() and injected into every handler."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bots.addresses import AddressBook
from bots.calls import CallBook
from bots.notices import Notices
from bots.profiles import Profiles
from bots.settings import BotSettings
from bots.submission import Submission
from dispatcher.services.messenger import MessengerServices
from dispatcher.services.messenger.coding import ReasonCoding
from dispatcher.settings import Settings
from intake_core.questionnaire import Questionnaire


@dataclass(slots=True)
class BotContext:
    """Wiring only: the dispatcher's `services` are plain, synchronous code run in a thread
    (their per-update reads run on the loop); `profiles` caches who each user is."""

    settings: Settings
    bot_settings: BotSettings
    services: MessengerServices
    addresses: AddressBook
    submission: Submission
    calls: CallBook
    notices: Notices
    profiles: Profiles
    clock: Callable[[], datetime]
    coding: ReasonCoding | None = None  # None: the MO switched the bot's questionnaire off

    @property
    def questionnaire(self) -> Questionnaire | None:
        return self.coding.questionnaire if self.coding else None

    async def deactivate(self, chat_id: int) -> None:
        await asyncio.to_thread(self.services.accounts.deactivate, chat_id)
