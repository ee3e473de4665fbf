"""Tables of the transmission: every deposit attempt, the per-declarant lease, deposited flows
and the returns the deposit point published for them.

`deposit_attempt` is the intent log of the exactly-once protocol (docs/transmission.md): a row in
state `sending` is committed before the POST leaves, so a crash between the POST and its result
is seen by the next worker and reconciled instead of being sent again.

Columns named `*_sealed` hold what may name an employee (a return's XML and parsed content: NIRs,
names, anomalies quoting values) as Fernet tokens under the master keys (security/keys.py);
the services seal and open them with the keyring of their context.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsnlink.db import UTCDateTime


class AttemptState(StrEnum):
    """How one deposit attempt stands."""

    SENDING = "sending"  # intent committed, POST about to leave or in flight
    ACCEPTED = "accepted"  # AEE: the flow exists, idflux known
    REFUSED = "refused"  # ARE: the deposit point refused the file
    NOT_SENT = "not_sent"  # surely never left (connection refused, login failed...)
    AMBIGUOUS = "ambiguous"  # may have been received: reconciliation in progress
    RECONCILED = "reconciled"  # was received after all: found in lister-depots
    LOST = "lost"  # confirmed absent from lister-depots after the grace period
    FAILED = "failed"  # permanent error, or given up after the maximum age

    @property
    def unresolved(self) -> bool:
        """The deposit may exist: nothing may be sent for this declarant until it is resolved."""
        return self in {AttemptState.SENDING, AttemptState.AMBIGUOUS}


class DepositAttempt(SQLModel, table=True):
    """One try at depositing a declaration (one row per POST, even the ones that never left)."""

    __tablename__ = "deposit_attempt"

    id: int | None = Field(default=None, primary_key=True)
    declaration_id: uuid.UUID = Field(foreign_key="declaration.id", index=True)
    declarant_id: uuid.UUID = Field(foreign_key="declarant.id", index=True)
    worker_id: str = Field(max_length=200)
    started_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str = Field(max_length=16, index=True)
    http_status: int | None = None
    duration_ms: int | None = None
    error: str | None = Field(default=None, sa_type=sa.Text)
    idflux: str | None = Field(default=None, max_length=50)
    detail_sealed: bytes | None = Field(
        default=None, sa_type=sa.LargeBinary, description="sealed JSON: an ARE's anomalies"
    )


class IdentityLease(SQLModel, table=True):
    """Which declaration may have a deposit in flight for a net-entreprises identity (at most
    one, whichever tenant and declarant row it comes through; transmission/identity.py).

    Held by a declaration, not a worker: it survives a crash and is released only once that
    declaration's deposit is resolved (accepted, refused, surely not sent, or given up).
    """

    __tablename__ = "identity_lease"

    identity_key: str = Field(max_length=64, primary_key=True)
    declaration_id: uuid.UUID | None = Field(default=None, foreign_key="declaration.id")
    taken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DepositedFlow(SQLModel, table=True):
    """A flow the deposit point holds for one of our declarations (one flow per declaration)."""

    __tablename__ = "deposited_flow"

    idflux: str = Field(max_length=50, primary_key=True)
    declaration_id: uuid.UUID = Field(
        foreign_key="declaration.id", sa_column_kwargs={"unique": True}
    )
    declarant_id: uuid.UUID = Field(foreign_key="declarant.id", index=True)
    deposited_at: datetime = Field(sa_type=UTCDateTime)
    reconciled: bool = False
    settled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class DepositReturn(SQLModel, table=True):
    """A return (retour) of a flow; upserted by (idflux, nature, ops, délégataire): a body
    overwrites its own return; an unreadable one is kept raw and quarantined (`readable`)."""

    __tablename__ = "deposit_return"
    __table_args__ = (sa.UniqueConstraint("idflux", "nature", "ops", "delegataire"),)

    id: int | None = Field(default=None, primary_key=True)
    declaration_id: uuid.UUID = Field(foreign_key="declaration.id", index=True)
    idflux: str = Field(max_length=50)
    nature: str = Field(max_length=4)
    ops: str = Field(default="", max_length=64, description="the body (organisme); '' if none")
    delegataire: str = Field(
        default="", max_length=64, description="the body's délégataire that produced it; '' if none"
    )
    status: str | None = Field(default=None, max_length=8, description="OK, ANO or KO")
    return_id: str = Field(max_length=10)
    kind: str | None = Field(default=None, max_length=16)
    label: str | None = Field(default=None, max_length=200)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    produced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    downloaded_at: datetime = Field(sa_type=UTCDateTime)
    versions: int = 1
    schema_valid: bool | None = None
    readable: bool = Field(default=True, description="False: quarantined, `error` says why")
    error: str | None = Field(default=None, sa_type=sa.Text)
    organism: str | None = Field(default=None, max_length=120)
    crm_code: int | None = None
    xml_sealed: bytes = Field(
        sa_type=sa.LargeBinary, description="the XML document's bytes, sealed"
    )
    parsed_sealed: bytes = Field(
        sa_type=sa.LargeBinary, description="the parsed return (ParsedReturn as JSON), sealed"
    )


class ReturnsCursor(SQLModel, table=True):
    """How far the concentrator-wide returns listing has been read (one row)."""

    __tablename__ = "returns_cursor"

    name: str = Field(max_length=32, primary_key=True)
    listed_until: datetime = Field(sa_type=UTCDateTime)
