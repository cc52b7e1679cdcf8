"""A small SMS center on 127.0.0.1 speaking real SMPP 3.4 PDUs, with delivery receipts."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dispatcher.notify.smpp.pdu import (
    ESM_RECEIPT,
    Bind,
    Command,
    Pdu,
    ShortMessage,
    Status,
    cstring,
    receipt_text,
)
from dispatcher.notify.smpp.session import read_pdu

BIND_COMMANDS = {Command.BIND_TRANSCEIVER, Command.BIND_RECEIVER, Command.BIND_TRANSMITTER}


@dataclass
class Submitted:
    message_id: str
    message: ShortMessage


@dataclass
class Smsc:
    """Accepts binds with one password, numbers messages, sends a DELIVRD receipt per part."""

    password: str = "secret"
    receipt_delay: float = 0.05
    fail_next: int = 0  # answer this many submit_sm with ESME_RSYSERR
    fail_status: int = Status.SYSTEM_ERROR
    submitted: list[Submitted] = field(default_factory=list)
    binds: list[str] = field(default_factory=list)
    enquire_links: int = 0
    unbinds: int = 0
    hold: threading.Event = field(default_factory=threading.Event)  # set: answer submit_sm
    seen_submit: threading.Event = field(default_factory=threading.Event)
    stall_after: int | None = None  # answer this many submit_sm, then hold the next one
    stalled: threading.Event = field(default_factory=threading.Event)  # it is being held
    receipt_stat: str = "DELIVRD"
    receipt_answers: list[int] = field(default_factory=list)  # deliver_sm_resp statuses
    port: int = 0

    def __post_init__(self) -> None:
        self.hold.set()
        self._loop = asyncio.new_event_loop()
        self._sessions: list[asyncio.StreamWriter] = []
        self._counter = 0
        self._received = 0
        self._tasks: set[asyncio.Future[None]] = set()
        self._timers: list[asyncio.TimerHandle] = []  # receipts not yet due
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)

    async def _start(self) -> asyncio.Server:
        server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        return server

    def texts(self) -> list[str]:
        """Whole texts in order, concatenated parts reassembled by their UDH reference."""
        order: list[tuple[str, int] | int] = []
        groups: dict[tuple[str, int], dict[int, str]] = {}
        totals: dict[tuple[str, int], int] = {}
        singles: dict[int, str] = {}
        for index, item in enumerate(self.submitted):
            udh = item.message.udh
            if udh is None:
                singles[index] = item.message.text
                order.append(index)
                continue
            key = (item.message.destination_addr, udh[0])
            if key not in groups:
                order.append(key)
            groups.setdefault(key, {})[udh[2]] = item.message.text
            totals[key] = udh[1]
        whole = []
        for entry in order:
            if isinstance(entry, int):
                whole.append(singles[entry])
            elif len(groups[entry]) == totals[entry]:
                whole.append("".join(groups[entry][n] for n in sorted(groups[entry])))
        return whole

    async def _send(self, writer: asyncio.StreamWriter, pdu: Pdu) -> None:
        writer.write(pdu.encode())
        await writer.drain()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        bound = False
        sequence = 0x10000
        try:
            while True:
                pdu = await read_pdu(reader)
                if pdu.command in BIND_COMMANDS:
                    bind = Bind.parse(pdu.body)
                    ok = bind.password == self.password
                    self.binds.append(bind.system_id)
                    status = Status.OK if ok else Status.INVALID_PASSWORD
                    body = cstring("TESTSMSC", 16) if ok else b""
                    response = Pdu(pdu.command | 0x80000000, status, pdu.sequence, body)
                    await self._send(writer, response)
                    bound = ok
                    if ok:
                        self._sessions.append(writer)
                elif pdu.command == Command.SUBMIT_SM:
                    if not bound:
                        await self._send(writer, Pdu(Command.SUBMIT_SM_RESP, 0x04, pdu.sequence))
                        continue
                    message = ShortMessage.parse(pdu.body)
                    self.seen_submit.set()
                    self._received += 1
                    if self.stall_after is not None and self._received > self.stall_after:
                        self.stall_after = None
                        self.hold.clear()
                        self.stalled.set()
                    await asyncio.to_thread(self.hold.wait, 30)
                    if self.fail_next > 0:
                        self.fail_next -= 1
                        await self._send(
                            writer, Pdu(Command.SUBMIT_SM_RESP, self.fail_status, pdu.sequence)
                        )
                        continue
                    self._counter += 1
                    message_id = f"{self._counter:08X}"
                    self.submitted.append(Submitted(message_id, message))
                    await self._send(
                        writer,
                        Pdu(Command.SUBMIT_SM_RESP, 0, pdu.sequence, cstring(message_id, 65)),
                    )
                    if message.registered_delivery & 1:
                        sequence += 1
                        self._timers.append(
                            self._loop.call_later(
                                self.receipt_delay,
                                self._schedule_receipt,
                                message,
                                message_id,
                                sequence,
                                writer,
                            )
                        )
                elif pdu.command == Command.ENQUIRE_LINK:
                    self.enquire_links += 1
                    await self._send(writer, Pdu(Command.ENQUIRE_LINK_RESP, 0, pdu.sequence))
                elif pdu.command == Command.UNBIND:
                    self.unbinds += 1
                    await self._send(writer, Pdu(Command.UNBIND_RESP, 0, pdu.sequence))
                    break
                elif pdu.command == Command.DELIVER_SM_RESP:
                    self.receipt_answers.append(pdu.status)
                elif pdu.is_response:
                    continue
                else:
                    await self._send(writer, Pdu(Command.GENERIC_NACK, 0x03, pdu.sequence))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if writer in self._sessions:
                self._sessions.remove(writer)
            writer.close()

    def _schedule_receipt(
        self, message: ShortMessage, message_id: str, sequence: int, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.ensure_future(self._receipt(message, message_id, sequence, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _receipt(
        self, message: ShortMessage, message_id: str, sequence: int, writer: asyncio.StreamWriter
    ) -> None:
        # to the submitting session, or any other bound one when it is gone (as SMSCs do)
        target = writer if writer in self._sessions else next(iter(self._sessions), None)
        if target is None:
            return
        stamp = datetime.now(UTC).strftime("%y%m%d%H%M")
        receipt = ShortMessage(
            source_addr=message.destination_addr,
            destination_addr=message.source_addr,
            short_message=receipt_text(message_id, self.receipt_stat, stamp, stamp),
            esm_class=ESM_RECEIPT,
            source_addr_ton=1,
            dest_addr_ton=5,
        )
        with contextlib.suppress(ConnectionError):
            await self._send(target, Pdu(Command.DELIVER_SM, 0, sequence, receipt.body()))

    def close(self) -> None:
        async def stop() -> None:
            self._server.close()
            # receipts still due or on their way go with the center: none outlives its loop
            for timer in self._timers:
                timer.cancel()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            for writer in list(self._sessions):
                writer.close()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
