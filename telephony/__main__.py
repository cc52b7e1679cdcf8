"""`python -m telephony`: the AMI listener process (leader lock + manager + sink)."""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis

from telephony.leader import LeaderLock
from telephony.listener import Listener
from telephony.settings import TelephonySettings
from telephony.sink import CallSink, LoggingSink


async def serve(settings: TelephonySettings, sink: CallSink) -> None:
    redis = Redis.from_url(settings.redis_url)
    lock = LeaderLock(
        redis,
        settings.lock_key,
        ttl=settings.lock_ttl,
        renew_interval=settings.lock_renew_interval,
        poll_interval=settings.lock_poll_interval,
    )
    try:
        await Listener(settings, sink, lock).run()
    finally:
        await redis.aclose()


def main() -> None:
    settings = TelephonySettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The desk's sink is wired here once it exists; until then calls are only logged.
    asyncio.run(serve(settings, LoggingSink()))


if __name__ == "__main__":
    main()
