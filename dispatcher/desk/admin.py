"""MO admin pages: users, doctors, districts, other MOs, reference import, the MO's settings."""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool

from dispatcher.desk import realtime
from dispatcher.desk.auth import AdminDep, DeskUser, session_store
from dispatcher.desk.board import short_name
from dispatcher.services import accounts
from dispatcher.services.reference_import import FILES, import_directory
from dispatcher.storage import tables
from dispatcher.web.services import Services
from dispatcher.web.templating import render
from intake_core.errors import DomainError, NotFound, ValidationFailed

router = APIRouter(prefix="/desk/admin", include_in_schema=False)

SAVED = {
    "user": "Пользователь создан",
    "edited": "Изменения сохранены",
    "password": "Пароль изменён; пользователь выведен из системы на всех устройствах",
    "deactivated": "Пользователь отключён: вход запрещён, его сеансы завершены",
    "activated": "Пользователь снова может входить в систему",
    "settings": "Настройки МО сохранены",
    "import": "Справочники загружены",
}
_CUTOFF = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
LIMITS = {"assign": (5, 24 * 60), "serve": (1, 72)}  # minutes to assign, hours to serve


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _page(
    request: Request, user: DeskUser, template: str, status_code: int = 200, **context: Any
) -> Response:
    done = request.query_params.get("done", "")
    return render(
        request, template, status_code=status_code, user=user, notice=SAVED.get(done), **context
    )


def _users(session: Session, user: DeskUser) -> list[tables.User]:
    return list(
        session.scalars(
            select(tables.User).where(tables.User.mo_id == user.mo_id).order_by(tables.User.login)
        )
    )


@router.get("")
def overview(request: Request, user: AdminDep) -> Response:
    """Users of the MO and the form to add one."""
    with _services(request).db.session() as session:
        users = _users(session, user)
    return _page(request, user, "admin.html", users=users, roles=accounts.ROLES, form={})


@router.post("/users")
def create_user(
    request: Request,
    user: AdminDep,
    login: Annotated[str, Form()] = "",
    full_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    interface: Annotated[str, Form()] = "",
) -> Response:
    """A new user of the admin's own MO."""
    services = _services(request)
    error: str | None = None
    try:
        with services.db.session() as session:
            accounts.create_user(
                session,
                login.strip(),
                password,
                role,
                user.mo_code,
                full_name.strip() or None,
                interface.strip() or None,
            )
    except ValidationFailed as exc:
        error = "; ".join(e.message for e in exc.errors)
    except DomainError as exc:
        error = exc.message
    if error is None:
        return RedirectResponse("/desk/admin?done=user", 303)
    with services.db.session() as session:
        users = _users(session, user)
    form = {"login": login, "full_name": full_name, "role": role, "interface": interface}
    return _page(
        request, user, "admin.html", 422, users=users, roles=accounts.ROLES, form=form, error=error
    )


def _member(session: Session, admin: DeskUser, user_id: int) -> tables.User:
    """A user of the admin's own MO; another MO's reads as absent."""
    member = session.get(tables.User, user_id)
    if member is None or member.mo_id != admin.mo_id:
        raise NotFound("Пользователь не найден")
    return member


