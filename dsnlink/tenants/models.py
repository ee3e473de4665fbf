"""Tables of the tenant model (vocabulary of docs: tenant, company, establishment, declarant)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsnlink.db import UTCDateTime


class Formula(StrEnum):
    """The support formula signed by the tenant."""

    OPEN = "open"
    PRIVATE = "private"


class Role(StrEnum):
    SAAS_ADMIN = "saas_admin"
    EXTERNAL_SAAS_ADMIN = "external_saas_admin"
    USER = "user"

    @property
    def is_admin(self) -> bool:
        return self is not Role.USER


class AdministratorChangeKind(StrEnum):
    GRANTED = "granted"
    REVOKED = "revoked"


class Tenant(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    offering: str = Field(max_length=64)
    formula: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime)
    activated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "email"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    email: str = Field(max_length=320)
    role: str = Field(max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    password_hash: str | None = Field(
        default=None, max_length=256, description="scrypt hash for the dashboard's sign-in"
    )
    session_version: int = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="dashboard sessions carry it; sign-out bumps it, ending them all",
    )


class UserCompany(SQLModel, table=True):
    """A company a restricted user may see (a client company's own dossiers); a user with no
    row here sees every company of the tenant."""

    __tablename__ = "app_user_company"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True)
    company_id: uuid.UUID = Field(foreign_key="company.id", primary_key=True, index=True)


class AdministratorChange(SQLModel, table=True):
    """Audit trail: every time someone becomes or stops being an administrator."""

    __tablename__ = "administrator_change"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    kind: str = Field(max_length=16)
    role: str = Field(max_length=32)
    changed_by_user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    changed_at: datetime = Field(sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    created_by_user_id: uuid.UUID | None = Field(
        default=None, description="the administrator who minted it (an app_user id)"
    )
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16, sa_column_kwargs={"unique": True})
    key_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    scopes: list[str] | None = Field(
        default=None, sa_type=sa.JSON, description="read/upload/transmit/admin; None: every scope"
    )


class Declarant(SQLModel, table=True):
    """A net-entreprises identity (SIRET, nom, prénom, password) filing DSN for companies.

    Nom and prénom name a person: like the password they are Fernet tokens under the master keys.
    """

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    siret: str = Field(max_length=14)
    nom_encrypted: str = Field(sa_type=sa.Text)
    prenom_encrypted: str = Field(sa_type=sa.Text)
    password_encrypted: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    identity_key: str | None = Field(
        default=None,
        max_length=64,
        index=True,
        description="HMAC of the normalised SIRET, nom, prénom (transmission/identity.py); "
        "cleared when they change",
    )
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    check_status: str | None = Field(
        default=None, max_length=16, description="ok, unknown, locked, rejected or unreachable"
    )
    check_message: str | None = Field(default=None, sa_type=sa.Text)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Company(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("tenant_id", "siren"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    siren: str = Field(max_length=9)
    name: str = Field(max_length=200)
    due_day: int
    declarant_id: uuid.UUID | None = Field(default=None, foreign_key="declarant.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class Establishment(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("tenant_id", "siret"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    company_id: uuid.UUID = Field(foreign_key="company.id", index=True)
    nic: str = Field(max_length=5)
    siret: str = Field(max_length=14)
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)


class TenantLimit(SQLModel, table=True):
    """The operator's override of one of the offering's limits for one tenant."""

    __tablename__ = "tenant_limit"

    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", primary_key=True)
    name: str = Field(primary_key=True, max_length=32)
    value: int
    set_at: datetime = Field(sa_type=UTCDateTime)
