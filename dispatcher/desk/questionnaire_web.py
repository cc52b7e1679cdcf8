"""The reason-code questionnaire on the desk: the tree for the form's script, coding a call."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dispatcher.desk import access_log
from dispatcher.desk.forms_web import (
    DeskUserDep,
    OperatorDep,
    ServicesDep,
    load_call,
    page,
)
from dispatcher.services.dispatch_rules import DispatchRules, load_rules
from dispatcher.services.lifecycle import Actor
from dispatcher.services.red_flag import RecordedExit, record_exit
from dispatcher.storage.service_cards import load_card, save_reason
from intake_core.errors import FieldError, ValidationFailed
from intake_core.questionnaire import Walk

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


def walk_answers(rules: DispatchRules, raw: str) -> Walk | None:
    """The finished walk of the form's answers; None when the questionnaire was not run."""
    answers = parse_answers(raw)
    return rules.questionnaire.finish(answers) if answers else None


def record_reason(
    session: Session, rules: DispatchRules, call_id: int, walk: Walk, user_id: int
) -> None:
    """The reason code, the operator and the time, into the call service card."""
    save_reason(session, call_id, rules.questionnaire, walk, user_id, datetime.now(UTC))


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
    error: str | None = None,
    emergency: tuple[str, str] | None = None,
    status_code: int = 200,
    recorded: RecordedExit | None = None,
) -> Response:
    with services.db.session() as session:
        call = load_call(session, user, call_id)
        card = load_card(session, call_id)
        access_log.record(session, user, "call", call_id)
    return page(
        request,
        "reason.html",
        user=user,
        status_code=status_code,
        call=call,
        card=card,
        questionnaire=rules.questionnaire,
        error=error,
        emergency=emergency,
        recorded=recorded,
    )


@router.get("/calls/{call_id}/reason")
def reason_dialog(
    request: Request, call_id: int, services: ServicesDep, user: OperatorDep, rules: RulesDep
) -> Response:
    return _render(request, services, user, rules, call_id)


@router.post("/calls/{call_id}/reason")
def code_reason(
    request: Request,
    call_id: int,
    services: ServicesDep,
    user: OperatorDep,
    rules: RulesDep,
    answers: Annotated[str, Form()] = "",
) -> Response:
    """Code a call already stored (from the portal, the bot, a phone form without the script);
    a red-flag exit is recorded on the call and the operator told so."""
    try:
        walk = walk_answers(rules, answers)
        if walk is None:
            raise ValidationFailed([FieldError("answers", "Пройдите опросник", "required")])
        if walk.exit is not None:
            with services.db.session() as session:
                load_call(session, user, call_id)
                actor = Actor(user.login, frozenset({user.mo_id}))
                recorded = record_exit(session, call_id, walk.exit, actor, datetime.now(UTC))
            services.relay.relay_pending()
            flag = (walk.exit.reason, walk.exit.say)
            return _render(
                request, services, user, rules, call_id, emergency=flag, recorded=recorded
            )
        with services.db.session() as session:
            load_call(session, user, call_id)
            record_reason(session, rules, call_id, walk, user.id)
    except ValidationFailed as exc:
        message = "; ".join(e.message for e in exc.errors)
        return _render(request, services, user, rules, call_id, error=message, status_code=422)
    return RedirectResponse(f"/desk/calls/{call_id}/service-card", 303)
