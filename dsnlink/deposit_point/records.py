"""Input and output shapes of the deposit-point client and of the returns parser."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from dsnlink.deposit_point.errors import InvalidCredentials
from dsnlink.deposit_point.returns.model import ReturnDocument

CONCENTRATOR_SERVICE = "98"


class Operation(StrEnum):
    """One kind of call to the deposit point (the path it goes to)."""

    AUTHENTICATE = "authentifier"
    DEPOSIT = "deposer-dsn"
    LIST_DEPOSITS = "lister-depots"
    LIST_RETURNS_DECLARANT = "lister-retours-declarant"
    LIST_RETURNS_CONCENTRATOR = "lister-retours-concentrateur"
    LIST_FLOW_RETURNS = "lister-retours-flux"
    DOWNLOAD_RETURN = "telecharger-retour"


class AttemptOutcome(StrEnum):
    """How one HTTP exchange ended."""

    SUCCEEDED = "succeeded"
    TRANSIENT_FAILURE = "transient_failure"
    PERMANENT_FAILURE = "permanent_failure"
    AMBIGUOUS = "ambiguous"
    UNAUTHORIZED = "unauthorized"
    WINDOW_TOO_WIDE = "window_too_wide"


@dataclass(frozen=True)
class AttemptRecord:
    """One exchange with the deposit point, reported so the worker can store it as a row."""

    operation: Operation
    attempt: int
    started_at: datetime
    duration: timedelta
    outcome: AttemptOutcome
    http_status: int | None
    method: str
    url: str
    declarant_siret: str | None = None
    error_type: str | None = None
    error: str | None = None
    maybe_deposited: bool = False
    idflux: str | None = None


@dataclass(frozen=True)
class ConcentratorCredentials:
    """The concentrator's net-entreprises account (service 98)."""

    siret: str
    nom: str
    prenom: str
    password: str = field(repr=False)
    service: str = CONCENTRATOR_SERVICE

    def __post_init__(self) -> None:
        limits = (
            ("siret", self.siret, 14, True),
            ("nom", self.nom, 64, False),
            ("prenom", self.prenom, 39, False),
            ("motdepasse", self.password, 30, False),
            ("service", self.service, 2, False),
        )
        for name, value, limit, exact in limits:
            if not value:
                raise InvalidCredentials(f"credential field {name!r} is empty", field=name)
            if exact and len(value) != limit:
                raise InvalidCredentials(
                    f"credential field {name!r} must be exactly {limit} characters", field=name
                )
            if len(value) > limit:
                raise InvalidCredentials(
                    f"credential field {name!r} is longer than {limit} characters", field=name
                )
        if not self.siret.isdigit():
            raise InvalidCredentials("credential field 'siret' must be 14 digits", field="siret")


@dataclass(frozen=True)
class DeclarantIdentity:
    """The person a concentrator acts for: the `declarant=` part of the Authorization header."""

    siret: str
    nom: str
    prenom: str

    def header_value(self) -> str:
        """base64("SIRET;NOM;PRENOM"), UTF-8 encoded."""
        raw = f"{self.siret};{self.nom};{self.prenom}".encode()
        return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class DepositResult:
    """A deposit the deposit point accepted (AEE)."""

    idflux: str
    status: str
    received_at: datetime | None
    report: ReturnDocument


@dataclass(frozen=True)
class DepositRecord:
    """One line of `lister-depots`: a flow deposited for a declarant."""

    idflux: str
    deposited_at: datetime | None
    status: str
    declarant_siret: str | None
    raw_date: str | None


@dataclass(frozen=True)
class ReturnRecord:
    """One line of a returns listing: a return available for a flow."""

    idflux: str
    nature: str | None
    status: str | None
    return_id: str | None
    url: str | None
    published_at: datetime | None
    produced_at: datetime | None
    ops: str | None = None
    delegataire: str | None = None

    @property
    def key(self) -> tuple[str, str | None, str | None, str | None]:
        """Returns are upserted by (idflux, nature, ops, délégataire): a body overwrites its own
        return to enrich it; two délégataires of one body publish two returns."""
        return (self.idflux, self.nature, self.ops, self.delegataire)


@dataclass(frozen=True)
class DownloadedReturn:
    """A return document as downloaded, decompressed (read it with returns.read_return)."""

    idflux: str | None
    return_id: str | None
    url: str
    content: bytes
    content_type: str | None
