"""The dispatcher's CallSink: tracked calls into the database, caller cards to the agent's desk."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from dispatcher.outages import Outage, is_outage
from dispatcher.phone.card import CallerCard, CallerLookup, build_card, lookup_caller
from dispatcher.phone.commands import callback_id_of
from dispatcher.phone.events import (
    AgentAnswered,
    CallAbandoned,
    CallDirection,
    CallEnded,
    CallRinging,
    CallTransferred,
    EndReason,
    OriginateResult,
)
from dispatcher.settings import Settings
from dispatcher.storage import phone_calls as store
from dispatcher.storage.database import Database
from intake_core.phones import mask_phone

log = logging.getLogger(__name__)

AGENT_CACHE_SECONDS = 30.0  # users.interface rarely changes; a card must not wait for it


class DeskCallSink:
    """Writes every call event to `phone_calls` / `phone_callbacks`; on answer, pops the card.

    Writes go through one queue, in AMI order, off the event stream; cards are built and
    published concurrently, so fifty agents answering at once do not queue behind each other.
    """

    def __init__(self, settings: Settings, db: Database, redis: Redis) -> None:
        self._settings = settings
        self._db = db
        self._redis = redis
        self._mo_id: int | None = None
        self._mo_known = False
        self._agents: dict[str, tuple[float, store.AgentUser | None]] = {}
        self._attempts: dict[str, int] = {}  # Linkedid of a call-back → its list entry
        self._writes: asyncio.Queue[tuple[Callable[..., None], tuple[Any, ...]]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._pops: set[asyncio.Task[None]] = set()
        self._lookups: dict[str, asyncio.Task[CallerLookup]] = {}  # by Linkedid, while ringing
        self._outage = Outage("PostgreSQL or Redis (phone calls)", log)

    # ---- plumbing -----------------------------------------------------------------------

    def _write(self, fn: Callable[..., None], *args: Any) -> None:
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain(), name="phone-call-writes")
        self._writes.put_nowait((fn, args))

    async def _drain(self) -> None:
        while True:
            fn, args = await self._writes.get()
            while self._pops:  # the agent is already talking: cards first, bookkeeping after
                await asyncio.wait(set(self._pops))
            try:
                await asyncio.to_thread(fn, *args)
            except Exception as exc:
                if is_outage(exc):  # logged once per outage, not once per call
                    self._outage.failed(exc)
                else:
                    log.exception("phone call write %s failed", fn.__name__)
            else:
                self._outage.ok()
            finally:
                self._writes.task_done()

    async def flush(self) -> None:
        """Wait until every queued write and card is done (tests, shutdown)."""
        if self._pops:
            await asyncio.gather(*self._pops, return_exceptions=True)
        if self._writer is not None:
            await self._writes.join()

    async def aclose(self, within: float = 5.0) -> None:
        """Finish what is queued (bounded: a stuck database must not hold the shutdown)."""
        try:
            async with asyncio.timeout(within):
                await self.flush()
        except TimeoutError:
            log.warning("%d phone call writes not flushed at shutdown", self._writes.qsize())
        for task in [*self._pops, *self._lookups.values(), self._writer]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _default_mo(self) -> int | None:
        """The MO this PBX serves (TELEPHONY_MO_CODE), for calls no agent has answered."""
        if not self._mo_known:
            with self._db.session() as session:
                self._mo_id = store.mo_id_of(session, self._settings.telephony_mo_code)
            self._mo_known = True
        return self._mo_id

    def _agent(self, interface: str) -> store.AgentUser | None:
        cached = self._agents.get(interface)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        with self._db.session() as session:
            agent = store.agent_user(session, interface)
        self._agents[interface] = (now + AGENT_CACHE_SECONDS, agent)
        return agent

    # ---- CallSink -----------------------------------------------------------------------

    async def call_ringing(self, event: CallRinging) -> None:
        callback_id = callback_id_of(event.request_id)
        if callback_id is not None:
            self._attempts[event.linkedid] = callback_id
        if event.direction == CallDirection.INBOUND and event.linkedid not in self._lookups:
            # the number is known seconds before anyone answers: look it up now
            self._lookups[event.linkedid] = asyncio.create_task(
                asyncio.to_thread(self._lookup, event.linkedid, event.phone)
            )
        self._write(self._ringing, event)

    def _lookup(self, linkedid: str, phone: str | None) -> CallerLookup:
        with self._db.session() as session:
            return lookup_caller(session, linkedid, phone)

    def _ringing(self, event: CallRinging) -> None:
        mo_id = self._default_mo()
        with self._db.session() as session:
            store.record_started(
                session,
                event.linkedid,
                event.direction.value,
                event.phone,
                event.caller_raw,
                event.at,
                mo_id,
                event.agent_interface,
            )

    async def agent_answered(self, event: AgentAnswered) -> None:
        if event.direction == CallDirection.INBOUND and not event.restored:
            task = asyncio.create_task(self._pop(event))
            self._pops.add(task)
            task.add_done_callback(self._pops.discard)
        self._write(self._answered, event)

    async def _pop(self, event: AgentAnswered) -> None:
        try:
            card = await self._card(event)
            if card is not None:
                await self._redis.publish(
                    self._settings.phone_cards_channel, card.model_dump_json()
                )
        except Exception as exc:
            if is_outage(exc):
                self._outage.failed(exc)
            else:
                log.exception("caller card for call %s not delivered", event.linkedid)
        else:
            self._outage.ok()

    async def _card(self, event: AgentAnswered) -> CallerCard | None:
        cached = self._agents.get(event.agent_interface)
        if cached is not None and cached[0] > time.monotonic():
            agent = cached[1]
        else:
            agent = await asyncio.to_thread(self._agent, event.agent_interface)
        if agent is None:
            log.info("call %s: no desk user at %s", event.linkedid, event.agent_interface)
            return None
        pending = self._lookups.pop(event.linkedid, None)
        if pending is not None:
            lookup = await pending
        else:  # answered before we saw it ring (e.g. after a reconnect)
            lookup = await asyncio.to_thread(self._lookup, event.linkedid, event.phone)
        return build_card(
            lookup,
            agent,
            event.agent_interface,
            event.linkedid,
            event.caller_raw,
            event.answered_at,
        )

    def _answered(self, event: AgentAnswered) -> None:
        agent = self._agent(event.agent_interface)
        with self._db.session() as session:
            store.record_answered(
                session,
                event.linkedid,
                event.direction.value,
                event.phone,
                event.caller_raw,
                event.answered_at,
                agent.mo_id if agent is not None else self._default_mo(),
                event.agent_interface,
                event.agent_name,
                event.agent_channel,
                event.hold_seconds,
            )
            callback_id = callback_id_of(event.request_id)
            if callback_id is not None:
                attempts = self._settings.callback_max_attempts
                store.finish_attempt(session, callback_id, True, attempts, event.answered_at)
        log.info(
            "call %s from %s answered at %s",
            event.linkedid,
            mask_phone(event.phone),
            event.agent_interface,
        )

    async def call_abandoned(self, event: CallAbandoned) -> None:
        self._write(self._abandoned, event)

    def _abandoned(self, event: CallAbandoned) -> None:
        mo_id = self._default_mo()
        with self._db.session() as session:
            store.record_abandoned(
                session, event.linkedid, event.phone, None, event.at, event.hold_seconds, mo_id
            )

    async def call_ended(self, event: CallEnded) -> None:
        callback_id = self._attempts.pop(event.linkedid, None)
        lookup = self._lookups.pop(event.linkedid, None)
        if lookup is not None:
            lookup.cancel()
        self._write(self._ended, event, callback_id)

    def _ended(self, event: CallEnded, callback_id: int | None) -> None:
        # LOST: it ended while the PBX link was down; never seen answered, it is called back
        # (a needless call-back is cheaper than a patient nobody rings)
        unanswered = event.reason in (EndReason.UNANSWERED, EndReason.LOST)
        with self._db.session() as session:
            reason = event.reason.value
            store.record_ended(
                session, event.linkedid, reason, event.at, event.talk_seconds, unanswered
            )
            if callback_id is not None and unanswered:
                store.finish_attempt(
                    session, callback_id, False, self._settings.callback_max_attempts, event.at
                )

    async def transferred(self, event: CallTransferred) -> None:
        self._write(self._transferred, event)

    def _transferred(self, event: CallTransferred) -> None:
        with self._db.session() as session:
            store.record_transferred(session, event.linkedid, event.exten, event.at)
        log.info("call %s transferred to %s", event.linkedid, event.exten)

    async def originated(self, result: OriginateResult) -> None:
        callback_id = callback_id_of(result.request_id)
        if callback_id is None or result.success:
            return  # success: the agent answered; the patient's answer decides (agent_answered)
        self._write(self._not_originated, callback_id)

    def _not_originated(self, callback_id: int) -> None:
        with self._db.session() as session:
            attempts = self._settings.callback_max_attempts
            store.finish_attempt(session, callback_id, False, attempts, datetime.now(UTC))
