"""One TCP session with AMI on top of panoramisk's protocol: actions, responses, events."""

from __future__ import annotations

import asyncio
import codecs
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from telephony.message import AmiMessage, TelephonyError

log = logging.getLogger(__name__)


class AmiDisconnected(TelephonyError):
    """The AMI connection is gone (or was never up); the action was not answered."""

    code = "ami_disconnected"


class AmiLoginFailed(TelephonyError):
    """The PBX refused our AMI login (wrong user or secret, or not permitted from this host)."""

    code = "ami_login_failed"


class AmiActionFailed(TelephonyError):
    """The PBX answered an action with an error."""

    code = "ami_action_failed"


class _Protocol(AMIProtocol):
    """panoramisk's protocol with two fixes: split UTF-8 characters, no resending after a drop.

    panoramisk decodes every TCP chunk on its own with errors ignored, so a Cyrillic letter
    split between two reads is lost; and on close it queues unanswered actions to resend
    them on the next connection, which would dial a patient twice.
    """

    def __init__(self, session: AmiSession) -> None:
        super().__init__()
        self._session = session
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.factory = self._session
        self.encoding = "utf-8"
        self.log = log

    def data_received(self, data: bytes) -> None:
        # Only whole characters go on: re-encoding them gives panoramisk clean UTF-8 chunks.
        super().data_received(self._decoder.decode(data).encode("utf-8"))

    def close(self) -> None:
        for action in list(self.responses.values()):
            if not action.future.done():
                action.future.set_exception(AmiDisconnected("Соединение с АТС разорвано"))
        self.responses.clear()
        super().close()


class AmiSession:
    """A connected AMI socket; events go to `on_event`, actions return panoramisk futures."""

    # Read by panoramisk's protocol (it treats us as its manager).
    forgetable_actions = ("ping", "login")
    save_stream = None

    def __init__(self, on_event: Callable[[AmiMessage], None]) -> None:
        self._on_event = on_event
        self.awaiting_actions: deque[Action] = deque()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._protocol: _Protocol | None = None

    @classmethod
    async def open(cls, host: str, port: int, on_event: Callable[[AmiMessage], None]) -> AmiSession:
        session = cls(on_event)
        loop = asyncio.get_running_loop()
        _transport, protocol = await loop.create_connection(lambda: _Protocol(session), host, port)
        session._protocol = protocol
        return session

    async def login(self, username: str, secret: str) -> None:
        reply = await self.send(
            {"Action": "Login", "Username": username, "Secret": secret, "Events": "on"}
        )
        if not reply.success:
            raise AmiLoginFailed(
                f"АТС отклонила вход в AMI пользователя {username}: {reply.get('Message', '')}"
            )

    def send(self, fields: dict[str, Any]) -> asyncio.Future[Any]:
        """Send an action; the future gets a Message (a list for lists and async Originate)."""
        if self._protocol is None or self._protocol.closed:
            raise AmiDisconnected("Нет соединения с АТС")
        # as_list=None lets panoramisk tell list actions (EventList: start) from single ones.
        future: asyncio.Future[Any] = self._protocol.send(Action(fields), as_list=None)
        return future

    def close(self) -> None:
        if self._protocol is not None and not self._protocol.closed:
            self._protocol.close()
            transport = self._protocol.transport
            if isinstance(transport, asyncio.Transport):
                transport.abort()  # a silent peer may never finish a graceful close
        if not self.closed.done():
            self.closed.set_result(None)

    # ---- called by panoramisk's protocol ----

    def dispatch(self, message: Message) -> None:
        self._on_event(AmiMessage.of(message))

    def connection_lost(self, exc: object) -> None:
        log.warning("AMI connection lost")
        if not self.closed.done():
            self.closed.set_result(None)
