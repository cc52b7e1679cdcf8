"""The worker drains queued intakes in batches: one RQ job for many intakes, several intakes per
transaction, one bad intake holding up no other, the complaints parsed once per intake."""

from __future__ import annotations

import copy
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import redis
from fastapi.testclient import TestClient
from rq import Queue, SimpleWorker
from sqlalchemy import select

from dispatcher import jobs
from dispatcher.nlp_analyzer import NlpAnalyzer
from dispatcher.queue import IntakeQueue
from dispatcher.services.events import OutboxRelay
from dispatcher.services.intake import submit
from dispatcher.services.intake_processor import IntakeProcessor
from dispatcher.settings import Settings
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.references import MoDirectory
from intake_core.call import Complaints
from tests.conftest import WorkerRunner, auth
from tests.test_intake_flow import SAMPLE

PATIENTS = [
    # фамилия, имя, дата рождения, телефон
    ("Соколова", "Анна", "2012-05-14", "+79161110001"),
    ("Петров", "Иван", "1948-11-02", "+79161110002"),
    ("Кузнецова", "Вера", "1937-01-30", "+79161110003"),
    ("Орлов", "Сергей", "2019-08-21", "+79161110004"),
    ("Лебедева", "Нина", "1955-03-09", "+79161110005"),
]


def _body(last: str, first: str, born: str, phone: str) -> dict[str, Any]:
    body = copy.deepcopy(SAMPLE)
    body["patient"] |= {"last_name": last, "first_name": first, "birth_date": born}
    body["phone"] = phone
    return body


def _client_id(db: Database) -> int:
    with db.session() as session:
        found = session.scalar(select(tables.ApiClient.id).limit(1))
    assert found is not None
    return found


def test_many_intakes_wait_for_one_drain_job_that_formalizes_them_all(
    client: TestClient,
    worker: WorkerRunner,
    intake_token: str,
    settings: Settings,
    redis_client: redis.Redis,
) -> None:
    ids = [
        client.post(
            "/api/v1/intake", json=_body(*row), headers=auth(intake_token, f"b-{n}")
        ).json()["intake_id"]
        for n, row in enumerate(PATIENTS)
    ]
    assert len(Queue(settings.queue_name, connection=redis_client).job_ids) == 1
    worker.drain()
    states = [client.get(f"/api/v1/intake/{i}", headers=auth(intake_token)).json() for i in ids]
    assert [s["state"] for s in states] == ["accepted"] * len(PATIENTS)
    assert len({s["call_number"] for s in states}) == len(PATIENTS)
    # a new intake after the drain gets a drain of its own
    client.post("/api/v1/intake", json=SAMPLE, headers=auth(intake_token, "b-after"))
    assert len(Queue(settings.queue_name, connection=redis_client).job_ids) == 1


def test_one_batch_merges_a_repeat_of_a_patient_it_just_stored(
    db: Database, processor: IntakeProcessor, intake_token: str
) -> None:
    """Two requests of one patient in one batch: the second joins the call of the first."""
    client_id = _client_id(db)
    now = datetime.now(UTC)
    first = submit(db, client_id, "DEMO-KHIMKI", "m-1", _body(*PATIENTS[0]), now)
    again = _body(*PATIENTS[0])
    again["complaints"] = "Кашель усилился к вечеру"
    # the repeat arrives later (intakes received at one instant have no order)
    second = submit(db, client_id, "DEMO-KHIMKI", "m-2", again, now + timedelta(seconds=1))
    outcomes = processor.process_pending(16)
    assert set(outcomes.values()) == {"accepted"}
    with db.session() as session:
        rows = {
            i.id: i
            for i in session.scalars(
                select(tables.Intake).where(
                    tables.Intake.id.in_([first.intake_id, second.intake_id])
                )
            )
        }
    assert rows[first.intake_id].call_id == rows[second.intake_id].call_id
    assert rows[second.intake_id].merged is True


