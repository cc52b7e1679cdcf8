"""Where a call can be handed over: the other medical organizations with «работает до» dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from dispatcher.storage.desk_forms_tables import MoTerm
from intake_core.errors import FieldError, ValidationFailed


@dataclass(frozen=True, slots=True)
class MoOption:
    """One MO in the transfer dialog."""

    code: str
    name: str
    address: str | None
    connected: bool  # works in this dispatcher, so the call appears on its desk
    works_until: date | None
    closed: bool

    @property
    def search_text(self) -> str:
        return f"{self.name} {self.address or ''} {self.code}".casefold()


def transfer_targets(session: Session, own_mo_id: int, today: date) -> list[MoOption]:
    """Every MO but our own: connected ones first, then the others, by name."""
    terms = {t.mo_id: t.works_until for t in session.scalars(select(MoTerm))}
    options: list[MoOption] = []
    for mo in session.scalars(
        select(tables.MedicalOrganization)
        .where(tables.MedicalOrganization.id != own_mo_id)
        .order_by(tables.MedicalOrganization.name)
    ):
        until = terms.get(mo.id)
        options.append(
            MoOption(
                code=mo.code,
                name=mo.name,
                address=mo.address,
                connected=mo.served,
                works_until=until,
                closed=until is not None and until < today,
            )
        )
    options.sort(key=lambda o: not o.connected)
    return options


def check_target(options: list[MoOption], code: str) -> MoOption:
    """The chosen MO, unless it is unknown or no longer works."""
    option = next((o for o in options if o.code == code), None)
    if option is None:
        raise ValidationFailed(
            [FieldError("to_mo", "Выберите медицинскую организацию из списка", "required")]
        )
    if option.closed and option.works_until is not None:
        raise ValidationFailed(
            [
                FieldError(
                    "to_mo",
                    f"{option.name} работала до {option.works_until:%d.%m.%Y}",
                    "closed",
                )
            ]
        )
    return option


def set_works_until(session: Session, mo_id: int, works_until: date | None) -> None:
    """Record until when an MO accepts calls (None: without limit)."""
    term = session.get(MoTerm, mo_id)
    if term is None:
        session.add(MoTerm(mo_id=mo_id, works_until=works_until))
    else:
        term.works_until = works_until
