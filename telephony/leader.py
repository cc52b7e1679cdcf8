"""Leader lock in Redis: one active AMI listener per PBX, the others wait as hot standby."""

from __future__ import annotations

import asyncio
import logging
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from dispatcher.outages import Outage, is_redis_outage

log = logging.getLogger(__name__)

# Renew or release only while the lock is still ours (another instance may hold it now).
# A key gone altogether (Redis restarted without its data) is taken back at once.
_RENEW = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
if not holder then
    redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
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
        # one outage, one log line at its start and one at its end, across step-down and return
        self.outage = Outage(f"Redis (leader lock {key})", log, cap=poll_interval * 4)

    async def try_acquire(self) -> bool:
        return bool(await self._redis.set(self.key, self.token, nx=True, px=self._ttl_ms))

    async def acquire(self) -> None:
        """Wait (hot standby) until the lock is ours."""
        while True:
            try:
                acquired = await self.try_acquire()
            except RedisError as exc:
                if is_redis_outage(exc):
                    await asyncio.sleep(max(self.outage.failed(exc), self._poll_interval))
                else:
                    log.warning("leader lock %s: Redis error (%s)", self.key, exc)
                    await asyncio.sleep(self._poll_interval)
                continue
            self.outage.ok()
            if acquired:
                log.info("leader lock %s acquired", self.key)
                return
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
                renewed = await self.renew()
            except RedisError as exc:
                if is_redis_outage(exc):
                    self.outage.failed(exc)
                else:
                    log.warning("leader lock %s not renewed: %s", self.key, exc)
                # Past the ttl another instance may already hold it: step down.
                if loop.time() - confirmed >= self._ttl - self._renew_interval:
                    return
                continue
            self.outage.ok()
            if not renewed:
                log.error("leader lock %s lost to another instance", self.key)
                return
            confirmed = loop.time()

    async def release(self) -> None:
        try:
            await self._redis.eval(_RELEASE, 1, self.key, self.token)
        except RedisError as exc:
            if not is_redis_outage(exc):  # an outage is logged once, by `outage`
                log.warning("leader lock %s not released (expires by itself): %s", self.key, exc)
