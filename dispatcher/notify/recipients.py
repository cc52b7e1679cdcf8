"""Who hears of an event, over which channel, with which text: event → planned deliveries."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.notify import preferences
from dispatcher.notify.deliveries import Planned
from dispatcher.notify.delivery_state import Channel
from dispatcher.notify.templates import IN_MESSENGER, OPTED_OUT, MessageFacts, Template, render
from dispatcher.storage import tables
from dispatcher.storage.bot_tables import TelegramUser
from dispatcher.storage.calls import doctor_name
from dispatcher.storage.notify_tables import NotifySubscription
from intake_core.call import CHAT_CHANNEL, CallKind
from intake_core.phones import InvalidPhone, normalize_phone
from intake_core.schedule import ScheduleError, parse_schedule
from intake_core.status import Action, CallStatus


def sms_template(event: dict[str, Any]) -> Template | None:
    """The patient's SMS for a status event, or None when this move is not worth a message."""
    action, target = event.get("action"), event.get("to")
    if event.get("type") == "intake.emergency":
        return Template.EMERGENCY
    if action == "transfer_in":
        return None  # the patient got «передан» from the first MO with the new number
    if target == CallStatus.NEW.value and action in ("create", Action.ACCEPT.value):
        return Template.ACCEPTED
    return {
        Action.ASSIGN.value: Template.ASSIGNED,
        Action.SERVE.value: Template.SERVED,
        Action.CANCEL.value: Template.CANCELLED,
        Action.TRANSFER.value: Template.TRANSFERRED,
    }.get(action or "")


def _facts(session: Session, row: tables.CallRow, event: dict[str, Any]) -> MessageFacts:
    planned = row.planned_date
    if event.get("planned_date"):
        planned = date.fromisoformat(event["planned_date"])
    doctor = session.get(tables.Doctor, event.get("doctor_id") or row.doctor_id or 0)
    window = None
    if doctor is not None and doctor.schedule:
        try:
            found = parse_schedule(doctor.schedule).window(planned)
        except ScheduleError:
            found = None
        window = found.label if found else None
    mo_name = None
    if event.get("to_mo_code"):
        mo = session.scalar(
            select(tables.MedicalOrganization).where(
                tables.MedicalOrganization.code == event["to_mo_code"]
            )
        )
        mo_name = (mo.short_name or mo.name) if mo else event["to_mo_code"]
    return MessageFacts(
        call_number=row.number,
        planned_date=planned,
        doctor_name=doctor_name(doctor) if doctor else None,
        window=window,
        mo_name=mo_name,
        new_call_number=event.get("new_call_number"),
    )


def _patient_phone(row: tables.CallRow) -> str | None:
    return row.phone or row.caller_phone


def in_chat(session: Session, refs: list[str]) -> bool:
    """True when one of these chat refs is a chat the messenger bots still reach.

    The bots (bots/notifier.py) tell each status to the chats of the call's own
    `telegram_chat` channels, Telegram's and MAX's alike: such a patient hears it there, and
    an SMS would say it twice. A ref that is no chat id (an API intake with the source
    «Telegram» but no chat) or a chat that blocked the bot reaches nobody: the SMS stays.
    """
    chats = [int(ref) for ref in refs if ref.lstrip("-").isdigit()]
    if not chats:
        return False
    found = session.scalar(
        select(TelegramUser.chat_id)
        .where(TelegramUser.chat_id.in_(chats), TelegramUser.active.is_(True))
        .limit(1)
    )
    return found is not None


def call_in_chat(session: Session, call_id: int) -> bool:
    """True when the call came through a messenger chat that still hears the bot.

    Only the channels the call itself came through count: a call made by phone, on the
    portal or at the desk keeps its SMS even when the patient has linked a chat with the same
    number, and a chat request merged into a phone call moves that call's messages to the
    chat. The call's `source` is not asked: it names the first request only.
    """
    refs = session.scalars(
        select(tables.CallChannel.value).where(
            tables.CallChannel.call_id == call_id, tables.CallChannel.kind == CHAT_CHANNEL
        )
    ).all()
    return in_chat(session, list(refs))


def _sms(
    session: Session,
    event_id: int,
    call_id: int | None,
    mo_id: int | None,
    phone: str | None,
    template: Template,
    text: str,
    urgent: bool,
    chat: bool = False,
) -> list[Planned]:
    """The patient's SMS, planned as skipped (with why) when it must not go out."""
    if not phone:
        return []
    skip_reason = None
    if chat:
        skip_reason = IN_MESSENGER
    elif not preferences.sms_wanted(session, phone):
        skip_reason = OPTED_OUT
    return [
        Planned(
            event_id=event_id,
            call_id=call_id,
            mo_id=mo_id,
            channel=Channel.SMS,
            recipient=phone,
            template=template.value,
            body=text,
            urgent=urgent,
            skip_reason=skip_reason,
        )
    ]


def _client_intake(session: Session, client_id: int, call_ids: list[int]) -> tables.Intake | None:
    return session.scalar(
        select(tables.Intake)
        .where(tables.Intake.client_id == client_id, tables.Intake.call_id.in_(call_ids))
        .order_by(tables.Intake.received_at)
        .limit(1)
    )


def _external_id(
    session: Session, row: tables.CallRow, intake: tables.Intake | None
) -> dict[str, str] | None:
    """The call's id in the subscriber's own system: what they sent us, else our first channel."""
    if intake is not None:
        payload = intake.payload or {}
        return {
            "kind": payload.get("channel_kind") or "intake",
            "value": payload.get("channel_ref") or intake.id,
        }
    channel = session.scalar(
        select(tables.CallChannel)
        .where(tables.CallChannel.call_id == row.id)
        .order_by(tables.CallChannel.id)
        .limit(1)
    )
    return {"kind": channel.kind, "value": channel.value} if channel else None


