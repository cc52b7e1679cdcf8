"""A person's intake at the desk, synchronously: the worker's validate → formalize → store in
one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from dispatcher.services.call_store import Stored, store_call
from dispatcher.services.red_flag import (
    EmergencyRedirect,
    only_possible,
    record_emergency,
    record_not_emergency,
)
from dispatcher.storage.references import MoContext
from intake_core.analysis import TextAnalyzer
from intake_core.call import RedFlag
from intake_core.intake import (
    Formalized,
    IntakeRequest,
    formalize,
    validate,
)


def intake_now(
    session: Session,
    request: IntakeRequest,
    mo: MoContext,
    analyzer: TextAnalyzer,
    actor: str,
    channel: tuple[str, str],
    now: datetime,
    adjust: Callable[[Formalized], Formalized] | None = None,
    not_emergency_confirmed: bool = False,
) -> Stored:
    """A person's intake (the operator desk), synchronously: the worker's validate → formalize →
    store path in one transaction. `adjust` applies the operator's corrections (the district).

    An emergency is refused, except when every sign found is only possible and the operator
    confirmed with the caller it is not an emergency: then the call is stored with its possible
    signs, and the confirmation goes into its history. A certain sign is refused all the same."""
    local = mo.local(now)
    valid = validate(request, local.date())
    formalized = formalize(valid, analyzer, mo.catalog, mo.calendar, local)
    if adjust is not None:
        formalized = adjust(formalized)
    confirmed: tuple[RedFlag, ...] = ()
    if formalized.emergency:
        if not (not_emergency_confirmed and only_possible(formalized.red_flags)):
            record_emergency(session, formalized, mo, now, actor=actor)
            raise EmergencyRedirect(formalized)
        confirmed = formalized.red_flags
        formalized = replace(formalized, complaints=replace(formalized.complaints, emergency=False))
    stored = store_call(session, formalized, mo, now, now, channel, actor)
    if confirmed:
        record_not_emergency(session, stored.row, confirmed, actor, now)
    return stored
