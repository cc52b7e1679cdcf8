"""SMS gateways: SMPP 3.4 to an operator's SMS center, a provider's HTTP API, or (development) a
local journal that sends nothing."""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from dispatcher.notify.errors import SendFailed
from dispatcher.notify.smpp.pdu import TRANSIENT, Receipt, ShortMessage, segment
from dispatcher.notify.smpp.session import SmppError, SmppSession, Unanswered
from dispatcher.notify.templates import INTERRUPTED
from dispatcher.settings import Settings
from intake_core.phones import mask_phone

log = logging.getLogger(__name__)

ReceiptSink = Callable[[str, str, datetime], str | None]  # → the delivery's state, None: unknown


class SmsGateway(Protocol):
    """Sends one text to one phone; returns the provider's message id per part."""

    def send(self, phone: str, text: str, reference: int) -> list[str]: ...

    def close(self) -> None: ...


class SmppGateway:
    """A bound transceiver kept open in a background event loop; receipts flow back to `sink`."""

    def __init__(
        self,
        host: str,
        port: int,
        system_id: str,
        password: str,
        source_addr: str,
        sink: ReceiptSink | None = None,
        enquire_interval: float = 30.0,
        timeout: float = 10.0,
    ) -> None:
        self.source_addr = source_addr
        self.sink = sink
        self.timeout = timeout
        self._args = (host, port, system_id, password)
        self._enquire = enquire_interval
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="smpp")
        self._thread.start()
        self._session: SmppSession | None = None

    async def _ensure(self) -> SmppSession:
        if self._session is None or not self._session.alive:
            if self._session is not None:
                await self._session.close()
            host, port, system_id, password = self._args
            session = SmppSession(
                host, port, system_id, password, self._on_receipt, self._enquire, self.timeout
            )
            await session.open()
            self._session = session
        return self._session

    async def _on_receipt(self, receipt: Receipt) -> None:
        if self.sink is None:
            return
        # a receipt may overtake the commit of the part it refers to: wait for it a little
        for _ in range(50):
            found = await asyncio.to_thread(
                self.sink, receipt.message_id, receipt.stat, datetime.now(UTC)
            )
            if found is not None:
                return
            await asyncio.sleep(0.1)
        log.warning("SMPP receipt for unknown message %s", receipt.message_id)

    async def _submit(self, phone: str, text: str, reference: int) -> list[str]:
        session = await self._ensure()
        segments = segment(text, reference)
        messages = [
            ShortMessage(
                source_addr=self.source_addr,
                destination_addr=phone.lstrip("+"),
                short_message=part,
                data_coding=segments.data_coding,
                esm_class=segments.esm_class,
                registered_delivery=1,
            )
            for part in segments.parts
        ]
        # one part after another: when the SMS center refuses a part (throttling), the later
        # ones are not sent, so a retry does not deliver them twice
        return [await session.submit(message) for message in messages]

    def connect(self) -> None:
        """Bind now (the notify process binds at start to receive receipts)."""
        asyncio.run_coroutine_threadsafe(self._ensure(), self._loop).result(self.timeout)

    def send(self, phone: str, text: str, reference: int) -> list[str]:
        future = asyncio.run_coroutine_threadsafe(self._submit(phone, text, reference), self._loop)
        try:
            return future.result(self.timeout * 2)
        except SmppError as exc:
            raise SendFailed(str(exc), permanent=exc.status not in TRANSIENT) from exc
        except Unanswered as exc:
            # a submit_sm left and got no answer: the SMS may be on its way; never again
            # by itself, a person decides (the dead letter's «Повторить» warns)
            raise SendFailed(INTERRUPTED, permanent=True) from exc
        except FutureTimeout as exc:
            if not future.done():  # our wait ran out while a part was on its way
                future.cancel()
                raise SendFailed(INTERRUPTED, permanent=True) from exc
            raise SendFailed(f"SMS-центр недоступен: {type(exc).__name__}") from exc
        except (OSError, ConnectionError) as exc:
            raise SendFailed(f"SMS-центр недоступен: {type(exc).__name__}") from exc

    def close(self) -> None:
        if self._session is not None:
            closing = asyncio.run_coroutine_threadsafe(self._session.close(), self._loop)
            try:
                closing.result(self.timeout)
            except (FutureTimeout, TimeoutError):
                log.warning("SMPP unbind timed out; closing anyway")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


