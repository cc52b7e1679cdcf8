"""`python -m dispatcher …`: migrate, import reference data, users and tokens, run everything."""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from pathlib import Path

from dispatcher.logs import configure_logging
from dispatcher.services import accounts
from dispatcher.services.reference_import import import_directory
from dispatcher.settings import Settings
from dispatcher.storage.database import Database
from dispatcher.storage.migrations import upgrade
from intake_core.errors import DomainError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dispatcher", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations")
    imp = commands.add_parser("import", help="load reference CSV files from a directory")
    imp.add_argument("directory", type=Path)
    user = commands.add_parser("create-user", help="create an operator account")
    user.add_argument("login")
    user.add_argument("--role", required=True, choices=sorted(accounts.ROLES))
    user.add_argument("--mo", required=True, help="MO code")
    user.add_argument("--name", help="full name")
    user.add_argument("--interface", help="telephony interface, e.g. PJSIP/101")
    user.add_argument("--password", help="default: asked, or generated when not a terminal")
    token = commands.add_parser("create-token", help="create a client system token")
    token.add_argument("name")
    token.add_argument("--scopes", nargs="+", required=True, choices=sorted(accounts.SCOPES))
    token.add_argument("--mo", nargs="*", default=[], help="MO codes (default: every MO)")
    month = commands.add_parser("demo-month", help="generate a month of synthetic calls")
    month.add_argument("--mo", default="DEMO-KHIMKI", help="MO code (default: the demo MO)")
    month.add_argument("--month", help="YYYY-MM (default: the previous month)")
    month.add_argument("--calls-per-day", type=int, default=200)
    month.add_argument("--seed", type=int, default=2026)
    check = commands.add_parser(
        "check-tables", help="check the questionnaire and substitution table (YAML) of an MO"
    )
    check.add_argument("--questionnaire", type=Path, help="default: DISPATCH_QUESTIONNAIRE_PATH")
    check.add_argument("--substitution", type=Path, help="default: DISPATCH_SUBSTITUTION_PATH")
    run = commands.add_parser("run", help="start web, worker and embedded Redis (make run)")
    run.add_argument("--no-demo", action="store_true", help="do not load the demo MO")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    if args.command == "run":
        from dispatcher.launcher import run

        return run(settings, demo=not args.no_demo)
    if args.command == "check-tables":
        return _check_tables(settings, args.questionnaire, args.substitution)
    if args.command == "migrate":
        upgrade(settings.database_url)
        print("Миграции применены")
        return 0
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            if args.command == "import":
                report = import_directory(session, args.directory)
                for name, count in report.counts.items():
                    print(f"{name}: {count} строк")
            elif args.command == "create-user":
                password = args.password or _password()
                accounts.create_user(
                    session, args.login, password, args.role, args.mo, args.name, args.interface
                )
                print(f"Пользователь {args.login} создан ({accounts.ROLES[args.role]})")
                if not args.password:
                    print(f"Пароль: {password}")
            elif args.command == "demo-month":
                from dispatcher.demo.month_store import demo_month

                print(
                    demo_month(
                        session,
                        args.mo,
                        args.month,
                        args.calls_per_day,
                        args.seed,
                        questionnaire_path=settings.dispatch_questionnaire_path,
                    )
                )
            elif args.command == "create-token":
                value = accounts.create_token(session, args.name, args.scopes, args.mo)
                print(f"Токен клиента «{args.name}» ({', '.join(args.scopes)}):")
                print(value)
    except DomainError as exc:
        print(f"Ошибка: {exc.message}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    return 0


def _check_tables(settings: Settings, questionnaire: Path | None, table: Path | None) -> int:
    from dispatcher.services.dispatch_rules import describe_rules, load_rules

    overrides = {
        "dispatch_questionnaire_path": questionnaire or settings.dispatch_questionnaire_path,
        "dispatch_substitution_path": table or settings.dispatch_substitution_path,
    }
    try:
        rules = load_rules(settings.model_copy(update=overrides))
    except DomainError as exc:
        print(f"Ошибка: {exc.message}", file=sys.stderr)
        return 2
    print("\n".join(describe_rules(rules)))
    return 0


def _password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Пароль: ")
    return secrets.token_urlsafe(12)


if __name__ == "__main__":
    raise SystemExit(main())
