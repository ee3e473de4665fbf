"""Output shapes of declarations: listing, detail and timeline, receipt, deadlines."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from dsnlink.declarations.models import DeclarationStatus


class CompanyRef(BaseModel):
    id: uuid.UUID
    siren: str
    name: str


class EstablishmentRef(BaseModel):
    id: uuid.UUID
    siret: str
    name: str


class AnomalyRead(BaseModel):
    """One defect found by the norm controls (ids as in the official Messages sheet)."""

    id: str
    category: str = Field(description="bloquant or non-bloquant")
    message: str
    line: int | None = None
    rubric: str | None = None
    value: str | None = None


class OrganismVerdict(BaseModel):
    """What one organism answered about the declaration (its latest CRM)."""

    status: str = Field(description="OK, ANO (anomalies) or KO (not taken into account)")
    crm_code: int | None = Field(description="0 accepted, 1 with anomalies, 2 partly, 3 KO")
    nature: str = Field(description="the return's nature (e.g. 61 URSSAF, 94 DGFiP)")
    label: str | None
    return_id: str
    at: datetime


class DeclarationSummary(BaseModel):
    id: uuid.UUID
    status: DeclarationStatus
    nature: str = Field(description="S20.G00.05.001: 01 monthly DSN, 04/05/07 signalements, ...")
    type: str = Field(description="S20.G00.05.002: 01 normal, 02 néant, 03 annule et remplace, ...")
    month: str = Field(description="main month declared, YYYY-MM")
    norm_version: str | None
    company: CompanyRef
    establishment: EstablishmentRef
    individuals: int
    filename: str | None
    sha256: str = Field(description="SHA-256 of the file as received, decompressed")
    size: int
    received_at: datetime
    deadline: datetime | None = Field(description="legal deadline (UTC)")
    cutoff: datetime | None = Field(description="last moment the transmission is guaranteed (UTC)")
    guaranteed: bool = Field(description="received before the cut-off: sending is guaranteed")
    late: bool = Field(description="received after the legal deadline")
    ordered_at: datetime | None
    ordered_by_user_id: uuid.UUID | None
    anomaly_count: int
    organisms_status: dict[str, OrganismVerdict] = Field(
        default_factory=dict,
        description="the organisms' verdicts (their CRMs: URSSAF, DGFiP, France Travail, "
        "AGIRC-ARRCO, OC...), by organism; a KO here needs action even when the deposit point "
        "found the declaration conform",
    )
    status_changed_at: datetime = Field(description="when the status last changed (UTC)")


class DeclarationRead(DeclarationSummary):
    anomalies: list[AnomalyRead] = Field(
        description="norm anomalies (blocking ones for a rejected declaration); at most 1000"
    )


class EventRead(BaseModel):
    status: DeclarationStatus
    at: datetime
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    api_key_created_by_user_id: uuid.UUID | None = Field(
        default=None, description="who created the API key used, when a key was used"
    )
    detail: dict[str, Any]


class DeclarationPage(BaseModel):
    items: list[DeclarationSummary]
    total: int = Field(description="how many declarations match the filters")
    limit: int
    offset: int
    next_cursor: str | None = Field(
        default=None,
        description="pass it as `cursor` for the next page (keyset: stable while new "
        "declarations arrive); null on the last page",
    )


class ReceiptRead(BaseModel):
    """A receipt: `signature` is Ed25519, base64, over the canonical JSON of `payload` (keys
    sorted, separators `,` and `:`, UTF-8)."""

    payload: dict[str, Any]
    signature: str
    key_id: str


class PublicKeyRead(BaseModel):
    key_id: str
    algorithm: str = "Ed25519"
    public_key_pem: str


class FiledDeclaration(BaseModel):
    id: uuid.UUID
    status: DeclarationStatus
    nature: str
    type: str
    siret: str
    received_at: datetime
    filed: bool = Field(
        default=False, description="deposited and neither refused (ARE) nor rejected (BAN)"
    )
    filed_at: datetime | None = Field(
        default=None, description="when the deposit point first accepted it (AEE), if it did"
    )
    replaced_by: uuid.UUID | None = Field(
        default=None,
        description="a newer declaration of the same establishment filed after this one failed",
    )


class CompanyDeadline(BaseModel):
    company: CompanyRef
    due_day: int
    deadline: datetime | None
    cutoff: datetime | None
    rule: str
    declarations: list[FiledDeclaration]


class MonthDeadlines(BaseModel):
    month: str
    companies: list[CompanyDeadline]


class CompanyDeadlineRow(CompanyDeadline):
    """A company's deadline with how many of its establishments filed the monthly DSN."""

    establishments: int
    establishments_filed: int = Field(
        description="establishments whose monthly declaration for the month is filed (deposited,"
        " no ARE, no BAN)"
    )
    pending: bool = Field(
        default=True, description="an establishment (or the company, with none) is still to file"
    )
    filed_at: datetime | None = Field(
        default=None, description="when the last establishment was filed, once all are"
    )
    pending_sirets: list[str] = Field(
        default_factory=list, description="the establishments still to file, by SIRET"
    )


class MonthDeadlinesPage(BaseModel):
    month: str
    companies: list[CompanyDeadlineRow]
    total: int = Field(description="companies matching the search")
    limit: int
    offset: int


class GridCell(BaseModel):
    """One company's month in the portfolio grid: where its monthly DSN stands."""

    month: str
    state: str = Field(
        description="depose, en_cours, a_transmettre, rejete, manquant, en_retard, a_venir or "
        "non_suivi (due before the company was added)"
    )
    declaration_id: uuid.UUID | None = Field(
        default=None, description="the latest monthly declaration of the month, if any"
    )
    declarations: int = 0


class GridRow(BaseModel):
    company: CompanyRef
    due_day: int
    cells: list[GridCell]


class PortfolioGrid(BaseModel):
    """Companies × months: the state of each monthly DSN, one page of companies at a time."""

    months: list[str]
    rows: list[GridRow]
    total: int
    limit: int
    offset: int
