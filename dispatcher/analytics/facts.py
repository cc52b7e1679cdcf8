"""Reads a period's calls of one MO, with their service cards, as records — one narrow query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatcher.analytics.records import CallFact, CardFact, Names, Outcome, Period
from dispatcher.storage import tables
from dispatcher.storage.calls import doctor_name
from dispatcher.storage.dispatch_tables import CallServiceCard
from intake_core.errors import NotFound
from intake_core.overdue import Deadlines
from intake_core.profile import load_profiles
from intake_core.status import Action


@dataclass(frozen=True, slots=True)
class MoFrame:
    """The MO an analysis is about: its time zone and its own deadlines."""

    id: int
    name: str
    zone: ZoneInfo
    deadlines: Deadlines


def mo_frame(session: Session, mo_id: int) -> MoFrame:
    mo = session.get(tables.MedicalOrganization, mo_id)
    if mo is None:
        raise NotFound("Медицинская организация не найдена")
    return MoFrame(
        id=mo.id,
        name=mo.short_name or mo.name,
        zone=ZoneInfo(mo.timezone),
        deadlines=Deadlines(
            assign=timedelta(minutes=mo.assign_deadline_minutes),
            serve=timedelta(hours=mo.serve_deadline_hours),
        ),
    )


def utc_bounds(period: Period, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The period's local days as a half-open UTC interval."""
    start = datetime.combine(period.first, time(0), zone)
    end = datetime.combine(period.last + timedelta(days=1), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def load_facts(session: Session, mo: MoFrame, period: Period) -> list[CallFact]:
    """Calls created in the period (MO local days), each with its card's letters if any."""
    call, card, history = tables.CallRow, CallServiceCard, tables.CallHistory
    start, end = utc_bounds(period, mo.zone)
    first_assigned = (
        select(func.min(history.at))
        .where(history.call_id == call.id, history.action == Action.ASSIGN.value)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            call.id,
            call.status,
            call.source,
            call.department_id,
            call.district_id,
            call.doctor_id,
            call.created_at,
            call.assigned_at,
            call.served_at,
            card.call_id,
            card.coded_by_user_id,
            card.questionnaire_id,
            card.branch,
            card.reason_code,
            card.reason_letter,
            card.sent_letter,
            card.postfactum_letter,
            first_assigned,
            card.reason_text,
            card.questionnaire_version,
            call.result,
            call.diagnoses,
            card.result_code,
            card.result_reason,
            card.departed_at,
            card.arrived_at,
            card.finished_at,
        )
        .outerjoin(card, card.call_id == call.id)
        .where(call.mo_id == mo.id, call.created_at >= start, call.created_at < end)
        .order_by(call.created_at, call.id)
    ).all()
    return [
        CallFact(
            call_id=r[0],
            status=r[1],
            channel=r[2],
            department_id=r[3],
            district_id=r[4],
            doctor_id=r[5],
            created_at=r[6],
            assigned_at=r[7],
            served_at=r[8],
            card=None
            if r[9] is None
            else CardFact(
                operator_id=r[10],
                questionnaire=r[11],
                branch=r[12],
                reason_code=r[13],
                reason_letter=r[14],
                sent_letter=r[15],
                postfactum_letter=r[16],
                reason_text=r[18],
                questionnaire_version=r[19],
            ),
            first_assigned_at=r[17],
            outcome=_outcome(r[20:]),
        )
        for r in rows
    ]


def _outcome(r: Sequence[Any]) -> Outcome | None:
    """The visit so far: the card's result code wins over the call's (the same when both);
    a doctor on the way already has a departure."""
    call_result, diagnoses, card_result, reason, departed, arrived, finished = r
    result = card_result or call_result
    if result is None and not diagnoses and departed is arrived is finished is None:
        return None
    return Outcome(
        result=result,
        result_reason=reason,
        diagnoses=tuple(str(code) for code in diagnoses or ()),
        departed_at=departed,
        arrived_at=arrived,
        finished_at=finished,
    )


def load_names(session: Session, mo_id: int) -> Names:
    """Names of the MO's departments, districts, users and doctors (with profile letters)."""
    departments = session.execute(
        select(tables.Department.id, tables.Department.name).where(tables.Department.mo_id == mo_id)
    ).all()
    districts = session.execute(
        select(tables.District.id, tables.District.name).where(tables.District.mo_id == mo_id)
    ).all()
    users = session.execute(
        select(tables.User.id, tables.User.full_name, tables.User.login).where(
            tables.User.mo_id == mo_id
        )
    ).all()
    doctors = session.scalars(select(tables.Doctor).where(tables.Doctor.mo_id == mo_id)).all()
    return Names(
        departments=dict(departments),
        districts=dict(districts),
        operators={uid: full or login for uid, full, login in users},
        doctors={d.id: doctor_name(d) for d in doctors},
        doctor_letters={d.id: d.profile_letter for d in doctors},
        profiles=load_profiles().names,
    )
