"""A real TCP AMI server for tests that answers and replays recorded Asterisk 22 transcripts."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import os
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# the recordings of a real Asterisk 22 session (synthetic callers), copied from shared/fixtures
FIXTURES = Path(os.environ.get("AMI_FIXTURES", Path(__file__).resolve().parent / "fixtures/ami"))
SECRET = "intake-secret"
EOL = b"\r\n"

Fields = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Recorded:
    """One message of a transcript: received from Asterisk ("in") or sent by the client ("out")."""

    t: float
    direction: str
    fields: Fields
    banner: str | None = None

    def get(self, key: str) -> str:
        return next((v for k, v in self.fields if k.lower() == key.lower()), "")

    def with_action_id(self, action_id: str) -> Fields:
        return tuple((k, action_id if k == "ActionID" else v) for k, v in self.fields)


def encode(fields: Iterable[tuple[str, str]]) -> bytes:
    """Serialize as AMI does: `Key: Value\\r\\n` lines and a blank line."""
    return b"".join(f"{k}: {v}".encode() + EOL for k, v in fields) + EOL


def decode(block: bytes) -> Fields:
    pairs = []
    for line in block.decode().split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep or line.endswith(":"):
            pairs.append((key.rstrip(":"), value))
    return tuple(pairs)


@dataclass(frozen=True)
class Transcript:
    """A recorded AMI session (`NAME.jsonl`)."""

    name: str
    messages: tuple[Recorded, ...]

    @classmethod
    def load(cls, name: str) -> Transcript:
        rows = []
        for line in (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            raw = json.loads(line)
            fields = tuple((k, v) for k, v in raw["fields"])
            rows.append(Recorded(raw["t"], raw["direction"], fields, raw.get("banner")))
        return cls(name, tuple(rows))

    @property
    def banner(self) -> str:
        return next(m.banner for m in self.messages if m.banner)

    def out(self, action: str, action_id: str | None = None) -> Recorded:
        return next(
            m
            for m in self.messages
            if m.direction == "out"
            and m.get("Action") == action
            and (action_id is None or m.get("ActionID") == action_id)
        )

    def replies(self, action_id: str) -> list[Recorded]:
        """What Asterisk sent back for one action: the response, list items, OriginateResponse."""
        return [m for m in self.messages if m.direction == "in" and m.get("ActionID") == action_id]

    def events(self) -> list[Recorded]:
        return [m for m in self.messages if m.direction == "in" and m.get("Event")]


@dataclass
class Play:
    """A slice of a transcript to replay on the next connection that logs in."""

    transcript: Transcript
    start: float = 0.0
    end: float = math.inf
    answer_actions: bool = True  # wait for the client's Originate/BlindTransfer and answer them
    after_lists: bool = True  # start once the client's CoreShowChannels is answered, as live
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def steps(self) -> list[Recorded]:
        outs = [m for m in self.transcript.messages if m.direction == "out"]
        session_ids = {m.get("ActionID") for m in outs if m.get("Action") in ("Login", "Logoff")}
        all_ids = {m.get("ActionID") for m in outs}
        skip = all_ids if not self.answer_actions else session_ids
        steps = []
        for m in self.transcript.messages:
            if m.banner is not None or not self.start <= m.t < self.end:
                continue
            if m.direction == "out":
                if self.answer_actions and m.get("ActionID") not in session_ids:
                    steps.append(m)
            elif m.get("ActionID") not in skip:
                steps.append(m)
        return steps


@dataclass(frozen=True, slots=True)
class Received:
    """An action the client sent, with the number of the connection it came on."""

    connection: int
    fields: Fields
    at: float  # loop time when it arrived

    def get(self, key: str) -> str:
        return next((v for k, v in self.fields if k.lower() == key.lower()), "")

    def all(self, key: str) -> list[str]:
        return [v for k, v in self.fields if k.lower() == key.lower()]


class _Connection:
    def __init__(
        self,
        server: FakeAmiServer,
        number: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server = server
        self.number = number
        self.reader = reader
        self.writer = writer
        self.silent = False
        self.play: Play | None = None
        self.awaited: asyncio.Queue[Received] = asyncio.Queue()
        self.expecting: deque[str] = deque()  # action names the replay still waits for
        self.listed = asyncio.Event()
        self._writing = asyncio.Lock()  # replay and replies must not interleave mid-message

    async def send(self, fields: Iterable[tuple[str, str]]) -> None:
        async with self._writing:
            await self._write(encode(fields))

    async def _write(self, data: bytes) -> None:
        if self.silent or self.writer.is_closing():
            return
        if self.server.split_multibyte:
            cut = next((i + 1 for i, b in enumerate(data) if b >= 0xC0), None)
            if cut is not None:
                self.writer.write(data[:cut])
                await self.writer.drain()
                await asyncio.sleep(0.005)
                data = data[cut:]
        self.writer.write(data)
        await self.writer.drain()

    async def serve(self) -> None:
        server = self.server
        self.writer.write(f"{server.banner}\r\n".encode())  # no blank line after the banner
        tasks: list[asyncio.Task[None]] = []
        try:
            login = await self.read_action()
            if login is None or login.get("Action").lower() != "login":
                return
            if login.get("Secret") != server.secret:
                await asyncio.sleep(server.login_failed_delay)
                reply = server.login_failed.replies("bad-login")[0]
                await self.send(reply.with_action_id(login.get("ActionID")))
                return
            recorded = server.answered.out("Login")
            for reply in server.answered.replies(recorded.get("ActionID")):
                await self.send(reply.with_action_id(login.get("ActionID")))
            server.logged_in.append(self.number)
            if server.plays:
                self.play = server.plays.popleft()
                tasks.append(asyncio.create_task(self.replay(self.play)))
            while (action := await self.read_action()) is not None:
                await self.answer(action)  # in order, as Asterisk answers one session
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            for task in tasks:
                task.cancel()
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()

    async def read_action(self) -> Received | None:
        try:
            block = await self.reader.readuntil(EOL + EOL)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        action = Received(self.number, decode(block), asyncio.get_running_loop().time())
        self.server.received.append(action)
        async with self.server.changed:
            self.server.changed.notify_all()
        return action

    async def answer(self, action: Received) -> None:
        server = self.server
        name = action.get("Action")
        if name in self.expecting:
            self.expecting.remove(name)
            await self.awaited.put(action)
            return
        if self.silent:
            return
        action_id = action.get("ActionID")
        if name.lower() == "logoff":
            await self.send(server.actions.replies("logoff-1")[0].with_action_id(action_id))
            self.writer.close()
            return
        for reply in server.reply_for(name):
            await self.send(reply.with_action_id(action_id))
        if name == "CoreShowChannels":
            self.listed.set()

    async def replay(self, play: Play) -> None:
        loop = asyncio.get_running_loop()
        if play.after_lists:
            await self.listed.wait()
        steps = play.steps()
        self.expecting.extend(m.get("Action") for m in steps if m.direction == "out")
        ids: dict[str, str] = {}
        base_t = play.start
        base_clock = loop.time()
        try:
            for step in steps:
                delay = (step.t - base_t) / self.server.speed - (loop.time() - base_clock)
                if delay > 0:
                    await asyncio.sleep(delay)
                if step.direction == "out":
                    action = await self.awaited.get()
                    ids[step.get("ActionID")] = action.get("ActionID")
                    base_t, base_clock = step.t, loop.time()
                    continue
                recorded_id = step.get("ActionID")
                fields = step.fields
                if recorded_id in ids:
                    fields = step.with_action_id(ids[recorded_id])
                await self.send(fields)
        finally:
            play.done.set()


class FakeAmiServer:
    """Asyncio TCP server on 127.0.0.1 speaking AMI from the recorded transcripts."""

    def __init__(self, *, secret: str = SECRET, speed: float = 50.0) -> None:
        self.secret = secret
        self.speed = speed
        self.answered = Transcript.load("answered_call")
        self.actions = Transcript.load("actions")
        self.login_failed = Transcript.load("login_failed")
        self.banner = self.answered.banner
        self.login_failed_delay = 1.0 / speed
        self.split_multibyte = False
        self.plays: deque[Play] = deque()
        self.lists: dict[str, list[Recorded]] = {
            "QueueStatus": self.actions.replies("act-qs-idle"),
            "CoreShowChannels": _empty_list(self.actions.replies("act-channels")),
        }
        self.received: list[Received] = []
        self.logged_in: list[int] = []
        self.changed = asyncio.Condition()
        self._connections: list[_Connection] = []
        self._counter = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        await self.drop()
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=2)
        if self._server is not None:
            await self._server.wait_closed()

    def play(
        self,
        transcript: Transcript | str,
        *,
        start: float = 0.0,
        end: float = math.inf,
        answer_actions: bool = True,
        after_lists: bool = True,
    ) -> Play:
        """Queue a replay for the next connection that logs in."""
        if isinstance(transcript, str):
            transcript = Transcript.load(transcript)
        play = Play(transcript, start, end, answer_actions, after_lists)
        self.plays.append(play)
        return play

    def snapshot(self, queue_status: str, channels: str) -> None:
        """Answer the list actions with the replies recorded for these ActionIDs in actions."""
        self.lists["QueueStatus"] = self.actions.replies(queue_status)
        self.lists["CoreShowChannels"] = self.actions.replies(channels)

    def reply_for(self, action: str) -> list[Recorded]:
        if action in self.lists:
            return self.lists[action]
        recorded = {
            "Ping": "act-ping",
            "Originate": "act-orig-ok",
            "QueueSummary": "act-qsum",
            "Status": "act-status",
            "Command": "act-cmd",
        }.get(action, "act-bad")
        return self.actions.replies(recorded)

    def go_silent(self) -> None:
        """Current connections stop answering anything, pings included; the socket stays open."""
        for conn in self._connections:
            conn.silent = True

    async def drop(self) -> None:
        """Close every client connection from the server side."""
        for conn in self._connections:
            conn.writer.close()
        self._connections.clear()

    async def wait_for(self, action: str, count: int = 1, within: float = 5.0) -> list[Received]:
        """Wait until the client has sent `count` actions named `action`."""

        def matching() -> list[Received]:
            return [r for r in self.received if r.get("Action") == action]

        async with asyncio.timeout(within), self.changed:
            await self.changed.wait_for(lambda: len(matching()) >= count)
        return matching()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Connection(self, next(self._counter), reader, writer)
        self._connections.append(conn)
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await conn.serve()
        finally:
            self._handlers.discard(task)
            if conn in self._connections:
                self._connections.remove(conn)


def _empty_list(replies: list[Recorded]) -> list[Recorded]:
    """A recorded list reply with its items removed: what an idle PBX answers."""
    response, *_items, complete = replies
    fields = tuple((k, "0" if k == "ListItems" else v) for k, v in complete.fields)
    return [response, Recorded(complete.t, complete.direction, fields)]