def test_a_batch_judges_each_intake_against_the_calls_stored_before_it(
    db: Database, processor: IntakeProcessor, intake_token: str
) -> None:
    """Stored earlier: Соколова, Петров. One batch: a new patient, a child at Соколова's phone
    and address (a second call of the household), Петров again (merged into his call), a new
    patient after that merge, Петров once more: numbers follow the intakes' order."""
    client_id = _client_id(db)
    now = datetime.now(UTC)
    submit(db, client_id, "DEMO-KHIMKI", "e-1", _body(*PATIENTS[0]), now)
    submit(db, client_id, "DEMO-KHIMKI", "e-2", _body(*PATIENTS[1]), now)
    processor.process_pending(16)
    child = _body("Соколов", "Миша", "2020-02-02", PATIENTS[0][3])
    batch = [  # received in this order
        submit(db, client_id, "DEMO-KHIMKI", key, body, now + timedelta(seconds=n)).intake_id
        for n, (key, body) in enumerate(
            [
                ("e-3", _body(*PATIENTS[2])),
                ("e-4", child),
                ("e-5", _body(*PATIENTS[1])),
                ("e-6", _body(*PATIENTS[3])),
                ("e-7", _body(*PATIENTS[1])),
            ]
        )
    ]
    assert set(processor.process_pending(16).values()) == {"accepted"}
    with db.session() as session:
        rows = {i.id: i for i in session.scalars(select(tables.Intake))}
        calls = {c.id: c for c in session.scalars(select(tables.CallRow))}
        call_of = {i: calls[c] for i, row in rows.items() if (c := row.call_id) is not None}
        notes = [
            h.reason
            for h in session.scalars(
                select(tables.CallHistory).where(tables.CallHistory.action == "household")
            )
        ]
    got = [(rows[i].merged, call_of[i].last_name) for i in batch]
    assert got == [
        (False, "Кузнецова"),
        (False, "Соколов"),
        (True, "Петров"),
        (False, "Орлов"),
        (True, "Петров"),
    ]
    numbers = [call_of[i].number for i in (batch[0], batch[1], batch[3])]
    assert numbers == sorted(numbers)
    assert len(notes) == 1 and "другой пациент" in (notes[0] or "")


def test_a_bad_intake_in_a_batch_holds_up_no_other(
    db: Database, processor: IntakeProcessor, intake_token: str
) -> None:
    client_id = _client_id(db)
    now = datetime.now(UTC)
    good = [
        submit(db, client_id, "DEMO-KHIMKI", f"g-{n}", _body(*row), now).intake_id
        for n, row in enumerate(PATIENTS[:3])
    ]
    # stored by an older version, never through today's API: a patient that is not an object
    broken = submit(db, client_id, "DEMO-KHIMKI", "broken", {**SAMPLE, "patient": "Иванова"}, now)
    outcomes = processor.process_pending(16)
    assert {i: outcomes.get(i) for i in good} == {i: "accepted" for i in good}
    with db.session() as session:
        left = session.get(tables.Intake, broken.intake_id)
        assert left is not None
        assert (left.state, left.attempts) == ("queued", 1)  # tried again by a later drain


class CountingAnalyzer(NlpAnalyzer):
    """The real analyzer, counting its complaint parses."""

    complaint_parses = 0

    def complaints(self, text: str, age_years: float | None) -> Complaints:
        self.complaint_parses += 1
        return super().complaints(text, age_years)


def test_complaints_are_parsed_once_however_many_mos_are_tried(
    db: Database, analyzer: NlpAnalyzer, intake_token: str
) -> None:
    """No MO of its own and a street no district serves: every served MO is tried."""
    counting = CountingAnalyzer(analyzer.morph)
    processor = IntakeProcessor(db, counting, MoDirectory())
    body = _body(*PATIENTS[1])
    body["address"] = "г. Химки, ул. Несуществующая, д. 5, кв. 1"
    submit(db, _client_id(db), "", "once", body, datetime.now(UTC))
    with db.session() as session:
        assert len(MoDirectory().served_codes(session)) >= 2
    processor.process_pending(16)
    assert counting.complaint_parses == 1


def test_a_lingering_drain_takes_an_intake_that_arrives_after_it_found_none(
    db: Database, processor: IntakeProcessor, intake_token: str
) -> None:
    # while intakes keep arriving one job takes them as they come; the worker's linger is on
    jobs.install(jobs.JobContext(processor, relay=None, linger=1.0))
    try:
        with ThreadPoolExecutor(1) as pool:
            draining = pool.submit(jobs.process_pending)
            time.sleep(0.3)  # the drain has looked once and found nothing
            body = _body(*PATIENTS[2])
            submit(db, _client_id(db), "DEMO-KHIMKI", "late-1", body, datetime.now(UTC))
            assert draining.result(timeout=30) == 1
    finally:
        jobs.install(jobs.JobContext(processor, relay=None))


