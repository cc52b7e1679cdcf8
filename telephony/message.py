"""One AMI message as our own small immutable object, and the errors of reading one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from intake_core.errors import DomainError

# Values Asterisk writes when a field has nothing in it.
_ABSENT = {"", "<unknown>", "unknown"}


class TelephonyError(DomainError):
    """Base of the telephony adapter's errors."""

    code = "telephony_error"


class MalformedMessage(TelephonyError):
    """An AMI message lacks a field we need or has one we cannot read."""

    code = "ami_malformed"


@dataclass(frozen=True, slots=True)
class AmiMessage:
    """An AMI event or response: its fields in wire order (duplicate keys kept)."""

    fields: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, mapping: Mapping[str, object] | Iterable[tuple[str, str]]) -> AmiMessage:
        """Build from a panoramisk Message (lists for repeated keys) or from key/value pairs."""
        pairs: list[tuple[str, str]] = []
        items = mapping.items() if isinstance(mapping, Mapping) else mapping
        for key, value in items:
            if isinstance(value, list | tuple):
                pairs.extend((str(key), str(v)) for v in value)
            else:
                pairs.append((str(key), str(value)))
        return cls(tuple(pairs))

    @property
    def name(self) -> str:
        """The event name, or `Response` for a response."""
        return self.get("Event") or ("Response" if self.get("Response") else "")

    def get(self, key: str, default: str = "") -> str:
        wanted = key.lower()
        for k, v in self.fields:
            if k.lower() == wanted:
                return v
        return default

    def value(self, key: str) -> str | None:
        """The field, or None when absent or one of Asterisk's "nothing here" spellings."""
        text = self.get(key).strip()
        return None if text in _ABSENT else text

    def require(self, key: str) -> str:
        text = self.value(key)
        if text is None:
            raise MalformedMessage(f"В событии AMI {self.name or '?'} нет поля {key}")
        return text

    def integer(self, key: str) -> int | None:
        text = self.value(key)
        if text is None:
            return None
        try:
            return int(text)
        except ValueError as exc:
            raise MalformedMessage(f"Поле {key} события AMI {self.name} не число") from exc
