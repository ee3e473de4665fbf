"""Migration 0007 seals the personal data already stored (anomalies, returns) and unseals it on
the way down, without losing a value; without a master key it changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from dsnlink import db
from dsnlink.config import get_settings
from dsnlink.declarations.models import Declaration, DeclarationEvent
from dsnlink.declarations.tracking import declaration_anomalies, event_detail
from dsnlink.security.errors import KeyConfigurationError
from dsnlink.security.keys import Keyring
from dsnlink.tenants import declarants
from dsnlink.tenants.models import Declarant
from dsnlink.transmission import views as transmission_views
from dsnlink.transmission.models import DepositAttempt
from tests.conftest import BACKENDS

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NIR = "1850775123456"
ANOMALIES = [
    {
        "id": "DSNLINK-VAL-01",
        "category": "bloquant",
        "message": "Longueur 14 hors des bornes 13 à 13 de la rubrique.",
        "line": 42,
        "rubric": "S21.G00.30.001",
        "value": NIR + "9",
    },
    {
        "id": "X",
        "category": "non-bloquant",
        "message": "m",
        "line": 43,
        "rubric": "S21.G00.30.002",
        "value": "Lemaître",
    },
]
RETURN_ANOMALIES = [{"code": "ADR05", "message": "localité", "valeur": "Bordeau"}]
EVENT_DETAIL = {"return_id": "R1", "idflux": "F1", "anomalies": RETURN_ANOMALIES}
XML = f"<rapport><salarie><NIR>{NIR}</NIR><nom>Lemaître</nom></salarie></rapport>"
PARSED = {"kind": "CRM", "withholding_rates": [{"nir": NIR, "taux": "14.00"}]}


def _table(table_name: str, /, **columns: sa.types.TypeEngine[Any]) -> sa.TableClause:
    return sa.table(table_name, *(sa.column(k, v) for k, v in columns.items()))


def _seed(engine: sa.Engine) -> dict[str, Any]:
    """A tenant with one declaration of each kind, at revision 0006."""
    ids = {name: uuid.uuid4() for name in ("tenant", "user", "company", "est", "declarant")}
    ids |= {"declaration": uuid.uuid4(), "clean": uuid.uuid4()}
    u, s, j, t, i, b = (
        sa.Uuid(),
        sa.String(),
        sa.JSON(),
        sa.DateTime(True),
        sa.Integer(),
        sa.Boolean(),
    )
    rows: list[tuple[sa.TableClause, dict[str, Any]]] = [
        (
            _table("tenant", id=u, name=s, offering=s, formula=s, created_at=t),
            {
                "id": ids["tenant"],
                "name": "A",
                "offering": "o",
                "formula": "open",
                "created_at": NOW,
            },
        ),
        (
            _table("app_user", id=u, tenant_id=u, email=s, role=s, created_at=t),
            {
                "id": ids["user"],
                "tenant_id": ids["tenant"],
                "email": "a@a.example",
                "role": "admin",
                "created_at": NOW,
            },
        ),
        (
            _table("company", id=u, tenant_id=u, siren=s, name=s, due_day=i, created_at=t),
            {
                "id": ids["company"],
                "tenant_id": ids["tenant"],
                "siren": "732829320",
                "name": "C",
                "due_day": 5,
                "created_at": NOW,
            },
        ),
        (
            _table(
                "establishment",
                id=u,
                tenant_id=u,
                company_id=u,
                nic=s,
                siret=s,
                name=s,
                created_at=t,
            ),
            {
                "id": ids["est"],
                "tenant_id": ids["tenant"],
                "company_id": ids["company"],
                "nic": "00074",
                "siret": "73282932000074",
                "name": "E",
                "created_at": NOW,
            },
        ),
        (
            _table(
                "declarant",
                id=u,
                tenant_id=u,
                siret=s,
                nom=s,
                prenom=s,
                password_encrypted=s,
                created_at=t,
            ),
            {
                "id": ids["declarant"],
                "tenant_id": ids["tenant"],
                "siret": "73282932000074",
                "nom": "MARTIN",
                "prenom": "CLAIRE",
                "password_encrypted": "x",
                "created_at": NOW,
            },
        ),
    ]
    declaration = _table(
        "declaration",
        id=u,
        tenant_id=u,
        company_id=u,
        establishment_id=u,
        status=s,
        nature=s,
        type=s,
        month=s,
        individuals=i,
        sha256=s,
        size=i,
        blob_path=s,
        blob_wrapped_key=s,
        anomalies=j,
        anomaly_count=i,
        received_at=t,
        guaranteed=b,
        late=b,
        received_by_user_id=u,
        receipt_signature=s,
        receipt_key_id=s,
    )
    for key, anomalies in (("declaration", ANOMALIES), ("clean", [])):
        rows.append(
            (
                declaration,
                {
                    "id": ids[key],
                    "tenant_id": ids["tenant"],
                    "company_id": ids["company"],
                    "establishment_id": ids["est"],
                    "status": "rejected",
                    "nature": "01",
                    "type": "01",
                    "month": "2026-10",
                    "individuals": 1,
                    "sha256": key,
                    "size": 1,
                    "blob_path": "p",
                    "blob_wrapped_key": "k",
                    "anomalies": anomalies,
                    "anomaly_count": len(anomalies),
                    "received_at": NOW,
                    "guaranteed": True,
                    "late": False,
                    "received_by_user_id": ids["user"],
                    "receipt_signature": "s",
                    "receipt_key_id": "k",
                },
            )
        )
    event = _table("declaration_event", id=i, declaration_id=u, status=s, at=t, detail=j)
    rows += [
        (
            event,
            {
                "id": 1,
                "declaration_id": ids["declaration"],
                "status": "received",
                "at": NOW,
                "detail": {"size": 1},
            },
        ),
        (
            event,
            {
                "id": 2,
                "declaration_id": ids["declaration"],
                "status": "anomalies",
                "at": NOW,
                "detail": EVENT_DETAIL,
            },
        ),
        (
            _table(
                "deposit_attempt",
                id=i,
                declaration_id=u,
                declarant_id=u,
                worker_id=s,
                started_at=t,
                sent_at=t,
                outcome=s,
                detail=j,
            ),
            {
                "id": 1,
                "declaration_id": ids["declaration"],
                "declarant_id": ids["declarant"],
                "worker_id": "w",
                "started_at": NOW,
                "sent_at": NOW,
                "outcome": "refused",
                "detail": {"anomalies": RETURN_ANOMALIES},
            },
        ),
        (
            _table(
                "deposit_return",
                id=i,
                declaration_id=u,
                idflux=s,
                nature=s,
                ops=s,
                return_id=s,
                downloaded_at=t,
                versions=i,
                xml=sa.Text(),
                parsed=j,
            ),
            {
                "id": 1,
                "declaration_id": ids["declaration"],
                "idflux": "F1",
                "nature": "94",
                "ops": "",
                "return_id": "R1",
                "downloaded_at": NOW,
                "versions": 1,
                "xml": XML,
                "parsed": PARSED,
            },
        ),
    ]
    with engine.begin() as connection:
        for table, values in rows:
            connection.execute(sa.insert(table).values(**values))
    return ids


def _everything(engine: sa.Engine, tables: tuple[str, ...]) -> str:
    with engine.connect() as connection:
        return "\n".join(
            repr(tuple(row))
            for table in tables
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"'))
        )


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A throwaway empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.sqlite3'}"
        return
    admin: sa.Engine = request.getfixturevalue("postgres_admin")
    name = f"dsnlink_m7_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(str(admin.url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Keyring]:
    """The settings the migration reads: a test environment with one master key."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("DSNLINK_ENVIRONMENT", "test")
    monkeypatch.setenv("DSNLINK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DSNLINK_ENCRYPTION_KEYS", key)
    get_settings.cache_clear()
    yield Keyring.from_text(key)
    get_settings.cache_clear()


