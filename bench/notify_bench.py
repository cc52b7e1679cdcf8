"""Status events → SMS submitted (SMPP) and webhooks delivered per second, with local peers."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

import redis

from dispatcher.notify.smpp.pdu import segment
from dispatcher.services.reference_import import import_directory
from dispatcher.settings import PROJECT_ROOT, Settings
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade
from tests.notify.conftest import LOOPBACK_ALLOWED, Pipeline, make_call, subscribe, wait_for
from tests.notify.receiver import Receiver
from tests.notify.smsc import Smsc

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
EVENTS = int(os.environ.get("BENCH_NOTIFY_EVENTS", "200"))


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        db = Database(url)
        with db.session() as session:
            import_directory(session, PROJECT_ROOT / "demo")
        client = redis.Redis.from_url(REDIS_URL)
        suffix = uuid.uuid4().hex[:8]
        settings = Settings(
            database_url=url,
            redis_url=REDIS_URL,
            events_stream=f"bench-events-{suffix}",
            notify_queue=f"bench-notify-{suffix}",
            notify_backoff_base=0.0,
            notify_quiet_start="00:00",
            notify_quiet_end="00:00",
            webhook_allowed_targets=LOOPBACK_ALLOWED,  # the receiver: plain http on loopback
        )
        smsc, receiver = Smsc(receipt_delay=0.01), Receiver()
        pipeline = Pipeline(settings, db, client, smsc)
        try:
            _, receiver.secret = subscribe(db, receiver.url)
            for _ in range(EVENTS):
                make_call(db)
            started = time.perf_counter()
            pipeline.run()
            elapsed = time.perf_counter() - started
            sms, hooks = (
                len(pipeline.deliveries(channel="sms", state="sent"))
                + len(pipeline.deliveries(channel="sms", state="delivered")),
                len(receiver.events),
            )
            # every SMS center receipt should find its message (none dropped as unknown)
            wait_for(lambda: len(pipeline.deliveries(channel="sms", state="delivered")) == sms, 10)
            receipts = len(pipeline.deliveries(channel="sms", state="delivered"))
            # parts the SMS center took beyond one copy of each message: SMS sent twice
            expected_parts = sum(
                len(segment(d.body, d.id).parts) for d in pipeline.deliveries(channel="sms")
            )
            extra_parts = len(smsc.submitted) - expected_parts
        finally:
            pipeline.close()
            smsc.close()
            receiver.close()
            keys = [settings.events_stream, *client.scan_iter(f"rq:*{settings.notify_queue}*")]
            client.delete(*keys)
            db.dispose()
    print("\nNotifications (SQLite, local SMPP center and webhook receiver, one worker)")
    print(f"{'status events':<28}{EVENTS:>10}")
    print(f"{'SMS submitted':<28}{sms:>10}  ({sms / elapsed:,.0f}/s, UCS-2, 2 parts each)")
    print(f"{'webhooks delivered':<28}{hooks:>10}  ({hooks / elapsed:,.0f}/s, signed)")
    print(f"{'receipts matched':<28}{receipts:>10}  (SMS marked delivered by the SMS center)")
    print(f"{'duplicate SMS parts':<28}{extra_parts:>10}")
    print(f"{'elapsed, s':<28}{elapsed:>10.2f}")
    return 0 if sms == hooks == receipts == EVENTS and extra_parts == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
