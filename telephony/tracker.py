"""Phone call state machine keyed by Linkedid: AMI events in, typed call events out to the sink."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from dispatcher.outages import Outage, is_outage
from dispatcher.phone.events import (
    AgentAnswered,
    CallAbandoned,
    CallDirection,
    CallEnded,
    CallEvent,
    CallRinging,
    CallTransferred,
    EndReason,
)
from intake_core.errors import IllegalTransition
from intake_core.phones import InvalidPhone, mask_phone, normalize_phone
from telephony.message import AmiMessage, MalformedMessage
from telephony.phone_call import RANK, PhoneCall, PhoneCallState, interface_of
from telephony.sink import CallSink
from telephony.snapshot import ChannelInfo, PbxSnapshot

log = logging.getLogger(__name__)

C2C_VARIABLE = "C2C_REQUEST"


def _phone(raw: str | None) -> str | None:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        log.warning("unreadable caller number %s", mask_phone(raw))
        return None


class CallTracker:
    """Follows calls through AMI events and publishes typed events to a CallSink."""

    def __init__(
        self,
        sink: CallSink,
        *,
        trunks: Iterable[str] = ("trunk",),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sink = sink
        self._trunk_prefixes = tuple(f"PJSIP/{name}-" for name in trunks)
        self._clock = clock
        self._outage = Outage("call sink (database or Redis)", log)
        self._calls: dict[str, PhoneCall] = {}
        self._members: dict[str, str] = {}  # interface → MemberName
        self._handlers: dict[str, Callable[[AmiMessage], list[CallEvent]]] = {
            "Newchannel": self._on_newchannel,
            "NewCallerid": self._on_newcallerid,
            "VarSet": self._on_varset,
            "DialBegin": self._on_dialbegin,
            "DialEnd": self._on_dialend,
            "QueueCallerJoin": self._on_queue_join,
            "AgentCalled": self._on_agent_called,
            "AgentRingNoAnswer": self._on_agent_called,
            "AgentConnect": self._on_agent_connect,
            "AgentComplete": self._on_agent_complete,
            "QueueCallerAbandon": self._on_abandon,
            "BlindTransfer": self._on_blind_transfer,
            "Hangup": self._on_hangup,
        }

    @property
    def calls(self) -> Mapping[str, PhoneCall]:
        """Calls in progress by Linkedid (a read-only view)."""
        return dict(self._calls)

    def is_trunk(self, channel: str) -> bool:
        return channel.startswith(self._trunk_prefixes)

    async def feed(self, message: AmiMessage) -> None:
        """Apply one AMI event; unknown ones are ignored, broken ones logged and skipped."""
        handler = self._handlers.get(message.get("Event"))
        if handler is None:
            return
        try:
            events = handler(message)
        except (MalformedMessage, IllegalTransition) as exc:
            log.warning("skipped AMI %s: %s", message.name, exc)
            return
        except Exception:
            log.exception("AMI %s could not be applied", message.name)
            return
        await self._publish(events)

    async def restore(self, snapshot: PbxSnapshot) -> None:
        """Rebuild calls from the PBX's lists after a (re)connect; publish what we missed."""
        events: list[CallEvent] = []
        for member in snapshot.members:
            if member.name:
                self._members[member.interface] = member.name
        waiting = {entry.uniqueid: entry for entry in snapshot.queue_entries}
        legs: dict[str, list[ChannelInfo]] = {}
        for info in snapshot.channels:
            legs.setdefault(info.linkedid, []).append(info)
        for linkedid, channels in legs.items():
            root = next((c for c in channels if c.uniqueid == linkedid), None)
            if root is None:
                continue
            try:
                seen = self._seen_call(root, channels, waiting)
            except IllegalTransition as exc:
                log.warning("resync skipped call %s: %s", linkedid, exc)
                continue
            events.extend(self._merge(seen))
        now = self._clock()
        for linkedid in list(self._calls):
            if linkedid not in legs:
                call = self._calls[linkedid]
                reason = call.end_reason or (
                    EndReason.ABANDONED
                    if call.state == PhoneCallState.ABANDONED
                    else EndReason.LOST
                )
                events.extend(self._end(call, reason, now))
        await self._publish(events)

    # ---- resync -------------------------------------------------------------------------

    def _seen_call(
        self,
        root: ChannelInfo,
        channels: list[ChannelInfo],
        waiting: Mapping[str, object],
    ) -> PhoneCall:
        now = self._clock()
        others = [c for c in channels if c is not root]
        bridged = [c for c in others if root.bridge_id and c.bridge_id == root.bridge_id]
        if self.is_trunk(root.channel):
            agent = next((c for c in bridged if not self.is_trunk(c.channel)), None)
            if agent is not None:
                state = PhoneCallState.ANSWERED
            elif bridged:
                state = PhoneCallState.TRANSFERRED
            elif any(c.state == "Ringing" and not self.is_trunk(c.channel) for c in others):
                state = PhoneCallState.AGENTS_RINGING
            elif root.uniqueid in waiting or root.application == "Queue":
                state = PhoneCallState.QUEUED
            else:
                state = PhoneCallState.RINGING
            interface = interface_of(agent.channel) if agent else None
            return PhoneCall(
                linkedid=root.linkedid,
                direction=CallDirection.INBOUND,
                state=state,
                phone=_phone(root.caller_num),
                caller_raw=root.caller_num,
                started_at=now,
                root_channel=root.channel,
                agent_interface=interface,
                agent_name=self._members.get(interface) if interface else None,
                agent_channel=agent.channel if agent else None,
            )
        patient = next((c for c in others if self.is_trunk(c.channel)), None)
        interface = interface_of(root.channel)
        if patient is None:
            state = PhoneCallState.ORIGINATED
        elif patient.bridge_id and patient.bridge_id == root.bridge_id:
            state = PhoneCallState.ANSWERED
        else:
            state = PhoneCallState.RINGING
        return PhoneCall(
            linkedid=root.linkedid,
            direction=CallDirection.OUTBOUND,
            state=state,
            phone=_phone(patient.caller_num) if patient else None,
            caller_raw=patient.caller_num if patient else None,
            started_at=now,
            root_channel=root.channel,
            agent_interface=interface,
            agent_name=self._members.get(interface),
            agent_channel=root.channel,
            patient_uniqueid=patient.uniqueid if patient else None,
        )

    def _merge(self, seen: PhoneCall) -> list[CallEvent]:
        known = self._calls.get(seen.linkedid)
        if known is None:
            call = seen
        elif RANK[seen.state] > RANK[known.state]:
            call = known.move(seen.state)
            call = replace(
                call,
                phone=known.phone or seen.phone,
                caller_raw=known.caller_raw or seen.caller_raw,
                agent_interface=seen.agent_interface or known.agent_interface,
                agent_name=seen.agent_name or known.agent_name,
                agent_channel=seen.agent_channel or known.agent_channel,
                patient_uniqueid=known.patient_uniqueid or seen.patient_uniqueid,
            )
        else:
            return []
        events: list[CallEvent] = []
        now = self._clock()
        if not call.announced and call.state != PhoneCallState.ORIGINATED:
            call = replace(call, announced=True)
            events.append(self._ringing(call, restored=True))
        if call.state == PhoneCallState.ANSWERED and (known is None or known.state != call.state):
            events.append(self._answered(call, now, restored=True))
        self._calls[call.linkedid] = call
        return events

    # ---- event handlers ------------------------------------------------------------------

    def _on_newchannel(self, msg: AmiMessage) -> list[CallEvent]:
        channel = msg.require("Channel")
        uniqueid = msg.require("Uniqueid")
        linkedid = msg.require("Linkedid")
        if uniqueid == linkedid:
            if linkedid in self._calls:
                return []
            if self.is_trunk(channel):
                inbound = PhoneCall(
                    linkedid=linkedid,
                    direction=CallDirection.INBOUND,
                    state=PhoneCallState.RINGING,
                    phone=_phone(msg.value("CallerIDNum")),
                    caller_raw=msg.get("CallerIDNum") or None,
                    started_at=self._clock(),
                    root_channel=channel,
                    announced=True,
                )
                self._calls[linkedid] = inbound
                return [self._ringing(inbound)]
            interface = interface_of(channel)
            self._calls[linkedid] = PhoneCall(
                linkedid=linkedid,
                direction=CallDirection.OUTBOUND,
                state=PhoneCallState.ORIGINATED,
                phone=None,
                started_at=self._clock(),
                root_channel=channel,
                agent_interface=interface,
                agent_name=self._members.get(interface),
                agent_channel=channel,
            )
            return []
        call = self._calls.get(linkedid)
        if (
            call is not None
            and call.direction == CallDirection.OUTBOUND
            and call.patient_uniqueid is None
            and self.is_trunk(channel)
        ):
            call = replace(call, patient_uniqueid=uniqueid)
            self._calls[linkedid] = call
            return self._learn_patient(call, msg.value("CallerIDNum"))
        return []

    def _on_newcallerid(self, msg: AmiMessage) -> list[CallEvent]:
        call = self._calls.get(msg.require("Linkedid"))
        if call is None or call.patient_uniqueid != msg.require("Uniqueid"):
            return []
        return self._learn_patient(call, msg.value("CallerIDNum"))

    def _on_varset(self, msg: AmiMessage) -> list[CallEvent]:
        if msg.get("Variable") != C2C_VARIABLE:
            return []
        call = self._calls.get(msg.require("Linkedid"))
        if call is not None:
            self._calls[call.linkedid] = replace(call, request_id=msg.value("Value"))
        return []

    def _on_dialbegin(self, msg: AmiMessage) -> list[CallEvent]:
        call = self._calls.get(msg.get("Linkedid") or msg.get("DestLinkedid"))
        dest = msg.get("DestChannel")
        if call is None or call.direction != CallDirection.OUTBOUND or not self.is_trunk(dest):
            return []
        if call.patient_uniqueid is None:
            call = replace(call, patient_uniqueid=msg.require("DestUniqueid"))
            self._calls[call.linkedid] = call
        number = msg.get("DialString").partition("@")[0]
        return self._learn_patient(call, number)

    def _on_dialend(self, msg: AmiMessage) -> list[CallEvent]:
        if msg.get("DialStatus") != "ANSWER":
            return []
        call = self._calls.get(msg.get("Linkedid") or msg.get("DestLinkedid"))
        if (
            call is None
            or call.direction != CallDirection.OUTBOUND
            or call.patient_uniqueid != msg.get("DestUniqueid")
        ):
            return []
        call = call.move(PhoneCallState.ANSWERED)
        events: list[CallEvent] = []
        if not call.announced:
            call = replace(call, announced=True)
            events.append(self._ringing(call))
        self._calls[call.linkedid] = call
        events.append(self._answered(call, self._clock()))
        return events

    def _on_queue_join(self, msg: AmiMessage) -> list[CallEvent]:
        call, events = self._inbound(msg)
        self._calls[call.linkedid] = replace(
            call.move(PhoneCallState.QUEUED), queue=msg.value("Queue")
        )
        return events

    def _on_agent_called(self, msg: AmiMessage) -> list[CallEvent]:
        interface = msg.require("Interface")
        name = msg.value("MemberName")
        if name:
            self._members[interface] = name
        call, events = self._inbound(msg)
        if msg.get("Event") == "AgentCalled":
            call = call.move(PhoneCallState.AGENTS_RINGING)
        self._calls[call.linkedid] = call
        return events

    def _on_agent_connect(self, msg: AmiMessage) -> list[CallEvent]:
        interface = msg.require("Interface")
        call, events = self._inbound(msg)
        call = replace(
            call.move(PhoneCallState.ANSWERED),
            agent_interface=interface,
            agent_name=msg.value("MemberName") or self._members.get(interface),
            agent_channel=msg.require("DestChannel"),
            hold_seconds=msg.integer("HoldTime"),
            queue=msg.value("Queue") or call.queue,
        )
        self._calls[call.linkedid] = call
        events.append(self._answered(call, self._clock()))
        return events

    def _on_agent_complete(self, msg: AmiMessage) -> list[CallEvent]:
        call = self._calls.get(msg.require("Linkedid"))
        if call is None:
            return []
        try:
            reason = EndReason(msg.get("Reason"))
        except ValueError:
            reason = None
        self._calls[call.linkedid] = replace(
            call, talk_seconds=msg.integer("TalkTime"), end_reason=reason or call.end_reason
        )
        return []

    def _on_abandon(self, msg: AmiMessage) -> list[CallEvent]:
        call, events = self._inbound(msg)
        hold = msg.integer("HoldTime") or 0
        call = replace(call.move(PhoneCallState.ABANDONED), hold_seconds=hold)
        self._calls[call.linkedid] = call
        events.append(
            CallAbandoned(
                linkedid=call.linkedid,
                phone=call.phone,
                hold_seconds=hold,
                at=self._clock(),
                queue=msg.value("Queue") or call.queue,
            )
        )
        return events

    def _on_blind_transfer(self, msg: AmiMessage) -> list[CallEvent]:
        if msg.get("Result") != "Success":
            return []
        linkedid = msg.value("TransfereeLinkedid") or msg.require("TransfererLinkedid")
        call = self._calls.get(linkedid)
        if call is None:
            return []
        call = call.move(PhoneCallState.TRANSFERRED)
        self._calls[linkedid] = call
        transferer = msg.value("TransfererChannel")
        return [
            CallTransferred(
                linkedid=linkedid,
                phone=call.phone,
                agent_interface=interface_of(transferer) if transferer else call.agent_interface,
                context=msg.get("Context"),
                exten=msg.require("Extension"),
                at=self._clock(),
            )
        ]

    def _on_hangup(self, msg: AmiMessage) -> list[CallEvent]:
        call = self._calls.get(msg.require("Linkedid"))
        if call is None:
            return []
        uniqueid = msg.require("Uniqueid")
        answered = call.state in (PhoneCallState.ANSWERED, PhoneCallState.TRANSFERRED)
        if uniqueid == call.linkedid:
            if call.direction == CallDirection.INBOUND:
                reason = call.end_reason or self._unfinished_reason(call)
            else:
                reason = EndReason.AGENT if answered else EndReason.UNANSWERED
        elif uniqueid == call.patient_uniqueid:
            reason = EndReason.CALLER if answered else EndReason.UNANSWERED
        else:
            return []
        return self._end(call, reason, self._clock())

    # ---- helpers -------------------------------------------------------------------------

    @staticmethod
    def _unfinished_reason(call: PhoneCall) -> EndReason:
        if call.state == PhoneCallState.ABANDONED:
            return EndReason.ABANDONED
        if call.state == PhoneCallState.TRANSFERRED:
            return EndReason.TRANSFER
        if call.state == PhoneCallState.ANSWERED:
            return EndReason.CALLER
        return EndReason.UNANSWERED

    def _inbound(self, msg: AmiMessage) -> tuple[PhoneCall, list[CallEvent]]:
        """The caller's call for a queue event; created if we missed its Newchannel."""
        linkedid = msg.require("Linkedid")
        call = self._calls.get(linkedid)
        if call is not None:
            return call, []
        call = PhoneCall(
            linkedid=linkedid,
            direction=CallDirection.INBOUND,
            state=PhoneCallState.RINGING,
            phone=_phone(msg.value("CallerIDNum")),
            caller_raw=msg.get("CallerIDNum") or None,
            started_at=self._clock(),
            root_channel=msg.require("Channel"),
            announced=True,
        )
        self._calls[linkedid] = call
        return call, [self._ringing(call)]

    def _learn_patient(self, call: PhoneCall, raw: str | None) -> list[CallEvent]:
        if call.phone is None:
            phone = _phone(raw)
            if phone is None:
                return []
            call = replace(call, phone=phone, caller_raw=raw)
        if call.state != PhoneCallState.ORIGINATED:
            self._calls[call.linkedid] = call
            return []
        call = replace(call.move(PhoneCallState.RINGING), announced=True)
        self._calls[call.linkedid] = call
        return [self._ringing(call)]

    def _end(self, call: PhoneCall, reason: EndReason, at: datetime) -> list[CallEvent]:
        del self._calls[call.linkedid]
        if not call.announced:
            return []
        return [
            CallEnded(
                linkedid=call.linkedid,
                phone=call.phone,
                direction=call.direction,
                reason=reason,
                at=at,
                agent_interface=call.agent_interface,
                talk_seconds=call.talk_seconds,
            )
        ]

    def _ringing(self, call: PhoneCall, *, restored: bool = False) -> CallRinging:
        return CallRinging(
            linkedid=call.linkedid,
            phone=call.phone,
            direction=call.direction,
            at=self._clock(),
            caller_raw=call.caller_raw,
            agent_interface=call.agent_interface,
            request_id=call.request_id,
            restored=restored,
        )

    @staticmethod
    def _answered(call: PhoneCall, at: datetime, *, restored: bool = False) -> AgentAnswered:
        assert call.agent_interface is not None and call.agent_channel is not None
        return AgentAnswered(
            linkedid=call.linkedid,
            phone=call.phone,
            caller_raw=call.caller_raw,
            agent_interface=call.agent_interface,
            agent_name=call.agent_name,
            agent_channel=call.agent_channel,
            answered_at=at,
            direction=call.direction,
            hold_seconds=call.hold_seconds,
            request_id=call.request_id,
            restored=restored,
        )

    async def _publish(self, events: list[CallEvent]) -> None:
        for event in events:
            try:
                await self._deliver(event)
            except Exception as exc:
                if is_outage(exc):  # the database or Redis is down: logged once per outage
                    self._outage.failed(exc)
                    continue
                log.exception(
                    "call sink failed on %s for call %s", type(event).__name__, event.linkedid
                )
            else:
                self._outage.ok()

    def _deliver(self, event: CallEvent) -> Awaitable[None]:
        sink = self._sink
        match event:
            case CallRinging():
                return sink.call_ringing(event)
            case AgentAnswered():
                return sink.agent_answered(event)
            case CallAbandoned():
                return sink.call_abandoned(event)
            case CallTransferred():
                return sink.transferred(event)
            case CallEnded():
                return sink.call_ended(event)
