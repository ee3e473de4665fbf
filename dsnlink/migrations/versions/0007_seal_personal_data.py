"""security: personal data of declarations, returns and declarants sealed with the master keys

Anomalies quote rubric values (NIR, names, birth dates...), returns name employees: they move
from clear columns to Fernet tokens (`*_sealed`) under the keys of DSNLINK_ENCRYPTION_KEYS; a
declarant's nom and prénom become Fernet text like its password (`*_encrypted`).
Existing rows are encrypted on the way up and decrypted on the way down. The keyring is built
from the settings only when there is something to encrypt; without a key the migration stops
before changing anything.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from dsnlink.security.keys import Keyring

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAGE = 500

declaration = sa.table(
    "declaration",
    sa.column("id", sa.Uuid()),
    sa.column("anomalies", sa.JSON()),
    sa.column("anomalies_sealed", sa.LargeBinary()),
)
declaration_event = sa.table(
    "declaration_event",
    sa.column("id", sa.Integer()),
    sa.column("detail", sa.JSON()),
    sa.column("detail_sealed", sa.LargeBinary()),
)
deposit_attempt = sa.table(
    "deposit_attempt",
    sa.column("id", sa.Integer()),
    sa.column("detail", sa.JSON()),
    sa.column("detail_sealed", sa.LargeBinary()),
)
declarant = sa.table(
    "declarant",
    sa.column("id", sa.Uuid()),
    sa.column("nom", sa.String(64)),
    sa.column("prenom", sa.String(39)),
    sa.column("nom_encrypted", sa.Text()),
    sa.column("prenom_encrypted", sa.Text()),
)
deposit_return = sa.table(
    "deposit_return",
    sa.column("id", sa.Integer()),
    sa.column("xml", sa.Text()),
    sa.column("parsed", sa.JSON()),
    sa.column("xml_sealed", sa.LargeBinary()),
    sa.column("parsed_sealed", sa.LargeBinary()),
)


def _keyring_if_needed(connection: sa.Connection) -> Keyring | None:
    """The master keys, when some declaration or declarant exists (every sealed row hangs off
    one of them)."""
    if not any(
        connection.execute(sa.select(table.c.id).limit(1)).first() is not None
        for table in (declaration, declarant)
    ):
        return None
    from dsnlink.config import get_settings
    from dsnlink.security.errors import KeyConfigurationError
    from dsnlink.security.keys import keyring_from_settings

    try:
        return keyring_from_settings(get_settings())
    except KeyConfigurationError as exc:
        raise KeyConfigurationError(
            "migration 0007 encrypts the personal data already stored and needs the master keys: "
            f"{exc}. Nothing was changed; set DSNLINK_ENCRYPTION_KEYS (the keys the gateway "
            "runs with) and run the upgrade again."
        ) from exc


def _seal(keyring: Keyring, value: Any) -> bytes:
    return keyring.encrypt(json.dumps(value, ensure_ascii=False).encode())


def _open(keyring: Keyring, token: bytes) -> Any:
    return json.loads(keyring.decrypt(bytes(token)))


def _rows(
    connection: sa.Connection, table: sa.TableClause, *columns: str, where: Any = None
) -> Iterator[tuple[Any, ...]]:
    """Every row of `table`, a page at a time in primary-key order (bounded memory)."""
    key = table.c.id
    last = None
    while True:
        query = sa.select(key, *(table.c[name] for name in columns)).order_by(key).limit(PAGE)
        if where is not None:
            query = query.where(where)
        if last is not None:
            query = query.where(key > last)
        page = connection.execute(query).all()
        if not page:
            return
        yield from (tuple(row) for row in page)
        last = page[-1][0]


def _mentions_anomalies(column: sa.ColumnClause[Any]) -> Any:
    return sa.cast(column, sa.Text()).like('%"anomalies"%')


def upgrade() -> None:
    connection = op.get_bind()
    keyring = _keyring_if_needed(connection)

    op.add_column("declaration", sa.Column("anomalies_sealed", sa.LargeBinary(), nullable=True))
    op.add_column("declaration_event", sa.Column("detail_sealed", sa.LargeBinary(), nullable=True))
    op.add_column("deposit_attempt", sa.Column("detail_sealed", sa.LargeBinary(), nullable=True))
    op.add_column("deposit_return", sa.Column("xml_sealed", sa.LargeBinary(), nullable=True))
    op.add_column("deposit_return", sa.Column("parsed_sealed", sa.LargeBinary(), nullable=True))
    # declarant is referenced by other tables: SQLite cannot recreate it, so its NOT NULL columns
    # come with a default, filled below.
    _add_not_null("declarant", "nom_encrypted", sa.Text(), "''")
    _add_not_null("declarant", "prenom_encrypted", sa.Text(), "''")
    _drop_defaults([("declarant", "nom_encrypted"), ("declarant", "prenom_encrypted")])

    if keyring is not None:
        for row_id, nom, prenom in _rows(connection, declarant, "nom", "prenom"):
            connection.execute(
                sa.update(declarant)
                .where(declarant.c.id == row_id)
                .values(
                    nom_encrypted=keyring.encrypt_text(nom),
                    prenom_encrypted=keyring.encrypt_text(prenom),
                )
            )
        for row_id, anomalies in _rows(connection, declaration, "anomalies"):
            connection.execute(
                sa.update(declaration)
                .where(declaration.c.id == row_id)
                .values(anomalies_sealed=_seal(keyring, anomalies or []))
            )
        for row_id, detail in _rows(
            connection,
            declaration_event,
            "detail",
            where=_mentions_anomalies(declaration_event.c.detail),
        ):
            if not isinstance(detail, dict) or "anomalies" not in detail:
                continue
            clear = {k: v for k, v in detail.items() if k != "anomalies"}
            connection.execute(
                sa.update(declaration_event)
                .where(declaration_event.c.id == row_id)
                .values(
                    detail=clear,
                    detail_sealed=_seal(keyring, {"anomalies": detail["anomalies"]}),
                )
            )
        for row_id, detail in _rows(connection, deposit_attempt, "detail"):
            if detail:
                connection.execute(
                    sa.update(deposit_attempt)
                    .where(deposit_attempt.c.id == row_id)
                    .values(detail_sealed=_seal(keyring, detail))
                )
        for row_id, xml, parsed in _rows(connection, deposit_return, "xml", "parsed"):
            connection.execute(
                sa.update(deposit_return)
                .where(deposit_return.c.id == row_id)
                .values(
                    xml_sealed=keyring.encrypt((xml or "").encode("utf-8")),
                    parsed_sealed=_seal(keyring, parsed or {}),
                )
            )

    # Plain columns: SQLite (≥ 3.35) drops them in place, without recreating referenced tables.
    op.drop_column("declaration", "anomalies")
    op.drop_column("deposit_attempt", "detail")
    op.drop_column("declarant", "nom")
    op.drop_column("declarant", "prenom")
    # Nothing references deposit_return, so SQLite may recreate it to make the columns NOT NULL.
    with op.batch_alter_table("deposit_return") as batch_op:
        batch_op.alter_column("xml_sealed", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column("parsed_sealed", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("xml")
        batch_op.drop_column("parsed")


def _add_not_null(table: str, column: str, type_: sa.types.TypeEngine[Any], default: str) -> None:
    """A NOT NULL column on a filled table: added with a default, the default dropped where the
    database can do it in place (SQLite keeps it; nothing relies on it)."""
    op.add_column(table, sa.Column(column, type_, nullable=False, server_default=sa.text(default)))


def _drop_defaults(columns: Sequence[tuple[str, str]]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column in columns:
        op.alter_column(table, column, server_default=None)


def downgrade() -> None:
    connection = op.get_bind()
    keyring = _keyring_if_needed(connection)

    _add_not_null("declaration", "anomalies", sa.JSON(), "'[]'")
    _add_not_null("deposit_attempt", "detail", sa.JSON(), "'{}'")
    _add_not_null("deposit_return", "xml", sa.Text(), "''")
    _add_not_null("deposit_return", "parsed", sa.JSON(), "'{}'")
    _add_not_null("declarant", "nom", sa.String(length=64), "''")
    _add_not_null("declarant", "prenom", sa.String(length=39), "''")
    _drop_defaults(
        [
            ("declarant", "nom"),
            ("declarant", "prenom"),
            ("declaration", "anomalies"),
            ("deposit_attempt", "detail"),
            ("deposit_return", "xml"),
            ("deposit_return", "parsed"),
        ]
    )

    if keyring is not None:
        for row_id, nom, prenom in _rows(
            connection, declarant, "nom_encrypted", "prenom_encrypted"
        ):
            connection.execute(
                sa.update(declarant)
                .where(declarant.c.id == row_id)
                .values(nom=keyring.decrypt_text(nom), prenom=keyring.decrypt_text(prenom))
            )
        for row_id, token in _rows(
            connection,
            declaration,
            "anomalies_sealed",
            where=declaration.c.anomalies_sealed.is_not(None),
        ):
            connection.execute(
                sa.update(declaration)
                .where(declaration.c.id == row_id)
                .values(anomalies=_open(keyring, token))
            )
        for row_id, detail, token in _rows(
            connection,
            declaration_event,
            "detail",
            "detail_sealed",
            where=declaration_event.c.detail_sealed.is_not(None),
        ):
            connection.execute(
                sa.update(declaration_event)
                .where(declaration_event.c.id == row_id)
                .values(detail=dict(detail or {}) | _open(keyring, token))
            )
        for row_id, token in _rows(
            connection,
            deposit_attempt,
            "detail_sealed",
            where=deposit_attempt.c.detail_sealed.is_not(None),
        ):
            connection.execute(
                sa.update(deposit_attempt)
                .where(deposit_attempt.c.id == row_id)
                .values(detail=_open(keyring, token))
            )
        for row_id, xml_token, parsed_token in _rows(
            connection, deposit_return, "xml_sealed", "parsed_sealed"
        ):
            connection.execute(
                sa.update(deposit_return)
                .where(deposit_return.c.id == row_id)
                .values(
                    xml=keyring.decrypt(bytes(xml_token)).decode("utf-8", errors="replace"),
                    parsed=_open(keyring, parsed_token),
                )
            )

    op.drop_column("declaration", "anomalies_sealed")
    op.drop_column("declaration_event", "detail_sealed")
    op.drop_column("deposit_attempt", "detail_sealed")
    op.drop_column("deposit_return", "xml_sealed")
    op.drop_column("deposit_return", "parsed_sealed")
    op.drop_column("declarant", "nom_encrypted")
    op.drop_column("declarant", "prenom_encrypted")
