"""Rate limits per client system: a fixed window counter in Redis; 429 with Retry-After."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis
from fastapi import HTTPException, Request, status

from dispatcher.api.responses import responses
from dispatcher.notify.templates import RATE_LIMITED
from dispatcher.services.accounts import Principal
from dispatcher.web.deps import PrincipalDep

log = logging.getLogger(__name__)

RESPONSES = responses(400, 401, 403, 404, 422, 429, 503)


def limited(scope: str) -> Callable[[Request, Principal], Principal]:
    """The scope check plus the client's request budget for the current window."""

    def check(request: Request, principal: PrincipalDep) -> Principal:
        if scope not in principal.scopes and "admin" not in principal.scopes:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"Нет права доступа «{scope}»")
        services = request.app.state.services
        window = services.settings.api_rate_window
        now = int(time.time())
        # the queue name keeps installations sharing one Redis apart
        key = f"ratelimit:{services.settings.queue_name}:{principal.client_id}:{now // window}"
        try:
            pipe = services.redis.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, window)
            count = int(pipe.execute()[0])
        except redis.RedisError:
            log.warning("rate limit unavailable (Redis); request allowed")
            return principal
        if count > services.settings.api_rate_limit:
            retry = window - now % window
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                RATE_LIMITED.format(seconds=retry),
                headers={"Retry-After": str(retry)},
            )
        return principal

    return check
