"""A notify process killed with SIGKILL mid-send: after a restart nothing is lost, no SMS goes
twice, a webhook goes again under its idempotency key; a dead consumer's events are taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO, cast

import pytest
import redis

from dispatcher.notify.dead_letters import dead_letters
from dispatcher.notify.deliveries import RetryNeedsConfirmation
from dispatcher.notify.delivery_state import FINAL, DeliveryState
from dispatcher.notify.templates import INTERRUPTED
from dispatcher.services.events import OutboxRelay
from dispatcher.settings import PROJECT_ROOT, Settings
from dispatcher.storage.database import Database
from tests.notify.conftest import PHONE, Pipeline, make_call, subscribe, wait_for
from tests.notify.receiver import Receiver
from tests.notify.smsc import Smsc

CALLS = 4
SENT = {DeliveryState.SENT.value, DeliveryState.DELIVERED.value}


class NotifyProcess:
    """`python -m dispatcher.notify` as its own process, its output kept in a file."""

    def __init__(self, env: dict[str, str], log: IO[bytes]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dispatcher.notify"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode


def _env(settings: Settings, smsc: Smsc, var_dir: Path) -> dict[str, str]:
    assert settings.redis_url is not None
    return os.environ | {
        "APP_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "VAR_DIR": str(var_dir),
        "EVENTS_STREAM": settings.events_stream,
        "NOTIFY_QUEUE": settings.notify_queue,
        "NOTIFY_GROUP": settings.notify_group,
        "NOTIFY_BACKOFF_BASE": "0",
        "NOTIFY_MAX_ATTEMPTS": "3",
        "NOTIFY_SEND_LEASE": "2",  # an unfinished send is looked at again 2 s after its claim
        "NOTIFY_CLAIM_IDLE": "1",
        "NOTIFY_QUIET_START": "00:00",
        "NOTIFY_QUIET_END": "00:00",
        "WEBHOOK_ALLOWED_TARGETS": settings.webhook_allowed_targets,
        "SMS_GATEWAY": "smpp",
        "SMPP_HOST": "127.0.0.1",
        "SMPP_PORT": str(smsc.port),
        "SMPP_SYSTEM_ID": settings.smpp_system_id,
        "SMPP_PASSWORD": smsc.password,
        "LOG_LEVEL": "INFO",
    }


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[tuple[list[NotifyProcess], Path]]:
    started: list[NotifyProcess] = []
    log = tmp_path / "notify.log"
    yield started, log
    for process in started:
        process.stop()


@pytest.mark.slow
@pytest.mark.parametrize("peer", ["smsc", "subscriber"])
def test_worker_killed_mid_send_loses_nothing_and_never_sends_an_sms_twice(
    peer: str,
    notify_settings: Settings,
    db: Database,
    redis_client: redis.Redis,
    smsc: Smsc,
    receiver: Receiver,
    pipeline: Pipeline,
    processes: tuple[list[NotifyProcess], Path],
) -> None:
    started, log_path = processes
    _, receiver.secret = subscribe(db, receiver.url)
    for _ in range(CALLS):
        make_call(db)
    if peer == "smsc":
        smsc.stall_after = 5  # two SMS of two parts, then the third one's second part hangs
        stalled = smsc.stalled
    else:
        receiver.stall_after = 2  # two webhooks, then the third hangs
        stalled = receiver.stalled
    OutboxRelay(db, redis_client, notify_settings.events_stream, 1000).relay_pending()
    env = _env(notify_settings, smsc, log_path.parent)

    with log_path.open("ab") as log:
        started.append(NotifyProcess(env, log))
        assert stalled.wait(60), log_path.read_text()
        (sending,) = pipeline.deliveries(state=DeliveryState.SENDING.value)
        started[0].kill()
        # the peer had the whole request: over there it counts as sent
        smsc.hold.set()
        receiver.hold.set()
        if peer == "smsc":
            assert wait_for(lambda: len(smsc.submitted) == 6)
        else:
            assert wait_for(lambda: len(receiver.events) == 3)

        started.append(NotifyProcess(env, log))
        assert wait_for(lambda: all(d.state in FINAL for d in pipeline.deliveries()), timeout=60), [
            (d.id, d.channel, d.state) for d in pipeline.deliveries()
        ]
        assert started[1].stop() == 0

    rows = pipeline.deliveries()
    sms = [d for d in rows if d.channel == "sms"]
    hooks = [d for d in rows if d.channel == "webhook"]
    assert len(sms) == len(hooks) == CALLS
    texts = smsc.texts()
    assert all(texts.count(d.body) == 1 for d in sms), texts
    # each part left exactly once: a resent part would be byte-identical (same UDH reference)
    parts = Counter((s.message.destination_addr, s.message.short_message) for s in smsc.submitted)
    assert len(smsc.submitted) == 2 * CALLS and set(parts.values()) == {1}
    assert set(receiver.events) == {f"{d.event_id}:{d.subscription_id}" for d in hooks}
    assert all(d.state == DeliveryState.SENT.value for d in hooks)
    assert receiver.bad_signatures == 0
    if peer == "smsc":
        # it may have left (it did): never resent, given to a person in the dead letters
        assert sending.channel == "sms"
        assert [(d.id, d.state) for d in sms if d.state not in SENT] == [(sending.id, "dead")]
        with db.session() as session:
            (letter,) = dead_letters(session, None)
        assert (letter.id, letter.last_error) == (sending.id, INTERRUPTED)
        # «Повторить» does not send it a second time without a person's confirmation
        assert letter.fate_unknown
        with pytest.raises(RetryNeedsConfirmation):
            pipeline.context.deliveries.retry(sending.id, pipeline.clock(), None)
        assert receiver.duplicates == 0
    else:
        # the webhook went again under the same key and the subscriber took it once
        assert sending.channel == "webhook"
        assert all(d.state in SENT for d in sms)
        assert receiver.duplicates == 1
        assert next(d for d in hooks if d.id == sending.id).attempts == 2
    log_text = log_path.read_text()
    assert PHONE not in log_text and PHONE.lstrip("+") not in log_text


def test_consumer_takes_over_events_a_dead_consumer_never_acknowledged(
    pipeline: Pipeline, db: Database, smsc: Smsc, redis_client: redis.Redis
) -> None:
    settings = pipeline.settings
    make_call(db)
    pipeline.relay.relay_pending()
    pipeline.consumer.ensure_group()
    # another process read the event and died before planning it
    taken = cast(
        list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]],
        redis_client.xreadgroup(
            settings.notify_group, "dead-consumer", {settings.events_stream: ">"}, count=10
        ),
    )
    assert len(taken[0][1]) == 1
    assert pipeline.consumer.consume(block_ms=10).events == 0  # neither ours nor new
    assert pipeline.consumer.claim_abandoned(timedelta(0)) == 1
    pipeline.run()
    assert len(smsc.texts()) == 1
    assert redis_client.xpending(settings.events_stream, settings.notify_group)["pending"] == 0


def test_idle_notifier_logs_no_redis_timeouts(
    notify_settings: Settings, smsc: Smsc, processes: tuple[list[NotifyProcess], Path]
) -> None:
    """A blocking read that times out with nothing to do is normal: not a warning."""
    started, log_path = processes
    env = _env(notify_settings, smsc, log_path.parent)
    with log_path.open("ab") as log:
        started.append(NotifyProcess(env, log))
        assert wait_for(lambda: "notify ready" in log_path.read_text(), timeout=30)
        time.sleep(14)  # idle: longer than the Redis socket timeout, twice over
        assert started[0].stop() == 0
    text = log_path.read_text()
    noisy = [line for line in text.splitlines() if " WARNING " in line or " ERROR " in line]
    assert noisy == [] and "Timeout" not in text, text
