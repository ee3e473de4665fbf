"""Backups: round trip on both databases, two destinations, tiers and their retention."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings
from dsnlink.errors import InputError
from dsnlink.ops import backup as backups
from dsnlink.service_status import service as service_status
from dsnlink.sla.maintenance import MaintenanceKind
from dsnlink.sla.offerings import get_offering
from dsnlink.support import service as support_service
from dsnlink.tenants import service as tenants_service


def _wipe(engine: Engine) -> None:
    tables = [t for t in sa.inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))
            return
        connection.execute(sa.text("PRAGMA foreign_keys=OFF"))
        for table in tables:
            connection.execute(sa.text(f'DELETE FROM "{table}"'))


def _populate(settings: Settings, engine: Engine, clock: FrozenClock) -> str:
    with db.unit_of_work(db.session_factory(engine)) as session:
        created = tenants_service.create_tenant(
            session, name="Alpha", admin_email="a@alpha.example", secret="s", clock=clock
        )
        support_service.open_support_request(
            session,
            tenant_id=created.tenant.id,
            user_id=created.admin.id,
            title="Dépôt bloqué",
            description="…",
            criticity=1,
            clock=clock,
        )
        service_status.schedule_maintenance(
            session,
            start=clock.now(),
            end=clock.now() + timedelta(hours=1),
            kind=MaintenanceKind.URGENT,
            reason="r",
            clock=clock,
        )
        tenant_id = str(created.tenant.id)
    blob = settings.data_dir / "blobs" / "t1" / "d1.dsn.enc"
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"DSNLBLOB1\nsealed bytes")
    (settings.data_dir / "blobs" / ".staging").mkdir()
    (settings.data_dir / "blobs" / ".staging" / "half.part").write_bytes(b"partial upload")
    return tenant_id


def test_backup_wipe_restore_loses_nothing(
    settings: Settings, db_engine: Engine, clock: FrozenClock, tmp_path: Path
) -> None:
    places = [tmp_path / "site-a", tmp_path / "site-b"]
    settings = settings.model_copy(update={"backup_dirs": ",".join(map(str, places))})
    tenant_id = _populate(settings, db_engine, clock)

    made = backups.create_backup(settings, clock=clock)
    assert [b.path.parent for b in made] == places
    assert made[0].name == "dsnlink-20261102T100000Z-daily"
    assert {b.database for b in made} == {db_engine.dialect.name}
    saved = backups.manifest_counts(made[0])
    assert saved["tenant"] == 1 and saved["support_request"] == 1 and saved["maintenance"] == 1
    assert not (made[1].path / "blobs" / ".staging").exists()

    _wipe(db_engine)
    shutil.rmtree(settings.data_dir / "blobs")
    with db_engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM tenant")).scalar_one() == 0

    restored = backups.restore_backup(settings, backups.find_backup(settings, made[1].name))
    assert restored == saved
    with db_engine.connect() as connection:
        ids = connection.execute(sa.text("SELECT id FROM tenant")).scalars().all()
        events = connection.execute(
            sa.text("SELECT count(*) FROM support_request_event")
        ).scalar_one()
    assert [str(i).replace("-", "") for i in ids] == [tenant_id.replace("-", "")]
    assert events == 1
    blob = settings.data_dir / "blobs" / "t1" / "d1.dsn.enc"
    assert blob.read_bytes() == b"DSNLBLOB1\nsealed bytes"
    assert not list(settings.data_dir.glob("blobs.*"))


def test_restore_refuses_a_backup_of_the_other_database(
    settings: Settings, db_engine: Engine, clock: FrozenClock, tmp_path: Path
) -> None:
    made = backups.create_backup(settings, clock=clock)[0]
    manifest = json.loads((made.path / "manifest.json").read_text())
    other = "postgresql" if manifest["database"] == "sqlite" else "sqlite"
    (made.path / "manifest.json").write_text(json.dumps({**manifest, "database": other}))
    with pytest.raises(InputError, match=r"backup .* is of a"):
        backups.restore_backup(settings, backups.find_backup(settings, str(made.path)))


def _fake(root: Path, at: datetime, tier: str) -> backups.Backup:
    path = root / f"dsnlink-{at:%Y%m%dT%H%M%SZ}-{tier}"
    path.mkdir(parents=True)
    (path / "manifest.json").write_text(
        json.dumps({"created_at": at.isoformat(), "tier": tier, "database": "sqlite"})
    )
    found = backups.read_backup(path)
    assert found is not None
    return found


def test_monthly_is_the_first_weekend_backup_and_only_once() -> None:
    dsn_link = get_offering("hr-sprint")
    saturday = datetime(2026, 11, 7, 2, 0, tzinfo=UTC)
    sunday = saturday + timedelta(days=1)
    assert backups.choose_tier(dsn_link, now=saturday, existing=[]).frequency == "monthly"
    first = backups.Backup(Path("x"), "monthly", saturday, "sqlite")
    assert backups.choose_tier(dsn_link, now=sunday, existing=[first]).frequency == "daily"
    # Saturday the 14th is the second weekend: daily.
    assert (
        backups.choose_tier(dsn_link, now=saturday + timedelta(days=7), existing=[]).frequency
        == "daily"
    )
    assert (
        backups.choose_tier(dsn_link, now=saturday - timedelta(days=1), existing=[]).frequency
        == "daily"
    )
    cegid = get_offering("cegid-loop")
    assert (
        backups.choose_tier(cegid, now=saturday + timedelta(days=7), existing=[]).frequency
        == "weekly"
    )


def test_prune_keeps_daily_7_days_and_monthly_2_months(settings: Settings, tmp_path: Path) -> None:
    root = tmp_path / "b"
    settings = settings.model_copy(update={"backup_dirs": str(root)})
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    kept = [
        _fake(root, now - timedelta(days=6), "daily"),
        _fake(root, datetime(2026, 9, 26, 2, tzinfo=UTC), "monthly"),
    ]
    gone = [
        _fake(root, now - timedelta(days=8), "daily"),
        _fake(root, datetime(2026, 9, 5, 2, tzinfo=UTC), "monthly"),
    ]
    removed = backups.prune(settings, offering="hr-sprint", now=now)
    assert sorted(b.name for b in removed) == sorted(b.name for b in gone)
    assert [b.name for b in backups.list_backups(settings)] == sorted(
        (b.name for b in kept), key=lambda n: n.split("-")[1]
    )
