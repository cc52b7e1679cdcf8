"""RQ jobs: they take ids, reload state from the database and are safe to run twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from dispatcher.services.events import OutboxRelay
from dispatcher.services.intake import IntakeProcessor

log = logging.getLogger(__name__)


@dataclass(slots=True)
class JobContext:
    """Built once per worker process, before it forks, so models are loaded once."""

    processor: IntakeProcessor
    relay: OutboxRelay | None


_context: JobContext | None = None


def install(context: JobContext) -> None:
    global _context
    _context = context


def process_intake(intake_id: str) -> str:
    """Formalize one intake; a repeat run returns the stored outcome and changes nothing."""
    if _context is None:
        raise RuntimeError("worker context not installed: start the worker with worker.py")
    state = _context.processor.process(intake_id)
    if _context.relay is not None:
        # publish at once for a live desk; the relay loop catches up whatever fails here
        _context.relay.relay_pending()
    return state.value
