"""`python -m dispatcher.notify`: the event consumer, the SMPP session and the notify worker."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from datetime import timedelta

from dispatcher.logs import configure_logging
from dispatcher.notify import jobs
from dispatcher.notify.events import EventConsumer
from dispatcher.notify.sms import SmppGateway, build_gateway
from dispatcher.outages import REDIS_OUTAGE_ERRORS, Outage
from dispatcher.queue import ResilientSimpleWorker
from dispatcher.redis_server import connect
from dispatcher.settings import Settings
from dispatcher.storage.database import Database

log = logging.getLogger("notify")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dispatcher.notify", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="send what is queued, then exit")
    parser.add_argument("--no-consumer", action="store_true", help="run only the worker")
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    if settings.redis_url is None:
        parser.error("REDIS_URL is not set (`make run` starts an embedded Redis and sets it)")
    db = Database(settings.database_url)
    client = connect(settings.redis_url)
    context = jobs.NotifyContext.build(settings, db, None)
    context.sms = build_gateway(settings, context.deliveries.receipt)
    if isinstance(context.sms, SmppGateway):
        try:
            context.sms.connect()  # bound from the start: receipts arrive between sends too
        except Exception as exc:
            log.warning("SMPP bind failed (%s); will retry on the first SMS", type(exc).__name__)
    jobs.install(context)
    stop = threading.Event()
    consumer_thread: threading.Thread | None = None
    if not args.no_consumer:
        consumer = EventConsumer(
            db,
            client,
            settings.events_stream,
            settings.notify_group,
            jobs.NotifyQueue(client, settings.notify_queue),
            context.deliveries,
            claim_idle=timedelta(seconds=settings.notify_claim_idle),
        )
        consumer_thread = threading.Thread(
            target=consumer.run_forever, args=(stop,), daemon=True, name="notify-consumer"
        )
        consumer_thread.start()
    if not args.burst:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    log.info("notify ready: queue %s, SMS %s", settings.notify_queue, settings.sms_gateway)
    try:
        while True:
            # waits out Redis outages; its own connection, as RQ stretches the socket timeout
            worker = ResilientSimpleWorker(
                [settings.notify_queue], connection=connect(settings.redis_url), worker_ttl=60
            )
            try:
                worker.work(burst=args.burst)
            except REDIS_OUTAGE_ERRORS as exc:  # Redis away at the worker's start
                stop.wait(Outage("Redis (notify worker)", log).failed(exc))
                continue
            if args.burst or worker.shutdown_requested or worker._stop_requested or stop.is_set():
                break
            log.warning("notify worker stopped unexpectedly; starting a new one")
            stop.wait(1)
    finally:
        stop.set()
        if consumer_thread is not None:
            consumer_thread.join(timeout=5)
        if context.sms is not None:
            context.sms.close()
        context.webhooks.close()
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
