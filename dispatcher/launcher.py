"""`make run`: migrate, load the demo MO, start an embedded Redis, the web service and a worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

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
)
DEMO_MO = "DEMO-KHIMKI"
DEMO_DOCTOR_CODE = "D001"  # the demo `doctor` user is Демидова А. П. of the demo MO
DEMO_TOKEN_FILE = "demo-token.txt"


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
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    token = _load_demo(settings, db) if demo else None
    db.dispose()
    embedded: EmbeddedRedis | None = None
    env = dict(os.environ)
    if settings.redis_url is None:
        embedded = EmbeddedRedis(settings.var_dir / "redis", settings.embedded_redis_port)
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
                str(settings.port),
                "--no-access-log",
            ],
            env=env,
        ),
        subprocess.Popen([python, "worker.py"], env=env),
        subprocess.Popen([python, "-m", "dispatcher.notify"], env=env),  # SMS and webhooks
    ]
    if settings.ami_host:  # the AMI listener (issue 5): caller cards, call-backs, 112
        processes.append(subprocess.Popen([python, "-m", "telephony"], env=env))
    url = f"http://{settings.host}:{settings.port}"
    print(
        f"\nДиспетчер вызовов запущен: {url}\n"
        f"  API и документация: {url}/docs\n"
        f"  Состояние: {url}/readyz\n"
        f"  База данных: {settings.database_url}\n"
        f"  Redis: {env['REDIS_URL']}{' (встроенный)' if embedded else ''}\n",
        flush=True,
    )
    if token:
        print("  Демо-пользователи (логин / пароль):")
        for login, password, _role, name, _ in DEMO_USERS:
            print(f"    {login} / {password} — {name}")
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
