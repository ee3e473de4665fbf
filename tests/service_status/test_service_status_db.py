"""Stored contract rules on both databases: probes, maintenances, history retention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from dsnlink.clock import FrozenClock
from dsnlink.declarations.models import Declaration, DeclarationEvent
from dsnlink.errors import InputError, LimitExceeded
from dsnlink.ops import retention
from dsnlink.service_status import service as service_status
from dsnlink.service_status.models import Component, IncidentRecord
from dsnlink.sla.maintenance import MaintenanceKind
from dsnlink.tenants import limits
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants.models import Company, Establishment

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def test_failed_probe_opens_an_incident_and_the_next_success_closes_it(
    session: Session,
) -> None:
    assert service_status.record_probe(session, component="deposit_point", ok=True, at=T0) is None
    opened = service_status.record_probe(
        session, component=Component.DEPOSIT_POINT, ok=False, at=T0 + timedelta(minutes=1)
    )
    assert opened is not None and opened.cause == "third_party" and opened.end is None
    assert (
        service_status.record_probe(
            session, component=Component.DEPOSIT_POINT, ok=False, at=T0 + timedelta(minutes=2)
        )
        is None
    )
    worker = service_status.record_probe(
        session, component=Component.WORKER, ok=False, at=T0 + timedelta(minutes=2)
    )
    assert worker is not None and worker.cause == "outage"
    closed = service_status.record_probe(
        session, component=Component.DEPOSIT_POINT, ok=True, at=T0 + timedelta(minutes=9)
    )
    session.commit()
    assert closed is not None and closed.id == opened.id
    assert closed.end == T0 + timedelta(minutes=9)
    stored = session.exec(select(IncidentRecord).order_by(col(IncidentRecord.start))).all()
    assert [(i.component, i.source, i.end is None) for i in stored] == [
        ("deposit_point", "probe", False),
        ("worker", "probe", True),
    ]
    with pytest.raises(InputError):
        service_status.record_probe(session, component="coffee", ok=True, at=T0)


def test_maintenance_in_progress_and_announced_ones(session: Session) -> None:
    clock = FrozenClock(T0)
    planned = service_status.schedule_maintenance(
        session,
        start=datetime(2026, 11, 5, 1, tzinfo=UTC),
        end=datetime(2026, 11, 5, 3, tzinfo=UTC),
        kind=MaintenanceKind.PLANNED,
        reason="p",
        clock=clock,
    )
    service_status.schedule_maintenance(
        session,
        start=T0,
        end=T0 + timedelta(hours=1),
        kind=MaintenanceKind.URGENT,
        reason="u",
        clock=clock,
    )
    session.commit()
    current = service_status.maintenance_in_progress(session, T0 + timedelta(minutes=59))
    assert current is not None and current.reason == "u"
    assert service_status.maintenance_in_progress(session, T0 + timedelta(hours=1)) is None
    assert (
        service_status.maintenance_in_progress(session, datetime(2026, 11, 5, 2, tzinfo=UTC))
        == planned
    )
    end = T0 + timedelta(days=7)
    assert [
        m.reason for m in service_status.announced_maintenances(session, start=T0, end=end)
    ] == ["p"]
    both = service_status.announced_maintenances(
        session, start=T0, end=end, kinds=(MaintenanceKind.PLANNED, MaintenanceKind.URGENT)
    )
    assert [m.reason for m in both] == ["u", "p"]


def _declaration(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, month: str) -> str:
    company = session.exec(select(Company).where(Company.tenant_id == tenant_id)).first()
    if company is None:
        company = Company(
            tenant_id=tenant_id, siren="732829320", name="C", due_day=5, created_at=T0
        )
        session.add(company)
        session.flush()
        session.add(
            Establishment(
                tenant_id=tenant_id,
                company_id=company.id,
                nic="00074",
                siret="73282932000074",
                name="E",
                created_at=T0,
            )
        )
        session.flush()
    establishment = session.exec(select(Establishment)).first()
    assert establishment is not None
    declaration = Declaration(
        tenant_id=tenant_id,
        company_id=company.id,
        establishment_id=establishment.id,
        status="validated",
        nature="01",
        type="01",
        month=month,
        sha256=uuid.uuid4().hex,
        size=1,
        blob_path=f"{tenant_id.hex}/{month}.dsn.enc",
        blob_wrapped_key="k",
        received_at=T0,
        guaranteed=True,
        late=False,
        received_by_user_id=user_id,
        receipt_signature="s",
        receipt_key_id="k",
    )
    session.add(declaration)
    session.flush()
    session.add(DeclarationEvent(declaration_id=declaration.id, status="received", at=T0))
    session.add(DeclarationEvent(declaration_id=declaration.id, status="validated", at=T0))
    session.flush()
    return declaration.blob_path


def test_retention_purge_keeps_the_current_year_and_four_before(
    session: Session, tmp_path: Path
) -> None:
    created = tenants_service.create_tenant(
        session, name="Alpha", admin_email="a@alpha.example", secret="s", clock=FrozenClock(T0)
    )
    paths = {
        month: _declaration(session, created.tenant.id, created.admin.id, month)
        for month in ("2021-11", "2021-12", "2022-01", "2026-10")
    }
    for relative in paths.values():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(b"x")
    session.commit()

    dry = retention.purge_history(session, now=T0, dry_run=True)
    session.rollback()
    assert dry.oldest_kept_month == {"Alpha": "2022-01"}
    assert dry.deleted == {"declaration": 2, "declaration_event": 4}
    assert session.exec(select(func.count()).select_from(Declaration)).one() == 4

    report = retention.purge_history(session, now=T0)
    session.commit()
    assert report.deleted == dry.deleted
    kept = session.exec(select(Declaration.month).order_by(Declaration.month)).all()
    assert kept == ["2022-01", "2026-10"]
    assert session.exec(select(func.count()).select_from(DeclarationEvent)).one() == 4
    assert retention.remove_files(tmp_path, report.blob_paths) == 2
    assert sorted(p.name for p in tmp_path.rglob("*.enc")) == ["2022-01.dsn.enc", "2026-10.dsn.enc"]


def test_limits_come_from_the_offering_unless_the_operator_overrides_them(
    session: Session,
) -> None:
    clock = FrozenClock(T0)
    created = tenants_service.create_tenant(
        session, name="Alpha", admin_email="a@alpha.example", secret="s", clock=clock
    )
    tenant_id = created.tenant.id
    # DSN Link sets no user limit.
    limits.check_limit(session, tenant_id=tenant_id, name="users", count_after=10_000)
    limits.set_tenant_limit(session, tenant_id=tenant_id, name="users", value=3, clock=clock)
    limits.check_limit(session, tenant_id=tenant_id, name="users", count_after=3)
    with pytest.raises(LimitExceeded) as raised:
        limits.check_limit(session, tenant_id=tenant_id, name="users", count_after=4)
    assert raised.value.context == {"limit": "users", "value": 3, "requested": 4}
    with pytest.raises(InputError):
        limits.set_tenant_limit(session, tenant_id=tenant_id, name="payslips", value=3, clock=clock)