def _user_page(
    request: Request,
    admin: DeskUser,
    user_id: int,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    with _services(request).db.session() as session:
        try:
            member = _member(session, admin, user_id)
        except NotFound as exc:
            return render(
                request, "error.html", status_code=404, user=admin, title=exc.message, message=""
            )
        shown = form or {
            "full_name": member.full_name or "",
            "role": member.role,
            "interface": member.interface or "",
        }
        context = {
            "member": {
                "id": member.id,
                "login": member.login,
                "active": member.active,
                "sessions": session_store(request).sessions_of(session, member.id),
                "is_self": member.id == admin.id,
            },
            "form": shown,
            "roles": accounts.ROLES,
            "error": error,
        }
    return _page(request, admin, "admin_user.html", status_code, **context)


@router.get("/users/{user_id:int}")
def user_page(request: Request, user_id: int, user: AdminDep) -> Response:
    """One user: name, role, telephony interface, password reset, deactivation."""
    return _user_page(request, user, user_id)


def _change(
    request: Request,
    admin: DeskUser,
    user_id: int,
    change: Callable[[Session, tables.User], None],
    done: str,
    form: dict[str, str],
    ends_sessions: bool = False,
) -> Response:
    """Apply `change(session, member)`; a refusal re-shows the page with the reason."""
    services = _services(request)
    error: str | None = None
    try:
        with services.db.session() as session:
            change(session, _member(session, admin, user_id))
    except NotFound:
        return _user_page(request, admin, user_id)
    except ValidationFailed as exc:
        error = "; ".join(e.message for e in exc.errors)
    except DomainError as exc:
        error = exc.message
    if error is not None:
        return _user_page(request, admin, user_id, 422, form or None, error)
    if ends_sessions:
        realtime.signout(services.redis, user_id, services.settings.desk_control_channel)
    return RedirectResponse(f"/desk/admin/users/{user_id}?done={done}", 303)


@router.post("/users/{user_id:int}")
def edit_user(
    request: Request,
    user_id: int,
    user: AdminDep,
    full_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    interface: Annotated[str, Form()] = "",
) -> Response:
    """Name, role and the telephony interface («PJSIP/102») the caller card pops on."""

    def change(session: Session, member: tables.User) -> None:
        if member.id == user.id and role != member.role:
            raise DomainError("Свою роль изменить нельзя: попросите другого администратора")
        accounts.update_user(session, member, full_name, role, interface)

    form = {"full_name": full_name, "role": role, "interface": interface}
    return _change(request, user, user_id, change, "edited", form)


@router.post("/users/{user_id:int}/password")
def reset_password(
    request: Request,
    user_id: int,
    user: AdminDep,
    password: Annotated[str, Form()] = "",
) -> Response:
    """A new password; the user's open sessions end."""

    def change(session: Session, member: tables.User) -> None:
        accounts.reset_password(session, member, password)
        session_store(request).end_all(session, member.id)

    return _change(request, user, user_id, change, "password", {}, ends_sessions=True)


@router.post("/users/{user_id:int}/active")
def set_active(
    request: Request,
    user_id: int,
    user: AdminDep,
    active: Annotated[str, Form()] = "",
) -> Response:
    """Deactivate (login refused, sessions end) or reactivate."""
    turn_on = active == "1"

    def change(session: Session, member: tables.User) -> None:
        if member.id == user.id and not turn_on:
            raise DomainError("Нельзя отключить самого себя")
        accounts.set_active(session, member, turn_on)
        if not turn_on:
            session_store(request).end_all(session, member.id)

    done = "activated" if turn_on else "deactivated"
    return _change(request, user, user_id, change, done, {}, ends_sessions=not turn_on)


@router.get("/doctors")
def doctors(request: Request, user: AdminDep) -> Response:
    with _services(request).db.session() as session:
        rows = session.scalars(
            select(tables.Doctor)
            .where(tables.Doctor.mo_id == user.mo_id)
            .order_by(tables.Doctor.last_name)
        ).all()
        districts = {
            d.id: d.code
            for d in session.scalars(
                select(tables.District).where(tables.District.mo_id == user.mo_id)
            )
        }
        lines = [
            {
                "code": d.code,
                "name": short_name(d.last_name, d.first_name, d.middle_name),
                "profile": d.profile,
                "district": districts.get(d.district_id or 0, "Не указан"),
                "phone": d.phone or "Телефон не указан",
                "schedule": d.schedule,
                "active": d.active,
            }
            for d in rows
        ]
    return _page(request, user, "admin_doctors.html", doctors=lines)


@router.get("/districts")
def districts(request: Request, user: AdminDep) -> Response:
    with _services(request).db.session() as session:
        rows = session.scalars(
            select(tables.District)
            .where(tables.District.mo_id == user.mo_id)
            .options(selectinload(tables.District.streets))
            .order_by(tables.District.code)
        ).all()
        lines = [
            {
                "code": d.code,
                "name": d.name,
                "category": d.category,
                "streets": [
                    (" ".join(p for p in (s.city, s.street_type, s.street) if p), s.houses)
                    for s in d.streets
                ],
            }
            for d in rows
        ]
    return _page(request, user, "admin_districts.html", districts=lines)


@router.get("/mos")
def organizations(request: Request, user: AdminDep) -> Response:
    with _services(request).db.session() as session:
        rows = session.scalars(
            select(tables.MedicalOrganization).order_by(tables.MedicalOrganization.name)
        ).all()
        lines = [
            {"code": m.code, "name": m.name, "address": m.address or "", "own": m.id == user.mo_id}
            for m in rows
        ]
    return _page(request, user, "admin_mos.html", mos=lines)


def _settings_form(session: Session, user: DeskUser) -> dict[str, str]:
    mo = session.get(tables.MedicalOrganization, user.mo_id)
    assert mo is not None
    return {
        "cutoff": mo.cutoff,
        "assign": str(mo.assign_deadline_minutes),
        "serve": str(mo.serve_deadline_hours),
    }


@router.get("/settings")
def settings_page(request: Request, user: AdminDep) -> Response:
    with _services(request).db.session() as session:
        form = _settings_form(session, user)
    return _page(request, user, "admin_settings.html", form=form, errors={})


def _settings_errors(cutoff: str, assign: str, serve: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not _CUTOFF.match(cutoff.strip()):
        errors["cutoff"] = "Время в формате ЧЧ:ММ, например 13:00"
    for name, value, unit in (("assign", assign, "минут"), ("serve", serve, "часов")):
        low, high = LIMITS[name]
        if not value.strip().isdigit() or not low <= int(value) <= high:
            errors[name] = f"Целое число от {low} до {high} {unit}"
    return errors


@router.post("/settings")
def save_settings(
    request: Request,
    user: AdminDep,
    cutoff: Annotated[str, Form()] = "",
    assign: Annotated[str, Form()] = "",
    serve: Annotated[str, Form()] = "",
) -> Response:
    """The MO's cutoff time («после 13:00 — на завтра») and its SLA limits."""
    services = _services(request)
    errors = _settings_errors(cutoff, assign, serve)
    if errors:
        form = {"cutoff": cutoff, "assign": assign, "serve": serve}
        return _page(request, user, "admin_settings.html", 422, form=form, errors=errors)
    with services.db.session() as session:
        mo = session.get(tables.MedicalOrganization, user.mo_id)
        assert mo is not None
        mo.cutoff = cutoff.strip()
        mo.assign_deadline_minutes = int(assign)
        mo.serve_deadline_hours = int(serve)
    services.directory.refresh()
    return RedirectResponse("/desk/admin/settings?done=settings", 303)


@router.get("/import")
def import_page(request: Request, user: AdminDep) -> Response:
    return _page(request, user, "admin_import.html", files=FILES)


def _foreign_rows(path: Path, mo_code: str) -> str | None:
    """A row of another MO in an uploaded file (an MO admin loads only their own MO)."""
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    if not lines:
        return None
    dialect = csv.Sniffer().sniff(lines[0], delimiters=";,")
    column = "code" if path.name == "mos.csv" else "mo_code"
    for number, row in enumerate(csv.DictReader(lines, dialect=dialect), start=2):
        if (row.get(column) or "").strip() != mo_code:
            return f"{path.name}, строка {number}: данные другой МО ({column})"
    return None


@router.post("/import")
async def import_files(request: Request, user: AdminDep, files: list[UploadFile]) -> Response:
    """Upload reference CSVs (departments, districts, doctors, patients) through the import."""
    services = _services(request)
    error: str | None = None
    with tempfile.TemporaryDirectory() as folder:
        for upload in files:
            name = Path(upload.filename or "").name
            if name not in FILES:
                error = f"Неизвестный файл «{name}»: ожидаются {', '.join(FILES)}"
                break
            (Path(folder) / name).write_bytes(await upload.read())
            error = _foreign_rows(Path(folder) / name, user.mo_code)
            if error:
                break
        if error is None:
            error = await _import(services, Path(folder))
    if error is None:
        return RedirectResponse("/desk/admin/import?done=import", 303)
    return _page(request, user, "admin_import.html", 422, files=FILES, error=error)


async def _import(services: Services, folder: Path) -> str | None:
    def run() -> str | None:
        try:
            with services.db.session() as session:
                import_directory(session, folder)
        except ValidationFailed as exc:
            return "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        services.directory.refresh()
        return None

    return await run_in_threadpool(run)
