"""`dsnlink tenant ...`: the operator's tenant commands."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime

from dsnlink import db
from dsnlink.clock import SystemClock
from dsnlink.config import get_settings
from dsnlink.errors import InputError
from dsnlink.sla.offerings import DEFAULT_OFFERING_ID
from dsnlink.tenants import keys, limits, service
from dsnlink.tenants.models import Formula
from dsnlink.tenants.schemas import Scope


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("tenant", help="create and manage tenants (operator)")
    commands = parser.add_subparsers(dest="tenant_command", metavar="ACTION")
    commands.required = True

    create = commands.add_parser(
        "create", help="create a tenant and its administrator; print its activation key once"
    )
    create.add_argument("name")
    create.add_argument("--admin", required=True, metavar="EMAIL", help="first SaaS administrator")
    create.add_argument("--offering", default=DEFAULT_OFFERING_ID)
    create.add_argument("--formula", default=Formula.OPEN, choices=[f.value for f in Formula])
    create.add_argument(
        "--no-key", action="store_true", help="do not generate the API key (tenant not activated)"
    )
    create.add_argument("--json", action="store_true", help='print {"tenant_id", "api_key"}')
    create.set_defaults(func=run_create)

    listing = commands.add_parser("list", help="list tenants")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_list)

    limit = commands.add_parser("set-limit", help="raise (or set) a tenant's limits")
    limit.add_argument("tenant", help="tenant id or name")
    limit.add_argument("--payslips", type=int, help="per company per year")
    limit.add_argument("--users", type=int, help="active users")
    limit.add_argument("--companies", type=int, help="registered companies")
    limit.set_defaults(func=run_set_limit)

    issue = commands.add_parser(
        "issue-key", help="issue an API key for a tenant's user; print it once"
    )
    issue.add_argument("tenant", help="tenant id or name")
    issue.add_argument(
        "--email", help="the user the key acts as (default: the tenant's first administrator)"
    )
    issue.add_argument("--name", default="issued by the operator")
    issue.add_argument(
        "--scopes",
        help="comma-separated: read,upload,transmit,admin (default: every scope)",
    )
    issue.add_argument(
        "--expires", metavar="ISO-8601", help="expiry, with an offset (default: never)"
    )
    issue.add_argument("--json", action="store_true", help='print {"api_key_id", "api_key"}')
    issue.set_defaults(func=run_issue_key)

    user = subparsers.add_parser("user", help="manage a tenant's users (operator)")
    user_commands = user.add_subparsers(dest="user_command", metavar="ACTION")
    user_commands.required = True
    password = user_commands.add_parser(
        "set-password",
        help="set a user's dashboard password (prompted twice on a terminal, else one stdin line)",
    )
    password.add_argument("tenant", help="tenant id or name")
    password.add_argument("email")
    password.set_defaults(func=run_set_password)


def run_create(args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.check_secrets()
    engine = db.engine_from_settings(settings)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            created = service.create_tenant(
                session,
                name=args.name,
                admin_email=args.admin,
                offering=args.offering,
                formula=args.formula,
                with_key=not args.no_key,
                secret=settings.secret_key,
                clock=SystemClock(),
            )
            tenant_id = str(created.tenant.id)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps({"tenant_id": tenant_id, "api_key": created.api_key}))
    elif created.api_key:
        print(f"tenant {args.name} created: {tenant_id}")
        print(f"API key (shown once, keep it safe): {created.api_key}")
    else:
        print(f"tenant {args.name} created: {tenant_id} (not activated: no API key yet)")
    return 0


def _scopes(text: str | None) -> list[str] | None:
    if text is None:
        return None
    scopes = sorted({part.strip() for part in text.split(",") if part.strip()})
    unknown = [scope for scope in scopes if scope not in {s.value for s in Scope}]
    if unknown or not scopes:
        raise InputError(
            f"unknown scope(s) {', '.join(unknown) or '(none)'}: use read, upload, transmit, admin",
            scopes=scopes,
        )
    return scopes


def _expiry(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"--expires {text!r} is not an ISO-8601 date-time") from exc
    if moment.tzinfo is None:
        raise InputError("--expires needs an offset (e.g. 2027-01-01T00:00:00+01:00)")
    return moment


def run_issue_key(args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.check_secrets()
    scopes, expires_at = _scopes(args.scopes), _expiry(args.expires)
    engine = db.engine_from_settings(settings)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            key, plaintext = keys.issue_api_key(
                session,
                tenant_reference=args.tenant,
                email=args.email,
                name=args.name,
                scopes=scopes,
                expires_at=expires_at,
                secret=settings.secret_key,
                clock=SystemClock(),
            )
            key_id = str(key.id)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps({"api_key_id": key_id, "api_key": plaintext}))
    else:
        print(
            f"API key {key_id} ({', '.join(scopes) if scopes else 'every scope'}"
            f"{', expires ' + expires_at.isoformat() if expires_at else ''})"
        )
        print(f"API key (shown once, keep it safe): {plaintext}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    engine = db.engine_from_settings(get_settings())
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            tenants = [
                service.describe_tenant(session, tenant=t) for t in service.list_tenants(session)
            ]
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps([t.model_dump(mode="json") for t in tenants]))
        return 0
    for t in tenants:
        activated = t.activated_at.isoformat() if t.activated_at else "not activated"
        print(
            f"{t.id}  {t.name}  {t.offering}/{t.formula}  "
            f"payslips/company/year: {t.payslips_per_company_per_year}  {activated}"
        )
    return 0


def run_set_limit(args: argparse.Namespace) -> int:
    if args.payslips is None and args.users is None and args.companies is None:
        raise InputError("give at least one of --payslips, --users, --companies")
    engine = db.engine_from_settings(get_settings())
    lines = []
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            tenant = service.get_tenant_by_reference_or_raise(session, reference=args.tenant)
            requested = {
                limits.PAYSLIP_LIMIT: (args.payslips, "payslips per company per year"),
                "users": (args.users, "users"),
                "companies": (args.companies, "companies"),
            }
            for name, (value, label) in requested.items():
                if value is not None:
                    limits.set_tenant_limit(
                        session, tenant_id=tenant.id, name=name, value=value, clock=SystemClock()
                    )
                    lines.append(f"{value} {label}")
            name = tenant.name
    finally:
        engine.dispose()
    for line in lines:
        print(f"tenant {name}: {line}")
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("new password: ")
        if getpass.getpass("again: ") != first:
            raise InputError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def run_set_password(args: argparse.Namespace) -> int:
    password = _read_password()
    engine = db.engine_from_settings(get_settings())
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            user = service.set_password(
                session, tenant_reference=args.tenant, email=args.email, password=password
            )
            email = user.email
    finally:
        engine.dispose()
    print(f"password set for {email}: sign in at /app")
    return 0
