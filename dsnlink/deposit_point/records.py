"""Input and output shapes of the deposit-point client and of the returns parser."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from dsnlink.deposit_point.errors import InvalidCredentials

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
    report: ParsedReturn


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
    def key(self) -> tuple[str, str | None, str | None]:
        """Returns are upserted by (idflux, nature, ops): bodies overwrite them to enrich them."""
        return (self.idflux, self.nature, self.ops)


@dataclass(frozen=True)
class DownloadedReturn:
    """A return document as downloaded (bytes untouched; parse with returns.parse_return)."""

    idflux: str | None
    return_id: str | None
    url: str
    content: bytes
    content_type: str | None


class ReportKind(StrEnum):
    """What a return document is."""

    AEE = "AEE"  # attestation d'enregistrement électronique: deposit accepted
    ARE = "ARE"  # avis de rejet d'envoi: deposit refused
    CCO = "CCO"  # certificat de conformité
    BAN = "BAN"  # bilan d'anomalies
    BIS = "BIS"  # bilan d'identification des salariés
    CID = "CID"  # contrôles inter-déclarations
    ACK = "ACK"  # an organism's acknowledgement
    AER = "AER"  # attestation employeur rematérialisée (France Travail)
    CRM = "CRM"  # compte rendu métier of an organism
    UNKNOWN = "UNKNOWN"


class ReportFormat(StrEnum):
    """The document family the parser recognised."""

    BILANS = "bilans"  # gipmds:rapport of the bilans family (dsn_bilans XSD)
    DGFIP_CRM_NOMINATIF = "dgfip_crm_nominatif"  # DGFiP CRM (nature 94), gipmds:rapport variant


class ReturnStatus(StrEnum):
    """Status the deposit point gives a return."""

    OK = "OK"
    ANO = "ANO"
    KO = "KO"


class GatewayStatus(StrEnum):
    """The declaration status the gateway shows once a return is known."""

    DEPOSITED = "deposited"
    REFUSED_BY_DEPOSIT_POINT = "refused_by_deposit_point"
    CONFORM = "conform"
    ANOMALIES = "anomalies"
    CRM_OK = "crm_ok"
    CRM_ANOMALIES = "crm_anomalies"
    CRM_KO = "crm_ko"


@dataclass(frozen=True)
class Anomaly:
    """One anomaly of a report, in the deposit point's own words."""

    code: str
    message: str
    categorie: str | None = None  # "bloquant" / "non-bloquant"
    numero_ligne: int | None = None
    nombre: int | None = None
    identifiant: str | None = None  # the triggering rubric, e.g. S10.G00.00.002
    libelle: str | None = None
    valeur: str | None = None

    @property
    def blocking(self) -> bool:
        return self.categorie == "bloquant"


@dataclass(frozen=True)
class DeclarationIdentification:
    """Which declaration of the flow a report block is about."""

    rang: int | None
    nature: str | None
    type: str | None
    fraction: str | None
    ordre: str | None
    mois: str | None
    identifiant_metier: str | None
    siren: str | None
    nic_siege: str | None
    nic_affectation: str | None


@dataclass(frozen=True)
class DeclarationReport:
    """The per-declaration part of a report."""

    identification: DeclarationIdentification
    etat: str | None
    etat_conformite: str | None
    certificat_conformite: str | None
    salaries: int | None
    anomalies: tuple[Anomaly, ...]
    compteurs: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportDeclarant:
    """The declarant named in the report's envoi block."""

    siret: str | None
    nom: str | None
    prenom: str | None


@dataclass(frozen=True)
class WithholdingRate:
    """A withholding-tax rate the DGFiP sends back for one employee (CRM nature 94)."""

    nir: str | None
    matricule: str | None
    taux: str | None


@dataclass(frozen=True)
class ParsedReturn:
    """A return document read into types; `anomalies` are the envoi-level ones."""

    kind: ReportKind
    format: ReportFormat
    report_type: str
    profil: str | None
    version: str | None
    nature: str | None
    message: str | None
    idflux: str | None
    status: ReturnStatus | None
    declarant: ReportDeclarant | None
    emetteur_siret: str | None
    essai_reel: str | None
    point_de_depot: str | None
    version_norme: str | None
    received_at: datetime | None
    recorded_at: datetime | None
    anomalies: tuple[Anomaly, ...]
    declarations: tuple[DeclarationReport, ...]
    crm_code: int | None
    schema_valid: bool | None
    schema_errors: tuple[str, ...] = ()
    withholding_rates: tuple[WithholdingRate, ...] = ()

    @property
    def all_anomalies(self) -> tuple[Anomaly, ...]:
        return self.anomalies + tuple(a for d in self.declarations for a in d.anomalies)

    @property
    def blocking_anomalies(self) -> tuple[Anomaly, ...]:
        return tuple(a for a in self.all_anomalies if a.blocking)
