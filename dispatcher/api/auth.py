"""An operator's login to the API: a bearer token for a working shift."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter

from dispatcher.api.responses import responses
from dispatcher.api.schemas import LoginBody
from dispatcher.services.accounts import login
from dispatcher.web.deps import ServicesDep

SESSION_TTL = timedelta(hours=12)

router = APIRouter()


@router.post("/api/v1/auth/login", tags=["auth"], responses=responses(400, 422, 503))
def auth_login(body: LoginBody, services: ServicesDep) -> dict[str, Any]:
    """An operator's login and password → a bearer token for 12 hours."""
    with services.db.session() as session:
        token = login(session, body.login, body.password, SESSION_TTL)
    return {"token": token, "expires_in": int(SESSION_TTL.total_seconds())}
