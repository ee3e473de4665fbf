"""Database plumbing: engine, sessions, the unit of work, UTC timestamps, migrations.

SQLite (a file in `data_dir`) by default, PostgreSQL through `DSNLINK_DATABASE_URL`. The schema is
owned by Alembic (`dsnlink/migrations/`, shipped inside the package): `dsnlink db upgrade`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from dsnlink.config import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
ON_ROLLBACK = "dsnlink.on_rollback"

SessionFactory = Callable[[], Session]


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware datetime stored in UTC; SQLite, which keeps no offset, gets naive UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)



def _private_sqlite_file(url: str) -> None:
    """The SQLite file (and its WAL and shared-memory files, which SQLite creates with the
    database's own mode) readable by the owner only: 0600, like the key files."""
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # the connection will fail and say so
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for companion in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if companion.stat().st_mode & 0o077:
                companion.chmod(0o600)


def create_db_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        # Requests run in a thread pool: one connection may be used by several threads in turn.
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "savepoint", _sqlite_write_before_savepoint)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_write_before_savepoint(connection: sa.Connection, _name: str) -> None:
    """A savepoint that opens the transaction opens it as a writer (BEGIN IMMEDIATE).

    The driver begins a transaction only before a write, so reads ahead of it see the latest
    data; but a SAVEPOINT outside a transaction starts a deferred one, whose reads pin a snapshot
    of the WAL: a write after another connection's commit then fails at once ("database is
    locked", no busy wait). Taking the write lock first makes the other writers wait instead.
    """
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")


def engine_from_settings(settings: Settings) -> Engine:
    url = settings.effective_database_url
    if url.startswith("sqlite") and settings.database_url is None:
        private_data_dir(settings.data_dir)
    return create_db_engine(url)


def private_data_dir(path: Path) -> None:
    """Create the data directory for its owner only (0700); tighten an existing one."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(PermissionError):
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)


def session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, class_=Session, expire_on_commit=False)


def on_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Undo something outside the database (e.g. a written file) if this unit of work fails."""
    session.info.setdefault(ON_ROLLBACK, []).append(callback)


@contextmanager
def unit_of_work(factory: SessionFactory) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back (and undo) otherwise."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        for callback in reversed(session.info.get(ON_ROLLBACK, [])):
            callback()
        raise
    finally:
        session.info.pop(ON_ROLLBACK, None)
        session.close()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (the latest by default)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