class ReportStatus(enum.StrEnum):
    """A delivery report's status as an HTTP provider posts it back."""

    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    REJECTED = "rejected"
    EXPIRED = "expired"
    ENROUTE = "enroute"

    @property
    def stat(self) -> str:
        """The SMPP receipt `stat` of the same meaning: one state machine for both gateways."""
        return {
            ReportStatus.DELIVERED: "DELIVRD",
            ReportStatus.UNDELIVERED: "UNDELIV",
            ReportStatus.REJECTED: "REJECTD",
            ReportStatus.EXPIRED: "EXPIRED",
            ReportStatus.ENROUTE: "ENROUTE",
        }[self]


class HttpSmsGateway:
    """A provider that offers only HTTP: POST {to, text, reference} → {"id": …} per message;
    its delivery reports come back to `POST /api/v1/sms/reports` as {id, status}."""

    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        self.url = url
        self.client = httpx.Client(
            timeout=timeout, headers={"Authorization": f"Bearer {token}"} if token else {}
        )

    def send(self, phone: str, text: str, reference: int) -> list[str]:
        try:
            response = self.client.post(
                self.url, json={"to": phone, "text": text, "reference": str(reference)}
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise SendFailed(f"SMS-шлюз недоступен: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            # the request left and no answer came: the provider may be sending it already
            raise SendFailed(INTERRUPTED, permanent=True) from exc
        except httpx.HTTPError as exc:
            raise SendFailed(f"SMS-шлюз недоступен: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise SendFailed(f"SMS-шлюз ответил {response.status_code}")
        if response.status_code >= 400:
            raise SendFailed(f"SMS-шлюз отклонил сообщение: {response.status_code}", True)
        try:
            message_id = str(response.json().get("id") or "")
        except (ValueError, AttributeError):
            message_id = ""  # accepted, but its reports cannot be matched
        return [message_id] if message_id else []

    def close(self) -> None:
        self.client.close()


class JournalSmsGateway:
    """Development's SMS sink: each message is written to a local JSON-lines journal instead of
    being sent, and counts as handed over (no delivery report will follow). The desk says so."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, phone: str, text: str, reference: int) -> list[str]:
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "to": mask_phone(phone),  # a journal on disk keeps no number in clear
            "reference": reference,
            "text": text,
        }
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as journal:
                    journal.write(json.dumps(entry, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise SendFailed(f"Журнал SMS недоступен: {type(exc).__name__}") from exc
        log.info("SMS %s written to the local journal %s, not sent", reference, self.path)
        return []  # no message id: no delivery report will ever come for it

    def close(self) -> None:
        pass


def build_gateway(settings: Settings, sink: ReceiptSink | None) -> SmsGateway | None:
    """The gateway the settings name, or None when SMS is switched off."""
    if settings.sms_gateway == "journal":
        return JournalSmsGateway(settings.sms_journal_path)
    if settings.sms_gateway == "smpp":
        return SmppGateway(
            settings.smpp_host,
            settings.smpp_port,
            settings.smpp_system_id,
            settings.smpp_password,
            settings.smpp_source_addr,
            sink,
            settings.smpp_enquire_link,
        )
    if settings.sms_gateway == "http" and settings.sms_http_url:
        return HttpSmsGateway(settings.sms_http_url, settings.sms_http_token)
    return None


def describe(phone: str, parts: int, started: float) -> str:
    """A log line without the number in clear."""
    return f"SMS to {mask_phone(phone)}: {parts} part(s) in {time.perf_counter() - started:.3f}s"