def _webhook_body(
    event_id: int,
    event: dict[str, Any],
    row: tables.CallRow,
    facts: MessageFacts,
    external: dict[str, str] | None,
) -> str:
    status = CallStatus(row.status) if event.get("to") is None else CallStatus(event["to"])
    body: dict[str, Any] = {
        "event_id": event_id,
        "type": event.get("type"),
        "call_id": row.id,
        "call_number": row.number,
        "external_id": external,
        "mo_code": event.get("mo_code"),
        "status": status.value,
        "status_label": status.label,
        "previous_status": event.get("from"),
        "action": event.get("action"),
        "at": event.get("at"),
        "kind": row.kind,
        "kind_label": CallKind(row.kind).label,
        "planned_date": facts.planned_date.isoformat() if facts.planned_date else None,
    }
    if event.get("action") == Action.ASSIGN.value:
        body["doctor"] = facts.doctor_name
        body["visit_window"] = facts.window
    if event.get("to_mo_code"):
        body["to_mo_code"] = event["to_mo_code"]
        body["new_call_number"] = event.get("new_call_number")
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def _subscribers(session: Session, mo_code: str | None) -> list[NotifySubscription]:
    rows = session.execute(
        select(NotifySubscription, tables.ApiClient)
        .join(tables.ApiClient, tables.ApiClient.id == NotifySubscription.client_id)
        .where(NotifySubscription.active.is_(True), tables.ApiClient.revoked.is_(False))
        .order_by(NotifySubscription.id)
    ).all()
    found = []
    for subscription, client in rows:
        codes = [c for c in client.mo_codes.split(",") if c]
        if not codes or (mo_code and mo_code in codes):
            found.append(subscription)
    return found


def plan_status(session: Session, event_id: int, event: dict[str, Any]) -> list[Planned]:
    """A call's status event: the patient's SMS and a webhook per subscribed client system.

    The SMS is planned as skipped when the call came through a messenger chat (`call_in_chat`):
    the bot tells that chat the same status.
    """
    row = session.get(tables.CallRow, event.get("call_id") or 0)
    if row is None:
        return []
    facts = _facts(session, row, event)
    planned: list[Planned] = []
    template = sms_template(event)
    if template is not None:
        urgent = row.kind == CallKind.URGENT.value
        planned += _sms(
            session,
            event_id,
            row.id,
            row.mo_id,
            _patient_phone(row),
            template,
            render(template, facts),
            urgent,
            chat=call_in_chat(session, row.id),
        )
    target = event.get("to")
    related = [row.id] + ([row.origin_call_id] if row.origin_call_id else [])
    for subscription in _subscribers(session, event.get("mo_code")):
        if subscription.statuses and target not in subscription.statuses:
            continue
        intake = _client_intake(session, subscription.client_id, related)
        if subscription.own_calls_only and intake is None:
            continue
        planned.append(
            Planned(
                event_id=event_id,
                call_id=row.id,
                mo_id=row.mo_id,
                channel=Channel.WEBHOOK,
                recipient=f"webhook:{subscription.id}",
                subscription_id=subscription.id,
                template=Template.STATUS.value,
                body=_webhook_body(event_id, event, row, facts, _external_id(session, row, intake)),
            )
        )
    return planned


def plan_emergency(session: Session, event_id: int, event: dict[str, Any]) -> list[Planned]:
    """An intake redirected to 103/112: the advice by SMS, and its sender's webhook.

    An intake from a messenger chat was answered in that chat (the dialog or the bot's
    notifier): its SMS is planned as skipped.
    """
    intake = session.get(tables.Intake, event.get("intake_id") or "")
    if intake is None:
        return []
    mo = session.scalar(
        select(tables.MedicalOrganization).where(
            tables.MedicalOrganization.code == event.get("mo_code")
        )
    )
    payload = intake.payload or {}
    try:
        phone = normalize_phone(payload.get("phone") or (payload.get("caller") or {}).get("phone"))
    except InvalidPhone:
        phone = None
    planned = _sms(
        session,
        event_id,
        None,
        mo.id if mo else None,
        phone,
        Template.EMERGENCY,
        render(Template.EMERGENCY, MessageFacts()),
        urgent=True,
        chat=payload.get("channel_kind") == CHAT_CHANNEL
        and in_chat(session, [str(payload.get("channel_ref") or "")]),
    )
    body = json.dumps(
        {
            "event_id": event_id,
            "type": "intake.emergency",
            "intake_id": intake.id,
            "external_id": {
                "kind": payload.get("channel_kind") or "intake",
                "value": payload.get("channel_ref") or intake.id,
            },
            "mo_code": event.get("mo_code"),
            "status": "emergency",
            "status_label": "Не оформлен: неотложное состояние, звонить 103/112",
            "message": render(Template.EMERGENCY, MessageFacts()),
            "at": event.get("at"),
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    for subscription in _subscribers(session, event.get("mo_code")):
        if subscription.client_id != intake.client_id:
            continue
        planned.append(
            Planned(
                event_id=event_id,
                call_id=None,
                mo_id=mo.id if mo else None,
                channel=Channel.WEBHOOK,
                recipient=f"webhook:{subscription.id}",
                subscription_id=subscription.id,
                template=Template.EMERGENCY.value,
                body=body,
                urgent=True,
            )
        )
    return planned


def plan(session: Session, event_id: int, event: dict[str, Any]) -> list[Planned]:
    kind = event.get("type")
    if kind in ("call.status_changed", "call.created"):
        return plan_status(session, event_id, event)
    if kind == "intake.emergency":
        return plan_emergency(session, event_id, event)
    return []
