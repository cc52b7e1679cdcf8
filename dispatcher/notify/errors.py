"""Why a message did not go out: the notify channel's errors, rooted in the domain's."""

from __future__ import annotations

from intake_core.errors import DomainError


class DeliveryError(DomainError):
    """A message that could not (or may not) go out; the message is shown on the desk as is."""

    code = "delivery_error"


class SendFailed(DeliveryError):
    """A peer refused or could not be reached; `permanent` means a retry will not help."""

    code = "send_failed"

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
