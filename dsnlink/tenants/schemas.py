"""Input and output shapes of tenants, users, API keys, companies and declarants."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from dsnlink.inputs import InputModel
from dsnlink.tenants.models import Formula, Role

DueDay = Literal[5, 15, 20]
# Stored lower-cased, so that finding a user by e-mail never depends on a database's lower()
# (SQLite's folds ASCII only).
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        max_length=320,
        pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$",
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Scope(StrEnum):
    """What an API key may do: read (GET), upload and delete declarations, order transmissions,
    administer (every other write: companies, users, keys, webhooks, declarants)."""

    READ = "read"
    UPLOAD = "upload"
    TRANSMIT = "transmit"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user an API key belongs to, acting with that user's role.

    `company_ids` is the user's company scope: None sees every company of the tenant; a set
    (a client company's user) sees only those companies' dossiers.
    """

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    api_key_id: uuid.UUID | None = None
    company_ids: frozenset[uuid.UUID] | None = None
    # What the API key may do; None: everything its user's role allows (a session, an old key).
    scopes: frozenset[str] | None = None

    def may(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def may_see(self, company_id: uuid.UUID) -> bool:
        return self.company_ids is None or company_id in self.company_ids


class _Input(InputModel):
    pass


class TenantRead(BaseModel):
    id: uuid.UUID
    name: str
    offering: str
    formula: Formula
    payslips_per_company_per_year: int | None = Field(
        description="the limit in force: the operator's override, else the offering's"
    )
    created_at: datetime
    activated_at: datetime | None = Field(description="when the first API key was generated")


CompanyScope = Annotated[
    list[uuid.UUID],
    Field(
        max_length=10_000,
        description="companies the user may see (a client company's user); empty: every company."
        " Only for the role `user`",
    ),
]
Password = Annotated[
    SecretStr,
    Field(min_length=12, max_length=256, description="dashboard sign-in password (12+ chars)"),
]


class UserCreate(_Input):
    email: Email
    role: Role = Role.USER
    company_ids: CompanyScope = Field(default_factory=list)
    password: Password | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"email": "paie@example.fr", "role": "user"},
                {
                    "email": "gerant@client.example",
                    "role": "user",
                    "company_ids": ["0b5e4c8e-6f53-4f6c-9a7e-0c7a1d2b3c4d"],
                },
            ]
        },
    )


class UserUpdate(_Input):
    company_ids: CompanyScope | None = None
    password: Password | None = None


class UserRead(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    company_ids: list[uuid.UUID] = Field(
        default_factory=list, description="the user's company scope; empty: every company"
    )
    has_password: bool = Field(default=False, description="may sign in to the dashboard")
    created_at: datetime


class AdministratorChangeRead(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    role: Role
    changed_by_user_id: uuid.UUID | None
    changed_at: datetime


class ApiKeyCreate(_Input):
    name: Name = "default"
    user_id: uuid.UUID | None = Field(
        default=None, description="the user the key acts as; default: the caller"
    )
    scopes: list[Scope] | None = Field(
        default=None,
        min_length=1,
        description="read, upload, transmit, admin; default: every scope",
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="after this moment the key is refused; default: never"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "payroll software", "scopes": ["read", "upload", "transmit"]}]
        },
    )


class ApiKeyRead(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    user_id: uuid.UUID
    created_by_user_id: uuid.UUID | None = Field(
        default=None, description="the administrator who created the key"
    )
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = None
    scopes: list[str] | None = Field(default=None, description="None: every scope")


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="the key itself: shown once, never again")


class EstablishmentCreate(_Input):
    nic: Annotated[str, StringConstraints(pattern=r"^\d{5}$")]
    name: Name


class EstablishmentRead(BaseModel):
    id: uuid.UUID
    nic: str
    siret: str
    name: str


class CompanyCreate(_Input):
    siren: Annotated[str, StringConstraints(pattern=r"^\d{9}$")]
    name: Name
    due_day: DueDay = Field(description="day of month M+1 the monthly DSN is due: 5, 15 or 20")
    establishments: list[EstablishmentCreate] = Field(default_factory=list, max_length=1000)
    declarant_id: uuid.UUID | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "siren": "732829320",
                    "name": "Boulangerie Martin",
                    "due_day": 15,
                    "establishments": [{"nic": "00074", "name": "Siège"}],
                }
            ]
        },
    )


class CompanyUpdate(_Input):
    name: Name | None = None
    due_day: DueDay | None = None
    declarant_id: uuid.UUID | None = None
    establishments: list[EstablishmentCreate] = Field(
        default_factory=list, max_length=1000, description="establishments to add"
    )


class CompanyRead(BaseModel):
    id: uuid.UUID
    siren: str
    name: str
    due_day: int
    declarant_id: uuid.UUID | None
    establishments: list[EstablishmentRead]
    created_at: datetime


class DeclarantCreate(_Input):
    siret: Annotated[str, StringConstraints(pattern=r"^\d{14}$")]
    nom: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    prenom: Annotated[str, StringConstraints(min_length=1, max_length=39)]
    password: SecretStr = Field(min_length=1, max_length=30)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "siret": "73282932000074",
                    "nom": "MARTIN",
                    "prenom": "CLAIRE",
                    "password": "s3cret-net-ent",
                }
            ]
        },
    )


class DeclarantUpdate(_Input):
    """What changes; the password is re-encrypted, and the identity must be checked again."""

    siret: Annotated[str, StringConstraints(pattern=r"^\d{14}$")] | None = None
    nom: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    prenom: Annotated[str, StringConstraints(min_length=1, max_length=39)] | None = None
    password: SecretStr | None = Field(default=None, min_length=1, max_length=30)

    model_config = ConfigDict(extra="forbid")


class DeclarantRead(BaseModel):
    id: uuid.UUID
    siret: str
    nom: str
    prenom: str
    created_at: datetime
    checked_at: datetime | None = Field(
        default=None, description="when its credentials were last checked at the deposit point"
    )
    check_status: str | None = Field(
        default=None,
        description="ok, unknown (the deposit point does not know this identity), locked, "
        "rejected or unreachable (not checked: the deposit point did not answer)",
    )
    check_message: str | None = Field(default=None, description="what the deposit point said")
