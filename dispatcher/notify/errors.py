"""Why a send failed: worth a retry with backoff, or not."""

from __future__ import annotations


class SendFailed(Exception):
    """A peer refused or could not be reached; `permanent` means a retry will not help."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
