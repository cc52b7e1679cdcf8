"""The reason-code questionnaire on the desk: the tree for the form's script, coding a call."""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dispatcher.desk.call_access import load_call
from dispatcher.desk.forms_web import (
    DeskUserDep,
    NowDep,
    OperatorDep,
    ServicesDep,
    mo_context,
    page,
)
from dispatcher.services.dispatch_rules import DispatchRules, load_rules
from dispatcher.services.lifecycle import Actor
from dispatcher.services.red_flag import RecordedExit, record_exit
from dispatcher.storage.service_cards import load_card, save_reason
from intake_core.call import Call
from intake_core.errors import FieldError, ValidationFailed
from intake_core.questionnaire import Facts, Questionnaire, Walk

router = APIRouter(prefix="/desk", include_in_schema=False)
_rules_lock = threading.Lock()


def get_rules(request: Request) -> DispatchRules:
    """The MO's tables, read and checked once per web process."""
    state = request.app.state
    rules: DispatchRules | None = getattr(state, "dispatch_rules", None)
    if rules is None:
        with _rules_lock:
            rules = getattr(state, "dispatch_rules", None)
            if rules is None:
                rules = load_rules(state.services.settings)
                state.dispatch_rules = rules
    return rules


RulesDep = Annotated[DispatchRules, Depends(get_rules)]


def parse_answers(raw: str) -> list[str]:
    """The form's hidden field: a JSON list of answer ids."""
    try:
        answers = json.loads(raw) if raw.strip() else []
    except json.JSONDecodeError:
        answers = None
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise ValidationFailed([FieldError("answers", "Ответы опросника не прочитаны")])
    return answers


def with_known(questionnaire: Questionnaire, given: list[str], facts: Facts) -> list[str]:
    """The answers with those the known facts choose: a question the facts answer takes their
    answer whatever the page sent for it (the script sends the same; an old page may omit it or
    send a stale one), the other questions take the operator's answers in turn."""
    answers: list[str] = []
    pending = deque(given)
    while (question := questionnaire.walk(answers).question) is not None:
        known = question.known_answer(facts)
        if known is not None:
            if pending and question.answer(pending[0]) is not None:
                pending.popleft()  # the page's copy of the known answer, or one the facts overrule
            answers.append(known.id)
        elif pending:
            answers.append(pending.popleft())  # walk() refuses an answer not offered
        else:
            break
    return [*answers, *pending]  # answers past the end: walk() names the extra one


def form_walk(rules: DispatchRules, raw: str, facts: Facts) -> Walk | None:
    """The new call form's walk as far as the operator went; None when it was not started.

    The questions the known facts answer are answered so (an infant's fever still exits). A
    walk left half-way does not stop the saving, just as an untouched one does not: the call
    is stored without a code, coded later in «Код повода». An exit stops it in both cases.
    """
    given = parse_answers(raw)
    if not given:
        return None
    return rules.questionnaire.walk(with_known(rules.questionnaire, given, facts))


def call_facts(call: Call, today: date) -> Facts:
    """What a stored call already tells the questionnaire: the age and the temperature."""
    return Facts.known(call.patient.birth_date, call.complaints.temperature, today)


def record_reason(
    session: Session, rules: DispatchRules, call_id: int, walk: Walk, user_id: int, now: datetime
) -> None:
    """The reason code, the operator and the time, into the call service card."""
    save_reason(session, call_id, rules.questionnaire, walk, user_id, now)


@router.get("/questionnaire")
def questionnaire_tree(rules: RulesDep, user: DeskUserDep) -> dict[str, Any]:
    """The tree the desk's script (and the bot) walks, as plain JSON."""
    return rules.questionnaire.public()


def _render(
    request: Request,
    services: ServicesDep,
    user: OperatorDep,
    rules: DispatchRules,
    call_id: int,
    now: datetime,
    error: str | None = None,
    emergency: tuple[str, str] | None = None,
    status_code: int = 200,
    recorded: RecordedExit | None = None,
) -> Response:
    with services.db.session() as session:
        call = load_call(session, user, call_id)
        card = load_card(session, call_id)
        today = mo_context(services, session, user).local(now).date()
    return page(
        request,
        "reason.html",
        user=user,
        status_code=status_code,
        call=call,
        card=card,
        questionnaire=rules.questionnaire,
        facts=call_facts(call, today),
        error=error,
        emergency=emergency,
        recorded=recorded,
    )


@router.get("/calls/{call_id}/reason")
def reason_dialog(
    request: Request,
    call_id: int,
    services: ServicesDep,
    user: OperatorDep,
    rules: RulesDep,
    now: NowDep,
) -> Response:
    return _render(request, services, user, rules, call_id, now)


@router.post("/calls/{call_id}/reason")
def code_reason(
    request: Request,
    call_id: int,
    services: ServicesDep,
    user: OperatorDep,
    rules: RulesDep,
    now: NowDep,
    answers: Annotated[str, Form()] = "",
) -> Response:
    """Code a call already stored (from the portal, the bot, a phone form without the script);
    a red-flag exit is recorded on the call and the operator told so."""
    try:
        given = parse_answers(answers)
        if not given:
            raise ValidationFailed([FieldError("answers", "Пройдите опросник", "required")])
        with services.db.session() as session:
            call = load_call(session, user, call_id)
            today = mo_context(services, session, user).local(now).date()
        walk = rules.questionnaire.finish(
            with_known(rules.questionnaire, given, call_facts(call, today))
        )
        if walk.exit is not None:
            with services.db.session() as session:
                load_call(session, user, call_id)
                actor = Actor(user.login, frozenset({user.mo_id}))
                recorded = record_exit(session, call_id, walk.exit, actor, now)
            services.relay.relay_pending()
            flag = (walk.exit.reason, walk.exit.say)
            return _render(
                request, services, user, rules, call_id, now, emergency=flag, recorded=recorded
            )
        with services.db.session() as session:
            load_call(session, user, call_id)
            record_reason(session, rules, call_id, walk, user.id, now)
    except ValidationFailed as exc:
        message = "; ".join(e.message for e in exc.errors)
        return _render(request, services, user, rules, call_id, now, error=message, status_code=422)
    return RedirectResponse(f"/desk/calls/{call_id}/service-card", 303)
