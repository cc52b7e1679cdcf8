"""An asyncio ESME session: bind_transceiver, submit_sm, deliver_sm receipts, enquire_link."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Awaitable, Callable

from dispatcher.notify.errors import DeliveryError
from dispatcher.notify.smpp.pdu import (
    HEADER,
    Bind,
    Command,
    Pdu,
    PduError,
    Reader,
    Receipt,
    ShortMessage,
    Status,
    parse_receipt,
)

log = logging.getLogger(__name__)

ReceiptHandler = Callable[[Receipt], Awaitable[None]]


class SmppError(DeliveryError):
    """The SMS center answered with a non-zero command_status; the message keeps the SMPP
    names and code, which the SMS center's support asks for."""

    code = "smpp_refused"

    def __init__(self, command: int, status: int) -> None:
        super().__init__(f"SMPP {Command(command).name} status 0x{status:02X}")
        self.status = status


class Unanswered(ConnectionError):
    """A request was sent and no answer came (timeout, connection lost): its effect is unknown."""


async def read_pdu(reader: asyncio.StreamReader) -> Pdu:
    """One PDU from the stream: its length first, then the rest."""
    head = await reader.readexactly(4)
    (length,) = struct.unpack(">I", head)
    if length < HEADER.size or length > 64 * 1024:
        raise PduError(f"bad command_length {length}")
    return Pdu.decode(head + await reader.readexactly(length - 4))


class SmppSession:
    """One bound transceiver session; responses are matched to requests by sequence number."""

    def __init__(
        self,
        host: str,
        port: int,
        system_id: str,
        password: str,
        on_receipt: ReceiptHandler | None = None,
        enquire_interval: float = 30.0,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.bind = Bind(system_id, password)
        self.on_receipt = on_receipt
        self.enquire_interval = enquire_interval
        self.timeout = timeout
        self._sequence = 0
        self._pending: dict[int, asyncio.Future[Pdu]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._receipts: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        self.bound = False

    def _next(self) -> int:
        self._sequence = self._sequence % 0x7FFFFFFF + 1
        return self._sequence

    async def open(self) -> None:
        reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), self.timeout
        )
        self._tasks = [asyncio.create_task(self._read_loop(reader))]
        response = await self._request(Command.BIND_TRANSCEIVER, self.bind.body())
        self.bound = True
        log.info("SMPP bound to %s:%s as %s", self.host, self.port, Reader(response.body).cstring())
        self._tasks.append(asyncio.create_task(self._enquire_loop()))

    async def submit(self, message: ShortMessage) -> str:
        """submit_sm; returns the SMS center's message id or raises SmppError."""
        response = await self._request(Command.SUBMIT_SM, message.body())
        return Reader(response.body).cstring() if response.body else ""

    async def enquire_link(self) -> None:
        await self._request(Command.ENQUIRE_LINK)

    async def close(self) -> None:
        """unbind, wait for unbind_resp, then close the socket."""
        if self.bound and self._writer is not None and not self._writer.is_closing():
            with contextlib.suppress(Exception):
                await self._request(Command.UNBIND)
        self.bound = False
        tasks = [*self._tasks, *self._receipts]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        self._receipts.clear()
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
            self._writer = None

    @property
    def alive(self) -> bool:
        return self.bound and self._writer is not None and not self._writer.is_closing()

    async def _send(self, pdu: Pdu) -> None:
        if self._writer is None:
            raise ConnectionError("SMPP session is closed")
        async with self._lock:
            self._writer.write(pdu.encode())
            await self._writer.drain()

    async def _request(self, command: Command, body: bytes = b"") -> Pdu:
        sequence = self._next()
        future: asyncio.Future[Pdu] = asyncio.get_running_loop().create_future()
        self._pending[sequence] = future
        try:
            await self._send(Pdu(command, 0, sequence, body))
            try:
                response = await asyncio.wait_for(future, self.timeout)
            except (TimeoutError, OSError) as exc:
                if command is not Command.SUBMIT_SM:
                    raise
                # the SMS left: the SMS center may have taken it without answering
                raise Unanswered(f"no answer to submit_sm: {type(exc).__name__}") from exc
        finally:
            self._pending.pop(sequence, None)
        if response.command == Command.GENERIC_NACK or response.status != Status.OK:
            raise SmppError(response.command, response.status)
        return response

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        error: BaseException = ConnectionError("SMPP connection closed")
        try:
            while True:
                pdu = await read_pdu(reader)
                if pdu.is_response:
                    future = self._pending.get(pdu.sequence)
                    if future is not None and not future.done():
                        future.set_result(pdu)
                elif pdu.command == Command.DELIVER_SM:
                    await self._deliver(pdu)
                elif pdu.command == Command.ENQUIRE_LINK:
                    await self._send(Pdu(Command.ENQUIRE_LINK_RESP, 0, pdu.sequence))
                elif pdu.command == Command.UNBIND:
                    await self._send(Pdu(Command.UNBIND_RESP, 0, pdu.sequence))
                    break
                else:
                    await self._send(
                        Pdu(Command.GENERIC_NACK, Status.INVALID_COMMAND, pdu.sequence)
                    )
        except (asyncio.IncompleteReadError, ConnectionError, PduError) as exc:
            error = exc if isinstance(exc, ConnectionError) else ConnectionError(str(exc))
        finally:
            self.bound = False
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(error)

    async def _deliver(self, pdu: Pdu) -> None:
        try:
            receipt = parse_receipt(ShortMessage.parse(pdu.body))
        except PduError:
            receipt = None
        if receipt is None or self.on_receipt is None:
            await self._send(Pdu(Command.DELIVER_SM_RESP, 0, pdu.sequence, b"\x00"))
            return
        # handled apart from the read loop: a receipt may wait for the commit of the very send
        # whose next submit_sm_resp is behind it in the stream
        task = asyncio.create_task(self._receipt(receipt, pdu.sequence))
        self._receipts.add(task)
        task.add_done_callback(self._receipts.discard)

    async def _receipt(self, receipt: Receipt, sequence: int) -> None:
        """Record the receipt, then acknowledge it; a failure asks the SMS center to resend."""
        assert self.on_receipt is not None
        status = Status.OK
        try:
            await self.on_receipt(receipt)
        except Exception:
            log.exception("SMPP receipt handler failed for %s", receipt.message_id)
            status = Status.TEMPORARY_APP_ERROR
        with contextlib.suppress(ConnectionError):
            await self._send(Pdu(Command.DELIVER_SM_RESP, status, sequence, b"\x00"))

    async def _enquire_loop(self) -> None:
        while self.alive:
            await asyncio.sleep(self.enquire_interval)
            try:
                await self.enquire_link()
            except (SmppError, ConnectionError, TimeoutError):
                log.warning("SMPP enquire_link failed; the session will be reopened")
                if self._writer is not None:
                    self._writer.close()
                return
