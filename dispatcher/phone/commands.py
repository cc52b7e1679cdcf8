"""Commands the desk sends the AMI listener over a Redis stream (call back, transfer to 112)
and their stream fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from intake_core.errors import DomainError
from intake_core.phones import mask_phone


class MalformedCommand(DomainError):
    """A command read from the stream is not one the desk writes."""

    code = "phone_command_malformed"


@dataclass(frozen=True, slots=True)
class CallBack:
    """Ring the agent's phone, then the patient (AMI Originate); `callback_id` of the list."""

    callback_id: int
    agent_interface: str
    phone: str

    @property
    def request_id(self) -> str:
        """What goes into the dialplan variable C2C_REQUEST and comes back on the call."""
        return str(self.callback_id)


@dataclass(frozen=True, slots=True)
class TransferTo112:
    """Blind-transfer the caller of `linkedid` to the emergency number."""

    linkedid: str
    agent_channel: str | None = None


Command = CallBack | TransferTo112


def encode(command: Command) -> dict[str, str]:
    """Stream fields of a command (what the desk writes with XADD)."""
    match command:
        case CallBack():
            return {
                "kind": "callback",
                "callback_id": str(command.callback_id),
                "agent_interface": command.agent_interface,
                "phone": command.phone,
            }
        case TransferTo112():
            return {
                "kind": "transfer_112",
                "linkedid": command.linkedid,
                "agent_channel": command.agent_channel or "",
            }


def decode(fields: Mapping[bytes | str, bytes | str]) -> Command:
    """The command in stream fields (what the listener reads); MalformedCommand if unreadable."""
    text = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in fields.items()
    }
    try:
        if text["kind"] == "callback":
            return CallBack(int(text["callback_id"]), text["agent_interface"], text["phone"])
        if text["kind"] == "transfer_112":
            return TransferTo112(text["linkedid"], text.get("agent_channel") or None)
    except (KeyError, ValueError) as exc:
        raise MalformedCommand(f"Команда для АТС не читается: {exc}") from exc
    raise MalformedCommand(f"Неизвестная команда для АТС: {text.get('kind')}")


def callback_id_of(request_id: str | None) -> int | None:
    """The call-back entry behind a click-to-call request id (`17` → 17)."""
    return int(request_id) if request_id and request_id.isdigit() else None


def describe(command: Command) -> str:
    """For logs: the number masked."""
    match command:
        case CallBack():
            return f"call back {mask_phone(command.phone)} via {command.agent_interface}"
        case TransferTo112():
            return f"transfer {command.linkedid} to 112"
