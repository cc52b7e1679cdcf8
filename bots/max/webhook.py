"""`/max/webhook`, served by `python -m bots.max` with `MAX_MODE=webhook` (on
MAX_WEBHOOK_HOST:MAX_WEBHOOK_PORT): MAX pushes updates here.

The route checks the `X-Max-Bot-Api-Secret` header, stores the update (database row + Redis
stream entry, as the Telegram route does) before answering 200, and answers a redelivery 200
without storing it again. MAX updates carry no update id: the key of a duplicate is the
message id, the callback id, or the user and moment of a start. The bot's update feed reads the
stream.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated, Any

import redis
from fastapi import APIRouter, Body, FastAPI, Header, HTTPException, status

from bots.max.settings import MaxSettings
from bots.webhook import receiver_app, store_update
from dispatcher.services.messenger.updates import UpdateInbox

SECRET_HEADER = "X-Max-Bot-Api-Secret"
_STORED_BASE = 1 << 62  # stored MAX update keys sit above every Telegram update_id


def dedup_key(update: dict[str, Any]) -> str:
    """What makes an update the same when MAX delivers it again."""
    kind = str(update.get("update_type"))
    message = update.get("message") or {}
    callback = update.get("callback") or {}
    if kind == "message_callback" and callback.get("callback_id"):
        return f"callback:{callback['callback_id']}"
    mid = (message.get("body") or {}).get("mid")
    if mid:
        return f"{kind}:{mid}"
    user = (update.get("user") or {}).get("user_id")
    if user is not None:
        return f"{kind}:{user}:{update.get('timestamp')}"
    return f"{kind}:{json.dumps(update, sort_keys=True, ensure_ascii=False)}"


def stored_id(update: dict[str, Any]) -> int:
    """The update's key as the stored update id (the table Telegram's updates use)."""
    digest = hashlib.blake2b(dedup_key(update).encode(), digest_size=8).digest()
    return _STORED_BASE | (int.from_bytes(digest, "big") & (_STORED_BASE - 1))


def router_for(settings: MaxSettings, inbox: UpdateInbox) -> APIRouter:
    router = APIRouter(tags=["max"])
    secret = settings.max_webhook_secret.encode()

    @router.post(settings.max_webhook_path, include_in_schema=False)
    def max_webhook(
        update: Annotated[dict[str, Any], Body()],
        token: Annotated[str | None, Header(alias=SECRET_HEADER)] = None,
    ) -> dict[str, bool]:
        """MAX's update: 401 without the secret, 200 once it is stored (or a duplicate)."""
        if token is None or not hmac.compare_digest(token.encode(), secret):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad secret")
        if not isinstance(update.get("update_type"), str):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "update_type missing")
        try:
            fresh = store_update(
                inbox, settings.max_updates_stream, {**update, "update_id": stored_id(update)}
            )
        except redis.RedisError as exc:
            # not stored: MAX retries later, nothing is lost
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "queue unavailable") from exc
        return {"ok": True, "duplicate": not fresh}

    return router


def app_for(settings: MaxSettings, inbox: UpdateInbox) -> FastAPI:
    """The MAX webhook receiver; without a configured webhook it has no route."""
    if not settings.webhook_enabled:
        return receiver_app()
    return receiver_app(router_for(settings, inbox))
