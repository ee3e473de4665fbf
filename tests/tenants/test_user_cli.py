"""`dsnlink user set-password`, and the company-scope table matching its migration."""

from __future__ import annotations

import io

import pytest
from sqlalchemy.engine import Engine

from api.cli import main
from dsnlink import db, models
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings
from dsnlink.tenants import service, signin


def test_set_password_reads_stdin_and_lets_the_user_sign_in(
    cli_env: pytest.MonkeyPatch,
    db_engine: Engine,
    clock: FrozenClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        service.create_tenant(
            session, name="Acme", admin_email="rh@acme.example", secret="s", clock=clock
        )
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["user", "set-password", "Acme", "RH@acme.example"]) == 0
    assert "password set for rh@acme.example" in capsys.readouterr().out
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        principal, _ = signin.sign_in_with_password(
            session, email="rh@acme.example", password="a long enough password"
        )
        assert principal.company_ids is None

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "set-password", "Acme", "rh@acme.example"]) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["user", "set-password", "Acme", "nobody@acme.example"]) == 2
    assert "no user nobody@acme.example" in capsys.readouterr().err


def test_company_scope_table_matches_its_migration(db_engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    def mine(obj: object, name: str | None, type_: str, *_: object) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return getattr(table, "name", None) == "app_user_company"

    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": mine})
        assert compare_metadata(context, models.metadata) == []
