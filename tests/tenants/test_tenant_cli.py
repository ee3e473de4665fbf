"""The operator's commands: db upgrade, tenant create/list/set-limit, keys rotate."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from api.cli import main
from dsnlink import db
from dsnlink.config import Settings, get_settings
from dsnlink.security.keys import Keyring
from dsnlink.tenants import declarants, repository, service
from dsnlink.tenants.schemas import DeclarantCreate, Principal


def test_tenant_create_prints_the_activation_key_once(
    cli_env: pytest.MonkeyPatch, db_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == f"database schema at revision {head}\n"
    assert db.current_revision(db_engine) == head
    code = main(["tenant", "create", "Acme", "--admin", "rh@acme.example", "--json"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["api_key"].startswith("dsnl_")
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        tenant = service.get_tenant_by_reference_or_raise(session, reference="Acme")
        assert str(tenant.id) == printed["tenant_id"]
        assert tenant.activated_at is not None
        keys = repository.list_api_keys(session, tenant_id=tenant.id)
        assert printed["api_key"] not in {k.key_hash for k in keys}
        principal = service.authenticate(
            session,
            raw_key=printed["api_key"],
            secret=get_settings().secret_key,
            clock=_clock(),
        )
        assert principal.role == "saas_admin"

    assert main(["tenant", "list"]) == 0
    listed = capsys.readouterr().out
    assert "Acme" in listed and "9600" in listed and printed["api_key"] not in listed


def _clock():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from dsnlink.clock import FrozenClock

    return FrozenClock(datetime(2026, 11, 2, tzinfo=UTC))


def test_tenant_create_without_key_and_set_limit(
    cli_env: pytest.MonkeyPatch, db_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tenant", "create", "Dormant", "--admin", "a@d.example", "--no-key"]) == 0
    assert "not activated" in capsys.readouterr().out
    assert main(["tenant", "set-limit", "Dormant", "--payslips", "20000"]) == 0
    assert main(["tenant", "list", "--json"]) == 0
    out = capsys.readouterr().out.splitlines()[-1]
    (listed,) = json.loads(out)
    assert (listed["activated_at"], listed["payslips_per_company_per_year"]) == (None, 20000)


@pytest.mark.parametrize(
    "argv",
    [
        ["tenant", "create", "X", "--admin", "not-an-email"],
        ["tenant", "create", "X", "--admin", "a@x.example", "--offering", "nope"],
        ["tenant", "set-limit", "ghost", "--payslips", "10"],
        ["tenant", "set-limit", "Dup", "--payslips", "0"],
    ],
)
def test_bad_operator_input_is_one_line_and_exit_2(
    cli_env: pytest.MonkeyPatch,
    db_engine: Engine,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    assert main(["tenant", "create", "Dup", "--admin", "a@dup.example"]) == 0
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("dsnlink: error: ") and err.count("\n") == 1


def test_duplicate_tenant_name_is_refused(
    cli_env: pytest.MonkeyPatch, db_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tenant", "create", "Twice", "--admin", "a@t.example"]) == 0
    assert main(["tenant", "create", "Twice", "--admin", "b@t.example"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_keys_rotate_reencrypts_passwords_with_the_new_key(
    cli_env: pytest.MonkeyPatch,
    db_engine: Engine,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = Keyring.from_text(settings.encryption_keys or "")
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        created = service.create_tenant(
            session, name="Rot", admin_email="a@r.example", secret="s", clock=_clock()
        )
        principal = Principal(
            tenant_id=created.tenant.id,
            user_id=created.admin.id,
            role=created.admin.role,  # type: ignore[arg-type]
        )
        declarants.create_declarant(
            session,
            principal=principal,
            keyring=old,
            clock=_clock(),
            data=DeclarantCreate(siret="73282932000074", nom="N", prenom="P", password="pw-1"),  # type: ignore[arg-type]
        )
    new_key = Fernet.generate_key().decode()
    cli_env.setenv("DSNLINK_ENCRYPTION_KEYS", f"{new_key},{settings.encryption_keys}")
    get_settings.cache_clear()
    assert main(["keys", "rotate"]) == 0
    assert "1 declarant password" in capsys.readouterr().out
    only_new = Keyring.from_text(new_key)
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        (declarant,) = repository.all_declarants(session)
        assert declarants.declarant_password(declarant, keyring=only_new) == "pw-1"
