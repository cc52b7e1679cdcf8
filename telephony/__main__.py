"""`python -m telephony`: the AMI listener process (leader lock + manager + the desk's sink)."""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

from dispatcher.logs import configure_logging
from dispatcher.phone.sink import DeskCallSink
from dispatcher.storage.database import Database
from telephony.commands import CommandReader
from telephony.leader import LeaderLock
from telephony.listener import Listener
from telephony.settings import ListenerSettings
from telephony.sink import CallSink

log = logging.getLogger("telephony")


async def serve(settings: ListenerSettings, sink: CallSink, redis: Redis) -> None:
    own = settings.telephony
    lock = LeaderLock(
        redis,
        own.lock_key,
        ttl=own.lock_ttl,
        renew_interval=own.lock_renew_interval,
        poll_interval=own.lock_poll_interval,
    )
    commands = CommandReader(
        redis,
        settings.telephony_commands_stream,
        f"{own.pbx_id}-{lock.token[:8]}",
        own.commands_block_ms,
    )
    await Listener(own, sink, lock, commands=commands).run()


async def _main(settings: ListenerSettings, redis_url: str) -> None:
    # a command on a connection that died with a Redis restart is sent again on a new one, so
    # the first caller card after the outage does not go out on a dead socket
    redis = Redis.from_url(
        redis_url,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        retry_on_error=[ConnectionError, TimeoutError],
    )
    db = Database(settings.database_url)
    sink = DeskCallSink(settings, db, redis)
    try:
        await serve(settings, sink, redis)
    finally:
        await sink.aclose()
        db.dispose()
        await redis.aclose()


def main() -> int:
    settings = ListenerSettings()
    configure_logging(settings.log_level, settings.log_json)
    if settings.redis_url is None:
        log.error("REDIS_URL is not set; `make run` starts an embedded Redis")
        return 2
    asyncio.run(_main(settings, settings.redis_url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
