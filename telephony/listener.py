"""The listener: while it holds the PBX's leader lock, it runs the AMI manager."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from telephony.leader import LeaderLock
from telephony.manager import AmiManager
from telephony.settings import TelephonySettings
from telephony.sink import CallSink
from telephony.tracker import CallTracker

log = logging.getLogger(__name__)


class Listener:
    """Hot standby until leader, then the single AMI listener for its PBX."""

    def __init__(
        self,
        settings: TelephonySettings,
        sink: CallSink,
        lock: LeaderLock,
        *,
        on_manager: Callable[[AmiManager | None], None] = lambda _m: None,
    ) -> None:
        self._settings = settings
        self._sink = sink
        self._lock = lock
        self._on_manager = on_manager
        self.manager: AmiManager | None = None
        self.is_leader = asyncio.Event()

    async def run(self) -> None:
        """Run until cancelled; lead whenever the lock is ours."""
        while True:
            await self._lock.acquire()
            tracker = CallTracker(self._sink, trunks=self._settings.trunks)
            manager = AmiManager(self._settings, tracker)
            self.manager = manager
            self._on_manager(manager)
            self.is_leader.set()
            running = asyncio.create_task(manager.run())
            holding = asyncio.create_task(self._lock.hold())
            try:
                await asyncio.wait({running, holding}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                self.is_leader.clear()
                self.manager = None
                self._on_manager(None)
                for task in (running, holding):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await asyncio.shield(self._lock.release())
            log.warning("no longer the AMI listener for %s; back to standby", self._settings.pbx_id)
