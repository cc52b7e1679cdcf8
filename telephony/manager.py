"""The AMI connection manager: login, watchdog, reconnect with backoff, resync, desk actions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dispatcher.phone.events import OriginateResult
from intake_core.phones import InvalidPhone, normalize_phone
from telephony.message import AmiMessage, TelephonyError
from telephony.session import AmiActionFailed, AmiDisconnected, AmiLoginFailed, AmiSession
from telephony.settings import TelephonySettings
from telephony.snapshot import PbxSnapshot
from telephony.tracker import CallTracker

log = logging.getLogger(__name__)


class ConnectionState(StrEnum):
    """Where the manager is in its connect → login → resync → ready cycle."""

    STOPPED = "stopped"
    CONNECTING = "connecting"
    RESYNCING = "resyncing"
    READY = "ready"
    BACKOFF = "backoff"


@dataclass(eq=False)
class _Resync:
    """The list answers, applied in stream order once CoreShowChannels is complete."""

    queue_status: asyncio.Future[Any]
    channels: asyncio.Future[Any]
    applied: asyncio.Event = field(default_factory=asyncio.Event)


class AmiManager:
    """Keeps one logged-in AMI session alive and feeds its events to the call tracker."""

    def __init__(self, settings: TelephonySettings, tracker: CallTracker) -> None:
        self._settings = settings
        self._tracker = tracker
        self._inbox: asyncio.Queue[AmiMessage | _Resync] = asyncio.Queue()
        self._pending: list[_Resync] = []
        self._session: AmiSession | None = None
        self.state = ConnectionState.STOPPED
        self.ready = asyncio.Event()
        self.sessions = 0  # logins that reached READY, for health checks and tests
        self.failures = 0  # consecutive failed connects since the last READY
        self.last_error: str | None = None

    @property
    def tracker(self) -> CallTracker:
        return self._tracker

    async def run(self) -> None:
        """Connect and stay connected until cancelled."""
        consumer = asyncio.create_task(self._consume())
        try:
            while True:
                try:
                    session = await self._connect()
                except (OSError, TimeoutError, TelephonyError) as exc:
                    await self._back_off(exc)
                    continue
                try:
                    await self._serve(session)
                except (TimeoutError, TelephonyError) as exc:
                    self.last_error = str(exc)
                    log.warning("AMI session ended: %s", exc or type(exc).__name__)
                finally:
                    self.ready.clear()
                    self._session = None
                    session.close()
                await self._back_off(None)
        finally:
            self.state = ConnectionState.STOPPED
            self.ready.clear()
            if self._session is not None:
                self._session.close()
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer

    # ---- desk actions ---------------------------------------------------------------------

    async def originate_callback(
        self, agent_interface: str, phone: str, request_id: str
    ) -> OriginateResult:
        """Ring the agent's phone, then dial the patient from the clinic's number (click-to-call).

        Returns when the PBX reports the agent's leg answered or failed (OriginateResponse).
        """
        e164 = normalize_phone(phone)
        if e164 is None or not e164.startswith("+7"):
            raise InvalidPhone()
        exten = "8" + e164[2:]
        settings = self._settings
        reply = await self._request(
            {
                "Action": "Originate",
                "ActionID": f"c2c-{request_id}-{uuid.uuid4().hex[:8]}",
                "Channel": agent_interface,
                "Context": settings.originate_context,
                "Exten": exten,
                "Priority": "1",
                "CallerID": f'"{exten}" <{exten}>',
                "Timeout": str(int(settings.originate_timeout * 1000)),
                "Variable": f"C2C_REQUEST={request_id}",
                "Async": "true",
            },
            within=settings.originate_timeout + settings.connect_timeout,
        )
        messages = [AmiMessage.of(m) for m in (reply if isinstance(reply, list) else [reply])]
        outcome = next((m for m in messages if m.get("Event") == "OriginateResponse"), None)
        if outcome is None:
            log.warning("originate %s refused: %s", request_id, messages[0].get("Message"))
            return OriginateResult(request_id, False, None, None, None)
        return OriginateResult(
            request_id=request_id,
            success=outcome.get("Response") == "Success",
            channel=outcome.value("Channel"),
            uniqueid=outcome.value("Uniqueid"),
            reason=outcome.integer("Reason"),
        )

    async def transfer_to_112(self, agent_channel: str) -> None:
        """Blind-transfer the patient talking on `agent_channel` to the emergency number."""
        settings = self._settings
        reply = await self._request(
            {
                "Action": "BlindTransfer",
                "Channel": agent_channel,
                "Context": settings.emergency_context,
                "Exten": settings.emergency_exten,
            },
            within=settings.connect_timeout,
        )
        message = AmiMessage.of(reply)
        if message.get("Response") != "Success":
            raise AmiActionFailed(f"АТС не перевела звонок на 112: {message.get('Message')}")

    async def _request(self, fields: dict[str, str], *, within: float) -> Any:
        session = self._session
        if session is None or not self.ready.is_set():
            raise AmiDisconnected("Нет соединения с АТС")
        async with asyncio.timeout(within):
            return await session.send(fields)

    # ---- connection lifecycle -------------------------------------------------------------

    async def _connect(self) -> AmiSession:
        settings = self._settings
        self.state = ConnectionState.CONNECTING
        async with asyncio.timeout(settings.connect_timeout):
            session = await AmiSession.open(settings.ami_host, settings.ami_port, self._received)
            try:
                await session.login(settings.ami_username, settings.ami_secret.get_secret_value())
            except BaseException:
                session.close()
                raise
        log.info("logged in to AMI at %s:%s", settings.ami_host, settings.ami_port)
        return session

    async def _serve(self, session: AmiSession) -> None:
        self.state = ConnectionState.RESYNCING
        await self._resync(session)
        self._session = session
        self.state = ConnectionState.READY
        self.failures = 0
        self.sessions += 1
        self.ready.set()
        watchdog = asyncio.create_task(self._watchdog(session))
        try:
            await asyncio.wait({watchdog, session.closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        if session.closed.done():
            raise AmiDisconnected("АТС закрыла соединение AMI")
        raise AmiDisconnected("АТС не отвечает на Ping: соединение сброшено")

    async def _back_off(self, error: BaseException | None) -> None:
        settings = self._settings
        self.state = ConnectionState.BACKOFF
        self.failures += 1
        delay = min(settings.backoff_cap, settings.backoff_base * 2 ** (self.failures - 1))
        if error is not None:
            self.last_error = str(error) or type(error).__name__
            level = logging.ERROR if isinstance(error, AmiLoginFailed) else logging.WARNING
            log.log(level, "AMI connect failed (%s); retry in %.1fs", self.last_error, delay)
        await asyncio.sleep(delay)

    async def _watchdog(self, session: AmiSession) -> None:
        """panoramisk never notices a peer that stops talking: ping it with a deadline."""
        settings = self._settings
        while True:
            await asyncio.sleep(settings.ping_interval)
            try:
                async with asyncio.timeout(settings.ping_deadline):
                    await session.send({"Action": "Ping"})
            except TimeoutError:
                log.warning("AMI did not answer Ping within %.1fs", settings.ping_deadline)
                return
            except AmiDisconnected:
                return

    async def _resync(self, session: AmiSession) -> None:
        """Ask the PBX what is in progress; the tracker applies it in event-stream order."""
        resync = _Resync(
            queue_status=session.send({"Action": "QueueStatus"}),
            channels=session.send({"Action": "CoreShowChannels"}),
        )
        self._pending.append(resync)
        async with asyncio.timeout(self._settings.resync_timeout):
            await asyncio.gather(resync.queue_status, resync.channels)
            self._flush_resyncs()
            await resync.applied.wait()

    # ---- the ordered event stream ---------------------------------------------------------

    def _received(self, message: AmiMessage) -> None:
        self._flush_resyncs()
        self._inbox.put_nowait(message)

    def _flush_resyncs(self) -> None:
        # A list completed before this event was read: apply it first, as the PBX sent it.
        while self._pending and self._pending[0].channels.done():
            self._inbox.put_nowait(self._pending.pop(0))

    async def _consume(self) -> None:
        while True:
            item = await self._inbox.get()
            if isinstance(item, AmiMessage):
                await self._tracker.feed(item)
                continue
            try:
                queue_status = item.queue_status.result() if item.queue_status.done() else []
                snapshot = PbxSnapshot.from_lists(
                    [AmiMessage.of(m) for m in item.channels.result()],
                    [AmiMessage.of(m) for m in queue_status],
                )
                await self._tracker.restore(snapshot)
            except (asyncio.CancelledError, asyncio.InvalidStateError, Exception) as exc:
                # A failed resync is retried with the next connection; the stream goes on.
                log.warning("resync not applied: %s", exc or type(exc).__name__)
            finally:
                item.applied.set()
