"""Operators and client systems: argon2 passwords, hashed bearer tokens with scopes."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatcher.storage import tables
from intake_core.errors import Conflict, FieldError, NotFound, ValidationFailed

ROLES = {
    "agent": "Оператор колл-центра",
    "registry": "Оператор регистратуры",
    "dispatcher": "Диспетчер МО",
    "doctor": "Врач",
    "admin": "Администратор МО",
    "head": "Руководитель",
}
SCOPES = {
    "intake": "передача вызовов (POST /api/v1/intake)",
    "calls:read": "чтение вызовов",
    "calls:write": "ведение вызовов: назначение, обслуживание, отмена, передача",
    "admin": "администрирование",
    "smp": "служба скорой помощи: передача неотложных вызовов и активов, журнал",
    "portal": "региональный портал: вызовы из личного кабинета пациента",
    "webhooks": "подписки на статусы вызовов (вебхуки)",
    "sms_reports": "SMS-провайдер: отчёты о доставке (POST /api/v1/sms/reports)",
    "phone-calls": "журнал телефонных звонков (GET /api/v1/phone-calls)",
}
ROLE_SCOPES = {
    "agent": ["intake", "calls:read", "calls:write"],
    "registry": ["intake", "calls:read", "calls:write"],
    "dispatcher": ["intake", "calls:read", "calls:write"],
    "doctor": ["calls:read", "calls:write"],
    "admin": ["intake", "calls:read", "calls:write", "admin"],
    "head": ["calls:read"],
}
TOKEN_PREFIX = "hv_"
# an Asterisk device the operator answers on: technology/resource, «PJSIP/102», «SIP/operator-7»
INTERFACE = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,15}/[A-Za-z0-9_.@-]{1,40}$")
MIN_PASSWORD = 8
_hasher = PasswordHasher()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling the API, with what scopes, over which MOs (empty: every MO)."""

    client_id: int
    name: str
    scopes: frozenset[str]
    mo_codes: tuple[str, ...]
    user_login: str | None = None

    @property
    def actor(self) -> str:
        return self.user_login or self.name


def _mo(session: Session, code: str) -> tables.MedicalOrganization:
    mo = session.scalar(
        select(tables.MedicalOrganization).where(tables.MedicalOrganization.code == code)
    )
    if mo is None:
        raise NotFound(f"Медицинская организация {code} не найдена")
    return mo


def create_user(
    session: Session,
    login: str,
    password: str,
    role: str,
    mo_code: str,
    full_name: str | None = None,
    interface: str | None = None,
) -> tables.User:
    if role not in ROLES:
        raise ValidationFailed([FieldError("role", f"Роль: одна из {', '.join(ROLES)}")])
    _check_password(password)
    if session.scalar(select(tables.User).where(tables.User.login == login)) is not None:
        raise Conflict(f"Пользователь {login} уже существует")
    interface = _check_interface(session, interface, _mo(session, mo_code).id, None)
    user = tables.User(
        login=login,
        password_hash=_hasher.hash(password),
        role=role,
        mo_id=_mo(session, mo_code).id,
        full_name=full_name,
        interface=interface,
    )
    session.add(user)
    session.flush()
    return user


def verify_password(user: tables.User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def create_token(
    session: Session,
    name: str,
    scopes: list[str],
    mo_codes: list[str],
    user: tables.User | None = None,
    ttl: timedelta | None = None,
) -> str:
    """Create a client token; only its hash is stored, the token is returned once."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValidationFailed(
            [FieldError("scopes", f"Области доступа: {', '.join(SCOPES)}", "invalid")]
        )
    for code in mo_codes:
        _mo(session, code)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.add(
        tables.ApiClient(
            name=name,
            token_hash=hash_token(token),
            scopes=" ".join(sorted(set(scopes))),
            mo_codes=",".join(mo_codes),
            user_id=user.id if user else None,
            created_at=now,
            expires_at=now + ttl if ttl else None,
        )
    )
    session.flush()
    return token


def authenticate(session: Session, token: str, now: datetime) -> Principal | None:
    client = session.scalar(
        select(tables.ApiClient).where(tables.ApiClient.token_hash == hash_token(token))
    )
    if client is None or client.revoked:
        return None
    if client.expires_at is not None and client.expires_at <= now:
        return None
    login: str | None = None
    if client.user_id is not None:
        user = session.get(tables.User, client.user_id)
        if user is None or not user.active:
            return None
        login = user.login
    return Principal(
        client_id=client.id,
        name=client.name,
        scopes=frozenset(client.scopes.split()),
        mo_codes=tuple(c for c in client.mo_codes.split(",") if c),
        user_login=login,
    )


def login(session: Session, login_name: str, password: str, ttl: timedelta) -> str:
    """Exchange an operator's login and password for a bearer token of their role and MO."""
    user = session.scalar(select(tables.User).where(tables.User.login == login_name))
    if user is None or not user.active or not verify_password(user, password):
        raise ValidationFailed([FieldError("login", "Неверный логин или пароль", "bad_login")])
    mo = session.get(tables.MedicalOrganization, user.mo_id)
    assert mo is not None
    return create_token(
        session, f"session:{user.login}", ROLE_SCOPES[user.role], [mo.code], user=user, ttl=ttl
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            [FieldError("password", f"Пароль: не короче {MIN_PASSWORD} символов", "too_short")]
        )


def _check_interface(
    session: Session, interface: str | None, mo_id: int, user_id: int | None
) -> str | None:
    """A well-formed telephony interface no other active user of the MO answers on, or None."""
    value = (interface or "").strip()
    if not value:
        return None
    if not INTERFACE.match(value):
        raise ValidationFailed(
            [FieldError("interface", "Телефон оператора: в виде PJSIP/102 или SIP/101", "invalid")]
        )
    taken = session.scalar(
        select(tables.User.login).where(
            tables.User.mo_id == mo_id,
            tables.User.interface == value,
            tables.User.active.is_(True),
            tables.User.id != (user_id or 0),
        )
    )
    if taken is not None:
        raise Conflict(f"Телефон {value} уже закреплён за пользователем {taken}")
    return value


def update_user(
    session: Session, user: tables.User, full_name: str | None, role: str, interface: str | None
) -> None:
    """Change a user's name, role and telephony interface («PJSIP/102»; empty: none)."""
    if role not in ROLES:
        raise ValidationFailed([FieldError("role", f"Роль: одна из {', '.join(ROLES)}")])
    user.interface = _check_interface(session, interface, user.mo_id, user.id)
    user.full_name = (full_name or "").strip() or None
    user.role = role
    session.flush()


def reset_password(session: Session, user: tables.User, password: str) -> None:
    """Set a new password (argon2); the old one stops working at once."""
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    session.flush()


def set_active(session: Session, user: tables.User, active: bool) -> None:
    """Deactivate (no login, no API token works) or reactivate a user; nothing is deleted."""
    if active and user.interface:
        user.interface = _check_interface(session, user.interface, user.mo_id, user.id)
    user.active = active
    session.flush()
