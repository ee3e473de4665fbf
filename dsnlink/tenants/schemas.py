"""Input and output shapes of tenants, users, API keys, companies and declarants."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from dsnlink.tenants.models import Formula, Role

DueDay = Literal[5, 15, 20]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=320, pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user an API key belongs to, acting with that user's role."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    api_key_id: uuid.UUID | None = None


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


class UserCreate(_Input):
    email: Email
    role: Role = Role.USER

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "paie@example.fr", "role": "user"}]},
    )


class UserRead(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
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

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "payroll software"}]}
    )


class ApiKeyRead(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    user_id: uuid.UUID
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


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


class DeclarantRead(BaseModel):
    id: uuid.UUID
    siret: str
    nom: str
    prenom: str
    created_at: datetime
