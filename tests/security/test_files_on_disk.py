"""Files on disk: abandoned staged uploads are swept (11); the SQLite database, its WAL and the
data directory are private to the gateway's user (14)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from api.app import create_app
from dsnlink import db
from dsnlink.config import Settings
from dsnlink.security.blobs import STALE_STAGING_SECONDS, BlobStore
from dsnlink.security.keys import Keyring


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _staged(store: BlobStore, name: str, *, age: float) -> Path:
    store.staging_dir.mkdir(parents=True, exist_ok=True)
    path = store.staging_dir / name
    path.write_bytes(b"half an upload")
    when = time.time() - age
    os.utime(path, (when, when))
    return path


def test_stale_staged_uploads_are_swept_fresh_ones_kept(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", Keyring([Fernet.generate_key()]))
    stale = _staged(store, "killed.part", age=STALE_STAGING_SECONDS + 60)
    fresh = _staged(store, "in-progress.part", age=5)
    other = _staged(store, "not-a-part.txt", age=STALE_STAGING_SECONDS * 10)

    assert store.sweep_staging() == 1
    assert not stale.exists() and fresh.exists() and other.exists()


def test_the_gateway_sweeps_at_start_and_then_from_uploads(
    settings: Settings, tmp_path: Path
) -> None:
    blobs = settings.data_dir / "blobs"
    store = BlobStore(blobs, Keyring([Fernet.generate_key()]))
    left_by_a_kill = _staged(store, "killed.part", age=STALE_STAGING_SECONDS + 1)
    app = create_app(settings)
    assert not left_by_a_kill.exists()

    runtime = app.state.runtime
    later = _staged(runtime.blobs, "later.part", age=STALE_STAGING_SECONDS + 1)
    runtime.blobs._swept_at -= 3600  # the periodic sweep is due
    writer = runtime.blobs.staging_writer()
    writer.abort()
    assert not later.exists()


def test_sqlite_database_wal_and_data_dir_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)  # as an older version (or a umask of 022) left it
    settings = Settings(environment="test", data_dir=data_dir)
    engine = db.engine_from_settings(settings)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
            connection.execute(sa.text("INSERT INTO probe VALUES (1)"))
        database = data_dir / "dsnlink.sqlite3"
        assert _mode(data_dir) == 0o700
        assert _mode(database) == 0o600
        wal = Path(f"{database}-wal")
        assert wal.exists() and _mode(wal) == 0o600
        shm = Path(f"{database}-shm")
        assert not shm.exists() or _mode(shm) == 0o600
    finally:
        engine.dispose()


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / "old.sqlite3"
    database.touch(mode=0o644)
    database.chmod(0o644)
    engine = db.create_db_engine(f"sqlite:///{database}")
    engine.dispose()
    assert _mode(database) == 0o600
