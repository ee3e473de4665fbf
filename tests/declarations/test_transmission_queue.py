"""The transmission job is written in the ordering transaction: both land or neither does."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.declarations import ordering
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.security.keys import Keyring
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants.models import Company, Declarant, Establishment, Role
from dsnlink.tenants.schemas import Principal
from tests.conftest import TEST_ENCRYPTION_KEY


KEYRING = Keyring.from_text(TEST_ENCRYPTION_KEY)


def _declaration(
    engine: Engine, clock: FrozenClock, *, declarant: dict[str, str] | None = None
) -> tuple[Principal, Any]:
    identity = {"siret": "73282932000074", "nom": "PAIE", "prenom": "SERVICE", "password": "pw"}
    if declarant is not None:
        identity.update(declarant)
    with db.unit_of_work(db.session_factory(engine)) as session:
        created = tenants_service.create_tenant(
            session, name="Q", admin_email="a@q.example", secret="s", clock=clock
        )
        filer = Declarant(
            tenant_id=created.tenant.id,
            siret=identity["siret"],
            nom_encrypted=KEYRING.encrypt_text(identity["nom"]),
            prenom_encrypted=KEYRING.encrypt_text(identity["prenom"]),
            password_encrypted=KEYRING.encrypt_text(identity["password"]),
            created_at=clock.now(),
        )
        session.add(filer)
        session.flush()
        company = Company(
            tenant_id=created.tenant.id,
            siren="732829320",
            name="C",
            due_day=5,
            declarant_id=None if declarant == {"none": ""} else filer.id,
            created_at=clock.now(),
        )
        session.add(company)
        session.flush()
        establishment = Establishment(
            tenant_id=created.tenant.id,
            company_id=company.id,
            nic="00074",
            siret="73282932000074",
            name="E",
            created_at=clock.now(),
        )
        session.add(establishment)
        session.flush()
        declaration = Declaration(
            tenant_id=created.tenant.id,
            company_id=company.id,
            establishment_id=establishment.id,
            status=DeclarationStatus.VALIDATED,
            nature="01",
            type="01",
            month="2026-10",
            sha256="0" * 64,
            size=1,
            blob_path="x",
            blob_wrapped_key="k",
            received_at=clock.now(),
            guaranteed=True,
            late=False,
            received_by_user_id=created.admin.id,
            receipt_signature="s",
            receipt_key_id="k",
        )
        session.add(declaration)
        principal = Principal(
            tenant_id=created.tenant.id, user_id=created.admin.id, role=Role.SAAS_ADMIN
        )
        return principal, declaration.id


def _jobs(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(sa.text("SELECT count(*) FROM transmission_job")).scalar_one()
        )


def test_order_and_job_commit_together(db_engine: Engine, clock: FrozenClock) -> None:
    principal, declaration_id = _declaration(db_engine, clock)
    with pytest.raises(RuntimeError), db.unit_of_work(db.session_factory(db_engine)) as session:
        ordering.order_transmission(
            session,
            principal=principal,
            declaration_id=declaration_id,
            clock=clock,
            keyring=Keyring.from_text(TEST_ENCRYPTION_KEY),
        )
        raise RuntimeError("the request failed after the order")
    assert _jobs(db_engine) == 0
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        assert session.get(Declaration, declaration_id).ordered_at is None  # type: ignore[union-attr]
        ordering.order_transmission(
            session,
            principal=principal,
            declaration_id=declaration_id,
            clock=clock,
            keyring=Keyring.from_text(TEST_ENCRYPTION_KEY),
        )
    assert _jobs(db_engine) == 1
