"""The transmission job is written in the ordering transaction: both land or neither does."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.declarations import ordering, timeline
from dsnlink.declarations.errors import (
    AlreadyOrdered,
    DeclarantNotReady,
    IllegalTransition,
    NotTransmittable,
)
from dsnlink.declarations.models import Declaration, DeclarationEvent, DeclarationStatus
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


# --- ordering refused up front, and ordering again after a failure --------------------------------


def _order(engine: Engine, clock: FrozenClock, principal: Principal, declaration_id: Any) -> Any:
    with db.unit_of_work(db.session_factory(engine)) as session:
        return ordering.order_transmission(
            session,
            principal=principal,
            declaration_id=declaration_id,
            clock=clock,
            keyring=KEYRING,
        )


@pytest.mark.parametrize(
    ("declarant", "reason", "says"),
    [
        ({"none": ""}, "no-declarant", "POST /v1/declarants"),
        ({"password": " "}, "incomplete-identity", "le mot de passe"),
        ({"nom": ""}, "incomplete-identity", "le nom"),
        ({"siret": "73282932000075"}, "incomplete-identity", "le SIRET"),
    ],
)
def test_an_order_that_could_only_fail_is_refused_saying_what_to_fix(
    db_engine: Engine, clock: FrozenClock, declarant: dict[str, str], reason: str, says: str
) -> None:
    principal, declaration_id = _declaration(db_engine, clock, declarant=declarant)
    with pytest.raises(DeclarantNotReady) as refused:
        _order(db_engine, clock, principal, declaration_id)
    assert refused.value.context["reason"] == reason
    assert says in refused.value.message
    assert _jobs(db_engine) == 0


def test_a_declarant_the_deposit_point_does_not_know_blocks_ordering(
    db_engine: Engine, clock: FrozenClock
) -> None:
    principal, declaration_id = _declaration(db_engine, clock)
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        declarant = session.exec(sa.select(Declarant)).scalars().one()
        declarant.check_status, declarant.checked_at = "unknown", clock.now()
        declarant.check_message = "le point de dépôt ne connaît pas ce déclarant"
        session.add(declarant)
    with pytest.raises(DeclarantNotReady) as refused:
        _order(db_engine, clock, principal, declaration_id)
    assert refused.value.context["reason"] == "declarant-unknown"
    assert "/check" in refused.value.message
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        declarant = session.exec(sa.select(Declarant)).scalars().one()
        declarant.check_status = "unreachable"  # a check that concluded nothing blocks nothing
        session.add(declarant)
    _order(db_engine, clock, principal, declaration_id)
    assert _jobs(db_engine) == 1


def _fail_it(engine: Engine, declaration_id: Any, clock: FrozenClock) -> None:
    """What the worker leaves after giving up: the declaration failed, its job failed."""
    with db.unit_of_work(db.session_factory(engine)) as session:
        declaration = session.get(Declaration, declaration_id)
        assert declaration is not None
        for step in (DeclarationStatus.TRANSMITTING, DeclarationStatus.TRANSMISSION_FAILED):
            timeline.advance(session, declaration, step, at=clock.now(), message="refusé")
        session.execute(sa.text("UPDATE transmission_job SET status = 'failed', attempts = 7"))


def test_a_failed_transmission_can_be_ordered_again_as_a_new_order(
    db_engine: Engine, clock: FrozenClock
) -> None:
    principal, declaration_id = _declaration(db_engine, clock)
    _order(db_engine, clock, principal, declaration_id)
    _fail_it(db_engine, declaration_id, clock)

    clock.advance(timedelta(hours=1))
    read = _order(db_engine, clock, principal, declaration_id)

    assert read.status == DeclarationStatus.ORDERED
    assert read.ordered_at == clock.now()
    with db_engine.connect() as connection:
        job = connection.execute(
            sa.text("SELECT status, attempts, last_error FROM transmission_job")
        ).one()
    assert tuple(job) == ("queued", 0, None)
    with Session(db_engine) as session:
        events = session.exec(
            select(DeclarationEvent).order_by(col(DeclarationEvent.id))
        ).all()
    assert [e.status for e in events][-2:] == ["transmission_failed", "ordered"]
    assert events[-1].detail == {"again": True} and events[-1].user_id == principal.user_id
    with pytest.raises(AlreadyOrdered):  # once queued again, not twice
        _order(db_engine, clock, principal, declaration_id)


def test_the_operator_orders_a_failed_transmission_again(
    db_engine: Engine, clock: FrozenClock
) -> None:
    principal, declaration_id = _declaration(db_engine, clock)
    _order(db_engine, clock, principal, declaration_id)
    with db.unit_of_work(db.session_factory(db_engine)) as session, pytest.raises(
        NotTransmittable
    ):
        ordering.order_again_by_operator(
            session, declaration_id=declaration_id, clock=clock, keyring=KEYRING
        )
    _fail_it(db_engine, declaration_id, clock)
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        ordering.order_again_by_operator(
            session, declaration_id=declaration_id, clock=clock, keyring=KEYRING
        )
    with Session(db_engine) as session:
        last = session.exec(
            select(DeclarationEvent).order_by(col(DeclarationEvent.id).desc())
        ).first()
    assert last is not None
    assert (last.status, last.detail, last.user_id) == (
        "ordered",
        {"again": True, "by_operator": True},
        None,
    )


def test_two_simultaneous_orders_again_queue_the_job_once(
    db_engine: Engine, clock: FrozenClock
) -> None:
    principal, declaration_id = _declaration(db_engine, clock)
    _order(db_engine, clock, principal, declaration_id)
    _fail_it(db_engine, declaration_id, clock)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def order_again() -> None:
        start.wait()
        try:
            _order(db_engine, clock, principal, declaration_id)
            outcomes.append("ordered")
        except (AlreadyOrdered, NotTransmittable, IllegalTransition):
            outcomes.append("refused")
        except sa.exc.OperationalError:  # SQLite: the second writer may find the file locked
            outcomes.append("refused")

    threads = [threading.Thread(target=order_again) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["ordered", "refused"]
    with Session(db_engine) as session:
        orders = session.exec(
            select(DeclarationEvent).where(DeclarationEvent.status == "ordered")
        ).all()
    assert len(orders) == 2  # the first order, and exactly one new one