def test_personal_data_is_sealed_on_upgrade_and_restored_on_downgrade(
    url: str, keys: Keyring
) -> None:
    db.upgrade(url, "0006")
    engine = db.create_db_engine(url)
    ids = _seed(engine)
    tables = ("declaration", "declaration_event", "deposit_attempt", "deposit_return", "declarant")

    db.upgrade(url)
    sealed_dump = _everything(engine, tables)
    with Session(engine) as session:
        declaration = session.get(Declaration, ids["declaration"])
        clean = session.get(Declaration, ids["clean"])
        assert declaration is not None and clean is not None
        opened = declaration_anomalies(declaration, keyring=keys)
        opened_clean = declaration_anomalies(clean, keyring=keys)
        details = [
            event_detail(e, keyring=keys)
            for e in session.exec(select(DeclarationEvent).order_by(col(DeclarationEvent.id)))
        ]
        clear_event = session.get(DeclarationEvent, 2)
        assert clear_event is not None
        clear_detail = dict(clear_event.detail)
        attempt = session.get(DepositAttempt, 1)
        assert attempt is not None and attempt.detail_sealed is not None
        attempt_detail = keys.open_json(attempt.detail_sealed)
        xml = transmission_views.get_return_xml(
            session, declaration_id=ids["declaration"], return_id="R1", keyring=keys
        )
        view = transmission_views.get_transmission_view(
            session, declaration_id=ids["declaration"], keyring=keys
        )
        stored_declarant = session.get(Declarant, ids["declarant"])
        assert stored_declarant is not None
        names = declarants.declarant_names(stored_declarant, keyring=keys)

    command.downgrade(db.alembic_config(url), "0006")
    restored = _everything(engine, tables)
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("deposit_return")}
        anomalies = connection.execute(
            sa.select(sa.column("anomalies", sa.JSON()))
            .select_from(sa.table("declaration"))
            .where(sa.column("sha256") == "declaration")
        ).scalar_one()
    engine.dispose()

    for secret in (NIR, "Lemaître", "Bordeau", "MARTIN", "CLAIRE"):
        assert secret not in sealed_dump, secret
    assert opened == ANOMALIES and opened_clean == []
    assert details == [{"size": 1}, EVENT_DETAIL]
    assert clear_detail == {"return_id": "R1", "idflux": "F1"}
    assert attempt_detail == {"anomalies": RETURN_ANOMALIES}
    assert xml == XML
    assert view.returns[0].anomalies == []  # PARSED has no anomalies, only rates
    assert names == ("MARTIN", "CLAIRE")
    assert all(value in restored for value in (NIR, "Bordeau", "MARTIN", "CLAIRE"))
    assert {"xml", "parsed"} <= columns and "xml_sealed" not in columns
    assert anomalies == ANOMALIES


def test_without_a_key_the_upgrade_stops_before_changing_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DSNLINK_ENVIRONMENT", "production")
    monkeypatch.setenv("DSNLINK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DSNLINK_ENCRYPTION_KEYS", raising=False)
    get_settings.cache_clear()
    try:
        empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        db.upgrade(empty)  # nothing to encrypt: no key needed
        url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
        db.upgrade(url, "0006")
        engine = db.create_db_engine(url)
        _seed(engine)
        with pytest.raises(KeyConfigurationError, match="Nothing was changed"):
            db.upgrade(url)
        revision = db.current_revision(engine)
        with engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("declaration")}
        engine.dispose()
    finally:
        get_settings.cache_clear()
    assert revision == "0006"
    assert "anomalies" in columns and "anomalies_sealed" not in columns
