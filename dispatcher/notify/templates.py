"""Every Russian text a patient reads in a message, one template per status.

Medical secrecy: a template takes only numbers, dates, names of doctors and MOs; complaint,
diagnosis and reason texts never reach it, so they cannot leave in an SMS.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class Template(enum.StrEnum):
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    SERVED = "served"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"
    EMERGENCY = "emergency"
    STATUS = "status"  # webhooks: every status change, no patient text


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What a message may say about a call: nothing medical."""

    call_number: int | None = None
    planned_date: date | None = None
    doctor_name: str | None = None
    window: str | None = None  # «с 08:00 по 20:00»
    mo_name: str | None = None
    new_call_number: int | None = None


def _day(value: date | None) -> str:
    return f"{value:%d.%m.%Y}" if value else "уточняется"


def render(template: Template, facts: MessageFacts) -> str:
    """The SMS text of a template with its facts."""
    number = facts.call_number
    if template is Template.ACCEPTED:
        return (
            f"Вызов врача на дом принят, номер {number}. "
            f"Планируемая дата визита: {_day(facts.planned_date)}. "
            "При ухудшении состояния звоните 103 или 112."
        )
    if template is Template.ASSIGNED:
        window = f", {facts.window}" if facts.window else ""
        return (
            f"По вызову № {number} назначен врач {facts.doctor_name or ''}".rstrip()
            + f". Визит {_day(facts.planned_date)}{window}."
        )
    if template is Template.SERVED:
        return f"Вызов № {number} обслужен. Будьте здоровы!"
    if template is Template.CANCELLED:
        return (
            f"Вызов № {number} отменён. Если врач по-прежнему нужен, оформите новый вызов "
            "или позвоните в поликлинику."
        )
    if template is Template.TRANSFERRED:
        new = f" Новый номер вызова: {facts.new_call_number}." if facts.new_call_number else ""
        where = facts.mo_name or "другую медицинскую организацию"
        return f"Вызов № {number} передан в {where}.{new}"
    if template is Template.EMERGENCY:
        return (
            "Вызов врача на дом не оформлен: по описанию это неотложное состояние. "
            "Срочно звоните 103 или 112."
        )
    raise ValueError(f"no SMS text for template {template}")


DELIVERY_STATE_LABELS = {
    "queued": "В очереди",
    "sending": "Отправляется",
    "sent": "Отправлено",
    "delivered": "Доставлено",
    "retry": "Повтор после ошибки",
    "deferred": "Отложено до конца тихих часов",
    "dead": "Не отправлено (ошибка)",
    "skipped": "Не отправлялось",
    "undelivered": "Не доставлено",
}
OPTED_OUT = "Пациент отказался от SMS-уведомлений"
IN_MESSENGER = "Пациенту сообщено в мессенджере"  # the bot told the chat the call came from
INTERRUPTED = "Отправка прервана: неизвестно, ушло ли сообщение. Проверьте и нажмите «повторить»"
RETRY_UNCERTAIN = (
    "SMS могло уже дойти до пациента: отправка прервалась, когда SMS-центр, возможно, уже "
    "принял его, и повторная отправка может прийти второй раз. Повторяйте, только если "
    "уверены, что пациент его не получил"
)
UNSUBSCRIBED = "Подписка удалена: уведомление не отправлялось"
RATE_LIMITED = "Слишком много запросов: повторите через {seconds} с"
DELIVERY_MOVE_REFUSED = (
    "Уведомление в состоянии «{current}» нельзя перевести в состояние «{target}»"
)
