"""Typed dependencies: the services, the authenticated principal, scope checks."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from dispatcher.services.accounts import Principal, authenticate
from dispatcher.services.lifecycle import Actor
from dispatcher.storage import tables
from dispatcher.web.services import Services

_bearer = HTTPBearer(auto_error=False)


async def get_services(request: Request) -> Services:
    """Async on purpose: a plain `def` dependency costs a thread-pool hop per request."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The request's bearer token, or 401 saying how to send one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Нужен токен доступа: заголовок Authorization: Bearer <токен>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]


def known(principal: Principal | None) -> Principal:
    """The token's client, or 401 for a token unknown, expired or revoked."""
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Токен недействителен или отозван",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def get_principal(services: ServicesDep, token: BearerToken) -> Principal:
    with services.db.session() as session:
        return known(authenticate(session, token, datetime.now(UTC)))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def permitted(principal: Principal, scope: str) -> Principal:
    """The principal when its scopes (or `admin`) allow `scope`, else 403."""
    if scope not in principal.scopes and "admin" not in principal.scopes:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"Нет права доступа «{scope}»")
    return principal


def require(scope: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    async def check(principal: PrincipalDep) -> Principal:  # no I/O: no thread-pool hop
        return permitted(principal, scope)

    return check


def actor_for(services: Services, principal: Principal) -> Actor:
    """The principal as the lifecycle sees it: a name and the ids of its MOs."""
    if not principal.mo_codes:
        return Actor(principal.actor, None)
    with services.db.session() as session:
        ids = list(
            session.scalars(
                select(tables.MedicalOrganization.id).where(
                    tables.MedicalOrganization.code.in_(principal.mo_codes)
                )
            )
        )
    return Actor(principal.actor, frozenset(ids))


IntakeScope = Annotated[Principal, Depends(require("intake"))]
ReadScope = Annotated[Principal, Depends(require("calls:read"))]
WriteScope = Annotated[Principal, Depends(require("calls:write"))]
