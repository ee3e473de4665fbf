"""Migration 0008_integ and the models agree on the integration tables; it goes down and up."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from dsnlink import models

INTEG_TABLES = frozenset(
    {
        "idempotency_key",
        "webhook_endpoint",
        "webhook_delivery",
        "webhook_attempt",
        "webhook_cursor",
        "declaration_access",
    }
)


def test_integration_tables_match_their_migration(db_engine: Engine) -> None:
    def mine(name: str | None, type_: str, parent_names: object) -> bool:
        return type_ != "table" or name in INTEG_TABLES

    def my_object(obj: object, name: str | None, type_: str, *_: object) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or getattr(table, "name", None) in INTEG_TABLES

    with db_engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": mine, "include_object": my_object}
        )
        assert compare_metadata(context, models.metadata) == []
