"""The dispatcher's CallSink: tracked calls into the database, caller cards to the agent's desk."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from redis.asyncio import Redis

from dispatcher.phone.card import CallerCard, build_card
from dispatcher.settings import Settings
from dispatcher.storage import phone_calls as store
from dispatcher.storage.database import Database
from intake_core.phones import mask_phone
from telephony.commands import callback_id_of
from telephony.events import (
    AgentAnswered,
    CallAbandoned,
    CallDirection,
    CallEnded,
    CallRinging,
    CallTransferred,
    EndReason,
    OriginateResult,
)

log = logging.getLogger(__name__)


class DeskCallSink:
    """Writes every call event to `phone_calls` / `phone_callbacks`; on answer, pops the card.

    The card is published before the answer is written: the agent is already talking.
    """

    def __init__(self, settings: Settings, db: Database, redis: Redis) -> None:
        self._settings = settings
        self._db = db
        self._redis = redis
        self._mo_id: int | None = None
        self._mo_known = False
        self._attempts: dict[str, int] = {}  # Linkedid of a call-back → its list entry

    def _default_mo(self) -> int | None:
        """The MO this PBX serves (TELEPHONY_MO_CODE), for calls no agent has answered."""
        if not self._mo_known:
            with self._db.session() as session:
                self._mo_id = store.mo_id_of(session, self._settings.telephony_mo_code)
            self._mo_known = True
        return self._mo_id

    async def call_ringing(self, event: CallRinging) -> None:
        callback_id = callback_id_of(event.request_id)
        if callback_id is not None:
            self._attempts[event.linkedid] = callback_id
        await asyncio.to_thread(self._ringing, event)

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
        card = await asyncio.to_thread(self._card, event)
        if card is not None and not event.restored:
            await self._redis.publish(self._settings.phone_cards_channel, card.model_dump_json())
        await asyncio.to_thread(self._answered, event, card)

    def _card(self, event: AgentAnswered) -> CallerCard | None:
        if event.direction != CallDirection.INBOUND:
            return None
        with self._db.session() as session:
            agent = store.agent_user(session, event.agent_interface)
            if agent is None:
                log.info("call %s: no desk user at %s", event.linkedid, event.agent_interface)
                return None
            return build_card(
                session,
                agent,
                event.agent_interface,
                event.linkedid,
                event.phone,
                event.caller_raw,
                event.answered_at,
            )

    def _answered(self, event: AgentAnswered, card: CallerCard | None) -> None:
        with self._db.session() as session:
            agent = store.agent_user(session, event.agent_interface) if card is None else None
            mo_id = store.mo_id_of(session, card.mo_code) if card else None
            if agent is not None:
                mo_id = agent.mo_id
            store.record_answered(
                session,
                event.linkedid,
                event.direction.value,
                event.phone,
                event.caller_raw,
                event.answered_at,
                mo_id or self._default_mo(),
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
        await asyncio.to_thread(self._abandoned, event)

    def _abandoned(self, event: CallAbandoned) -> None:
        mo_id = self._default_mo()
        with self._db.session() as session:
            store.record_abandoned(
                session,
                event.linkedid,
                event.phone,
                None,
                event.at,
                event.hold_seconds,
                mo_id,
            )

    async def call_ended(self, event: CallEnded) -> None:
        await asyncio.to_thread(self._ended, event)

    def _ended(self, event: CallEnded) -> None:
        unanswered = event.reason == EndReason.UNANSWERED
        with self._db.session() as session:
            reason = event.reason.value
            store.record_ended(
                session, event.linkedid, reason, event.at, event.talk_seconds, unanswered
            )
            callback_id = self._attempts.pop(event.linkedid, None)
            if callback_id is not None and unanswered:
                store.finish_attempt(
                    session, callback_id, False, self._settings.callback_max_attempts, event.at
                )

    async def transferred(self, event: CallTransferred) -> None:
        await asyncio.to_thread(self._transferred, event)

    def _transferred(self, event: CallTransferred) -> None:
        with self._db.session() as session:
            store.record_transferred(session, event.linkedid, event.exten, event.at)
        log.info("call %s transferred to %s", event.linkedid, event.exten)

    async def originated(self, result: OriginateResult) -> None:
        callback_id = callback_id_of(result.request_id)
        if callback_id is None or result.success:
            return  # success: the agent answered; the patient's answer decides (agent_answered)
        await asyncio.to_thread(self._not_originated, callback_id)

    def _not_originated(self, callback_id: int) -> None:
        with self._db.session() as session:
            store.finish_attempt(
                session,
                callback_id,
                False,
                self._settings.callback_max_attempts,
                datetime.now(UTC),
            )
