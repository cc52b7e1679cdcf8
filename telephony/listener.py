"""The listener: while it holds the PBX's leader lock, it runs the AMI manager and the commands."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from dispatcher.outages import is_redis_outage, until_up
from dispatcher.phone.commands import CallBack, Command, TransferTo112, describe
from dispatcher.phone.events import OriginateResult
from intake_core.errors import DomainError
from telephony.commands import CommandReader
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
        commands: CommandReader | None = None,
    ) -> None:
        self._settings = settings
        self._sink = sink
        self._lock = lock
        self._on_manager = on_manager
        self._commands = commands
        self._running: set[asyncio.Task[None]] = set()
        self.manager: AmiManager | None = None
        self.is_leader = asyncio.Event()
        self.commands_ready = asyncio.Event()  # the desk's command stream is being read

    async def run(self) -> None:
        """Run until cancelled; lead whenever the lock is ours."""
        while True:
            await self._lock.acquire()
            tracker = CallTracker(self._sink, trunks=self._settings.trunks)
            manager = AmiManager(self._settings, tracker)
            self.manager = manager
            self._on_manager(manager)
            self.is_leader.set()
            tasks = {
                asyncio.create_task(manager.run()),
                asyncio.create_task(self._lock.hold()),
            }
            if self._commands is not None:
                tasks.add(asyncio.create_task(self._serve_commands(manager, self._commands)))
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                self.is_leader.clear()
                self.commands_ready.clear()
                self.manager = None
                self._on_manager(None)
                for task in tasks | self._running:
                    task.cancel()
                    try:
                        await task
                    except asyncio.CancelledError:
                        pass
                    except Exception:  # an AMI or Redis failure: standby, then lead again
                        log.exception("AMI listener task failed")
                await asyncio.shield(self._lock.release())
            log.warning("no longer the AMI listener for %s; back to standby", self._settings.pbx_id)

    async def _serve_commands(self, manager: AmiManager, reader: CommandReader) -> None:
        await until_up(reader.outage, reader.setup, is_redis_outage)
        self.commands_ready.set()
        while True:
            for command in await reader.next_batch():
                # An Originate waits for the agent to pick up: commands must not queue behind it.
                task = asyncio.create_task(self._execute(manager, command))
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    async def _execute(self, manager: AmiManager, command: Command) -> None:
        log.info("desk command: %s", describe(command))
        try:
            match command:
                case CallBack():
                    result = await self._call_back(manager, command)
                    await self._sink.originated(result)
                case TransferTo112():
                    call = manager.tracker.calls.get(command.linkedid)
                    channel = (call.agent_channel if call else None) or command.agent_channel
                    if channel is None:
                        log.warning("transfer of %s: no agent channel known", command.linkedid)
                        return
                    await manager.transfer_to_112(channel)
        except Exception:
            log.exception("desk command failed: %s", describe(command))

    @staticmethod
    async def _call_back(manager: AmiManager, command: CallBack) -> OriginateResult:
        try:
            return await manager.originate_callback(
                command.agent_interface, command.phone, command.request_id
            )
        except (DomainError, TimeoutError) as exc:
            log.warning("call back %s failed: %s", command.request_id, exc or type(exc).__name__)
            return OriginateResult(command.request_id, False, None, None, None)
