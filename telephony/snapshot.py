"""What the PBX reports is in progress right now (CoreShowChannels + QueueStatus), typed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from telephony.message import AmiMessage


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """One live channel (call leg) from `CoreShowChannel`."""

    channel: str
    uniqueid: str
    linkedid: str
    caller_num: str | None
    state: str
    application: str | None
    bridge_id: str | None


@dataclass(frozen=True, slots=True)
class QueueEntryInfo:
    """A caller waiting in a queue (`QueueEntry`); it has no Linkedid, only the Uniqueid."""

    queue: str
    uniqueid: str
    caller_num: str | None
    wait_seconds: int | None


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """A queue member (`QueueMember`): the agent's stable interface and display name."""

    queue: str
    interface: str
    name: str | None
    in_call: bool


@dataclass(frozen=True, slots=True)
class PbxSnapshot:
    """The calls in progress as the PBX lists them after a (re)connect."""

    channels: tuple[ChannelInfo, ...] = ()
    queue_entries: tuple[QueueEntryInfo, ...] = ()
    members: tuple[MemberInfo, ...] = ()

    @classmethod
    def from_lists(
        cls, channels: Iterable[AmiMessage], queue_status: Iterable[AmiMessage]
    ) -> PbxSnapshot:
        """Read the item events of the two list actions; other messages are skipped."""
        chans: list[ChannelInfo] = []
        for msg in channels:
            if msg.get("Event") != "CoreShowChannel":
                continue
            chans.append(
                ChannelInfo(
                    channel=msg.require("Channel"),
                    uniqueid=msg.require("Uniqueid"),
                    linkedid=msg.require("Linkedid"),
                    caller_num=msg.value("CallerIDNum"),
                    state=msg.get("ChannelStateDesc"),
                    application=msg.value("Application"),
                    bridge_id=msg.value("BridgeId"),
                )
            )
        entries: list[QueueEntryInfo] = []
        members: list[MemberInfo] = []
        for msg in queue_status:
            event = msg.get("Event")
            if event == "QueueEntry":
                entries.append(
                    QueueEntryInfo(
                        queue=msg.get("Queue"),
                        uniqueid=msg.require("Uniqueid"),
                        caller_num=msg.value("CallerIDNum"),
                        wait_seconds=msg.integer("Wait"),
                    )
                )
            elif event == "QueueMember":
                members.append(
                    MemberInfo(
                        queue=msg.get("Queue"),
                        interface=msg.value("StateInterface") or msg.require("Location"),
                        name=msg.value("Name"),
                        in_call=msg.get("InCall") == "1",
                    )
                )
        return cls(tuple(chans), tuple(entries), tuple(members))
