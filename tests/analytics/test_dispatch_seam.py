"""Cards written by the dispatch half (reason, sent, post factum) are what the analytics count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatcher.analytics.facts import load_facts, load_names, mo_frame
from dispatcher.analytics.records import Period
from dispatcher.analytics.report import build_report
from dispatcher.services import accounts
from dispatcher.services.lifecycle import Actor, CallLifecycle
from dispatcher.storage.database import Database
from dispatcher.storage.service_cards import save_reason, save_sent, save_service
from intake_core.call import ServiceResult
from intake_core.questionnaire import Questionnaire, Walk, load_questionnaire
from intake_core.service_card import ServiceRecord
from tests.desk.forms_calls import doctor_id, mo_id, store_demo_call


def _walk_to(questionnaire: Questionnaire, outcome: str) -> Walk:
    for path in questionnaire.paths():
        walk = questionnaire.walk(path)
        if walk.outcome is not None and walk.outcome.id == outcome:
            return walk
    raise AssertionError(f"no path to {outcome}")


def test_cards_from_the_dispatch_services_feed_the_report(db: Database) -> None:
    questionnaire = load_questionnaire()
    report_at = datetime(2026, 3, 4, 11, 30, tzinfo=UTC)  # a Wednesday, 14:30 in Moscow
    t0 = report_at - timedelta(hours=4)
    first = store_demo_call(db, "Сеансов", now=t0)
    second = store_demo_call(db, "Стыков", house="14", now=t0 + timedelta(minutes=5))
    therapist, general = doctor_id(db, "D001"), doctor_id(db, "D003")
    with db.session() as session:
        operator = accounts.create_user(session, "seam-op", "secret-pass-1", "agent", "DEMO-KHIMKI")
        for call in (first, second):
            walk = _walk_to(questionnaire, "adult_pressure_high")
            save_reason(session, call, questionnaire, walk, operator.id, t0 + timedelta(minutes=6))
        at = t0 + timedelta(minutes=20)  # 20 minutes after the first call: in time
        CallLifecycle(session, Actor("тест", None), now=at).assign(first, therapist, at.date())
        save_sent(session, first, therapist, "Т", operator.id, None, at)
        at = t0 + timedelta(minutes=55)  # 50 minutes after the second: late, and a substitute
        CallLifecycle(session, Actor("тест", None), now=at).assign(second, general, at.date())
        save_sent(session, second, general, "В", operator.id, "Нет свободного терапевта", at)
        done = t0 + timedelta(hours=3)
        CallLifecycle(session, Actor("тест", None), now=done).serve(
            first, ServiceResult.LEFT_AT_HOME, ["I10"], None
        )
        record = ServiceRecord("У", None, None, done, ServiceResult.LEFT_AT_HOME, None, None)
        assert save_service(session, first, record, done)
    with db.session() as session:
        mo = mo_frame(session, mo_id(db))
        today = report_at.astimezone(mo.zone).date()
        period = Period(today - timedelta(days=1), today)
        report = build_report(
            load_facts(session, mo, period),
            load_names(session, mo.id),
            mo,
            period,
            report_at,
        )
    q = report.quality
    assert (q.cards, q.complete, q.exact) == (2, 1, 0)
    assert (q.coded_vs_needed.total, q.coded_vs_needed.mismatched) == (1, 1)
    assert [(m.key, m.total, m.mismatched) for m in q.by_operator] == [(operator.id, 1, 1)]
    assert [(m.key, m.rate) for m in q.by_branch] == [
        (("home_visit", questionnaire.version, "adult_pressure_high", "64Т"), 1.0)
    ]
    assert [(m.key, m.total, m.mismatched, dict(m.instead)) for m in q.shortage] == [
        ("Т", 2, 1, {"В": 1})
    ]
    assert [(m.key, m.total, m.mismatched, dict(m.instead)) for m in q.by_sent] == [
        ("Т", 1, 1, {"У": 1})
    ]
    sla = report.sla.overall
    assert (sla.calls, sla.assign_counted, sla.assign_within) == (2, 2, 1)
    assert (sla.serve_counted, sla.serve_within) == (1, 1)
    assert report.sla.assign.percentiles[50] == 35.0  # 20 and 50 minutes
    load = {d.doctor_id: (d.calls, d.served, d.substitute) for d in report.load}
    assert load == {therapist: (1, 1, 0), general: (1, 0, 1)}
