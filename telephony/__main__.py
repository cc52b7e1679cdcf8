"""`python -m telephony`: the AMI listener process (leader lock + manager + the desk's sink)."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

from dispatcher.logs import configure_logging
from dispatcher.phone.sink import DeskCallSink
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from telephony.commands import CommandReader
from telephony.leader import LeaderLock
from telephony.listener import Listener
from telephony.settings import TelephonySettings
from telephony.sink import CallSink


async def serve(settings: TelephonySettings, sink: CallSink, redis: Redis) -> None:
    lock = LeaderLock(
        redis,
        settings.lock_key,
        ttl=settings.lock_ttl,
        renew_interval=settings.lock_renew_interval,
        poll_interval=settings.lock_poll_interval,
    )
    commands = CommandReader(
        redis,
        settings.commands_stream,
        f"{settings.pbx_id}-{lock.token[:8]}",
        settings.commands_block_ms,
    )
    await Listener(settings, sink, lock, commands=commands).run()


async def _main(settings: TelephonySettings, app_settings: Settings) -> None:
    # a command on a connection that died with a Redis restart is sent again on a new one, so
    # the first caller card after the outage does not go out on a dead socket
    redis = Redis.from_url(
        settings.redis_url,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        retry_on_error=[ConnectionError, TimeoutError],
    )
    db = Database(app_settings.database_url)
    sink = DeskCallSink(app_settings, db, redis)
    try:
        await serve(settings, sink, redis)
    finally:
        await sink.aclose()
        db.dispose()
        await redis.aclose()


def main() -> None:
    settings = TelephonySettings()
    app_settings = Settings()
    configure_logging(app_settings.log_level, app_settings.log_json)
    asyncio.run(_main(settings, app_settings))


if __name__ == "__main__":
    main()
