"""Storage plumbing on both backends: migrations, UTC timestamps, the unit of work."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url

from dsnlink import db, models
from dsnlink.tenants.models import Tenant


def test_schema_is_at_the_head_revision(db_engine: Engine) -> None:
    head = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()
    assert db.current_revision(db_engine) == head


MY_TABLES = frozenset(
    {
        "tenant",
        "app_user",
        "administrator_change",
        "api_key",
        "declarant",
        "company",
        "establishment",
        "declaration",
        "declaration_event",
        "transmission_job",
    }
)


def test_models_match_the_migrations(db_engine: Engine) -> None:
    """Autogenerate finds nothing to change: every table change came with its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    def mine(name: str | None, type_: str, parent_names: object) -> bool:
        return type_ != "table" or name in MY_TABLES

    def my_object(obj: object, name: str | None, type_: str, *_: object) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or getattr(table, "name", None) in MY_TABLES

    with db_engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": mine, "include_object": my_object}
        )
        diff = compare_metadata(context, models.metadata)
    assert diff == []


def test_timestamps_come_back_aware_and_in_utc(db_engine: Engine) -> None:
    paris_summer = timezone(timedelta(hours=2))
    moment = datetime(2026, 7, 1, 14, 30, 15, 123456, tzinfo=paris_summer)
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        tenant = Tenant(name="T", offering="hr-sprint", formula="open", created_at=moment)
        session.add(tenant)
        tenant_id = tenant.id
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        stored = session.get(Tenant, tenant_id)
        assert stored is not None
        assert stored.created_at == moment
        assert stored.created_at.tzinfo == UTC
        assert stored.created_at.hour == 12


def test_naive_datetimes_are_refused(db_engine: Engine) -> None:
    with (
        pytest.raises(sa.exc.StatementError),
        db.unit_of_work(db.session_factory(db_engine)) as session,
    ):
        session.add(Tenant(name="N", offering="o", formula="open", created_at=datetime(2026, 1, 1)))


def test_unit_of_work_rolls_back_and_undoes(db_engine: Engine) -> None:
    undone: list[str] = []
    tenant_id = uuid.uuid4()
    with pytest.raises(RuntimeError), db.unit_of_work(db.session_factory(db_engine)) as session:
        session.add(
            Tenant(
                id=tenant_id, name="R", offering="o", formula="open", created_at=datetime.now(UTC)
            )
        )
        session.flush()
        db.on_rollback(session, lambda: undone.append("file removed"))
        raise RuntimeError("boom")
    assert undone == ["file removed"]
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        assert session.get(Tenant, tenant_id) is None


def test_migrations_go_down_to_base_and_up_again(
    migrated_engine: Engine,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """On a throwaway database of the same backend, so the shared one stays migrated."""
    if migrated_engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('roundtrip') / 'rt.sqlite3'}"
        cleanup = None
    else:
        admin: Engine = request.getfixturevalue("postgres_admin")
        name = f"dsnlink_rt_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = make_url(str(admin.url)).set(database=name).render_as_string(hide_password=False)

        def cleanup() -> None:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    try:
        db.upgrade(url)
        command.downgrade(db.alembic_config(url), "base")
        engine = db.create_db_engine(url)
        try:
            assert db.current_revision(engine) is None
            assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        finally:
            engine.dispose()
        db.upgrade(url)
    finally:
        if cleanup is not None:
            cleanup()


def test_sqlite_savepoint_then_write_waits_for_other_writers(tmp_path: Path) -> None:
    """A unit of work that opens with a savepoint, reads, then writes (bulk ordering does) must
    not fail because another connection committed in between: on SQLite the savepoint takes the
    write lock first, so the other writer waits (without it: "database is locked" at once)."""
    import threading

    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
    factory = db.session_factory(engine)
    other_error: list[BaseException] = []

    def other_writer() -> None:
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql("UPDATE t SET v = 'other' WHERE id = 2")
        except BaseException as exc:
            other_error.append(exc)

    with db.unit_of_work(factory) as session, session.begin_nested():
        assert session.execute(sa.text("SELECT v FROM t WHERE id = 1")).scalar_one() == "a"
        other = threading.Thread(target=other_writer)
        other.start()
        other.join(timeout=1.0)  # it waits for our write lock (without it: done by now)
        session.execute(sa.text("UPDATE t SET v = 'mine' WHERE id = 1"))
    other.join(timeout=30)
    assert not other_error, other_error
    with engine.connect() as connection:
        rows = dict(connection.exec_driver_sql("SELECT id, v FROM t").all())
    assert rows == {1: "mine", 2: "other"}
    engine.dispose()