def test_a_lingering_drain_job_waits_for_an_announced_intake_not_on_the_database(
    db: Database,
    processor: IntakeProcessor,
    intake_token: str,
    settings: Settings,
    redis_client: redis.Redis,
    monkeypatch: Any,
) -> None:
    # an idle linger asks the database once, then blocks until the next intake is announced
    looks: list[int] = []
    look = processor.process_pending

    def counted(batch: int) -> dict[str, Any]:
        done = look(batch)
        looks.append(len(done))
        return done

    monkeypatch.setattr(processor, "process_pending", counted)
    queue = IntakeQueue(redis_client, settings.queue_name)
    jobs.install(jobs.JobContext(processor, relay=None, linger=1.0))
    client_id = _client_id(db)

    def arrive() -> None:
        body = _body(*PATIENTS[3])
        submit(db, client_id, "DEMO-KHIMKI", "announced-1", body, datetime.now(UTC))
        queue.nudge()

    try:
        queue.nudge()
        # the drain job has found nothing and lingers when the intake arrives
        late = threading.Timer(0.4, arrive)
        late.start()
        SimpleWorker([settings.queue_name], connection=redis_client).work(burst=True)
        late.join()
    finally:
        jobs.install(jobs.JobContext(processor, relay=None))
        redis_client.delete(queue.nudge_key, queue.arrival_key)
    assert 1 in looks  # the announced intake was taken by a drain job
    # a look at the start and one per announcement; polling every few milliseconds would
    # have looked a hundred times and more
    assert len(looks) <= 6


def test_a_lingering_drain_job_publishes_its_calls_without_waiting_to_end(
    db: Database,
    processor: IntakeProcessor,
    intake_token: str,
    settings: Settings,
    redis_client: redis.Redis,
) -> None:
    # the desk hears of a new call while the job that stored it still waits for more
    queue = IntakeQueue(redis_client, settings.queue_name)
    stream = settings.events_stream
    relay = OutboxRelay(db, redis_client, stream, 1000)
    jobs.install(jobs.JobContext(processor, relay=relay, linger=2.0))
    client_id = _client_id(db)
    published: list[list[str]] = []

    def arrive() -> None:
        body = _body(*PATIENTS[4])
        submit(db, client_id, "DEMO-KHIMKI", "published-1", body, datetime.now(UTC))
        queue.nudge()

    def look() -> None:
        entries = cast(list[tuple[bytes, dict[bytes, bytes]]], redis_client.xrange(stream))
        published.append([fields[b"topic"].decode() for _, fields in entries])

    try:
        queue.nudge()
        timers = [threading.Timer(0.3, arrive), threading.Timer(1.0, look)]
        for timer in timers:
            timer.start()
        started = time.monotonic()
        SimpleWorker([settings.queue_name], connection=redis_client).work(burst=True)
        for timer in timers:
            timer.join()
    finally:
        jobs.install(jobs.JobContext(processor, relay=None))
        redis_client.delete(queue.nudge_key, queue.arrival_key, stream)
    assert time.monotonic() - started > 2.0  # the job was still lingering at the look
    assert published == [["call.created"]]


def test_one_job_gathers_the_announced_intakes_and_another_woken_by_them_steps_aside(
    settings: Settings, redis_client: redis.Redis
) -> None:
    queue = IntakeQueue(redis_client, settings.queue_name)
    gathered: list[bool] = []
    try:
        first = threading.Thread(target=lambda: gathered.append(queue.gather(0.3)))
        first_started = time.monotonic()
        first.start()
        time.sleep(0.1)
        queue.nudge()  # an intake announced while the first job gathers
        assert not queue.gather(0.3)  # a second job steps aside, takes nothing
        # until the first's gathering ends: the arrivals meanwhile do not wake it one by one
        assert time.monotonic() - first_started >= 0.29
        first.join()
        assert gathered == [True]
        # the gathered intakes' tokens are gone: they wake no job for an empty look
        assert not queue.await_arrival(0.05)
        assert queue.gather(0.01)  # the next arrivals are anybody's to gather
    finally:
        redis_client.delete(queue.nudge_key, queue.arrival_key)
        for key in redis_client.scan_iter(f"rq:*{settings.queue_name}*"):
            redis_client.delete(key)
