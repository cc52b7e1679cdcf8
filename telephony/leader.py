"""Leader lock in Redis: one active AMI listener per PBX, the others wait as hot standby."""

from __future__ import annotations

import asyncio
import logging
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Renew or release only while the lock is still ours (another instance may hold it now).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class LeaderLock:
    """`SET key token NX PX ttl`, renewed while held; a dead holder's lock expires after ttl."""

    def __init__(
        self,
        redis: Redis,
        key: str,
        *,
        ttl: float,
        renew_interval: float,
        poll_interval: float,
    ) -> None:
        self._redis = redis
        self.key = key
        self.token = uuid.uuid4().hex
        self._ttl_ms = int(ttl * 1000)
        self._ttl = ttl
        self._renew_interval = renew_interval
        self._poll_interval = poll_interval

    async def try_acquire(self) -> bool:
        return bool(await self._redis.set(self.key, self.token, nx=True, px=self._ttl_ms))

    async def acquire(self) -> None:
        """Wait (hot standby) until the lock is ours."""
        while True:
            try:
                if await self.try_acquire():
                    log.info("leader lock %s acquired", self.key)
                    return
            except RedisError as exc:
                log.warning("leader lock %s: Redis unavailable (%s)", self.key, exc)
            await asyncio.sleep(self._poll_interval)

    async def renew(self) -> bool:
        return bool(await self._redis.eval(_RENEW, 1, self.key, self.token, self._ttl_ms))

    async def hold(self) -> None:
        """Keep renewing; return as soon as the lock can no longer be considered ours."""
        loop = asyncio.get_running_loop()
        confirmed = loop.time()
        while True:
            await asyncio.sleep(self._renew_interval)
            try:
                if not await self.renew():
                    log.error("leader lock %s lost to another instance", self.key)
                    return
                confirmed = loop.time()
            except RedisError as exc:
                log.warning("leader lock %s not renewed: %s", self.key, exc)
                # Past the ttl another instance may already hold it: step down.
                if loop.time() - confirmed >= self._ttl - self._renew_interval:
                    return

    async def release(self) -> None:
        try:
            await self._redis.eval(_RELEASE, 1, self.key, self.token)
        except RedisError as exc:
            log.warning("leader lock %s not released (expires by itself): %s", self.key, exc)
