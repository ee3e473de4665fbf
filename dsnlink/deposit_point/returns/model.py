"""What a return document says, once read: one shape for the three families and plain text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ReturnFormat(StrEnum):
    """The family a return document belongs to, recognised from its root element."""

    BILAN = "bilan"  # gipmds:rapport, dsn_bilans XSD (AEE, ARE, CCO, BAN, BIS, CID, older CRMs)
    NEORES = "neores"  # <GIPMDS xmlns="https://gipmds/1.0">, organisms' CRMs since 2023
    CRM_OC = "crm-oc"  # <Fichier VersionCRM=… TypCRM=…>, complementary organisms (ISO-8859-1)
    TEXT = "text"  # a plain-text return


class ReturnStatus(StrEnum):
    """Outcome a return gives: OK, ANO (non-blocking anomalies) or KO (blocking)."""

    OK = "OK"
    ANO = "ANO"
    KO = "KO"


class ReturnKind(StrEnum):
    """What a return is, as far as the declaration's life goes."""

    AEE = "AEE"  # accusé d'enregistrement électronique: deposit accepted
    ARE = "ARE"  # avis de rejet d'envoi: deposit refused
    CCO = "CCO"  # certificat de conformité
    BAN = "BAN"  # bilan d'anomalies: rejected by the deposit point
    BIS = "BIS"  # bilan d'identification des salariés
    CID = "CID"  # contrôles inter-déclarations (also AED, DSIJ)
    ACK = "ACK"  # an organism's acknowledgement (accusé de réception)
    AER = "AER"  # attestation employeur rematérialisée (France Travail)
    CRM = "CRM"  # compte rendu métier of an organism
    UNKNOWN = "UNKNOWN"


class DeclarationOutcome(StrEnum):
    """What a return means for the declaration it is about."""

    DEPOSITED = "deposited"
    REFUSED_BY_DEPOSIT_POINT = "refused_by_deposit_point"
    CONFORM = "conform"
    REJECTED_BY_DEPOSIT_POINT = "rejected_by_deposit_point"  # BAN: send again as a new normal one
    CRM_OK = "crm_ok"
    CRM_ANOMALIES = "crm_anomalies"
    CRM_KO = "crm_ko"


@dataclass(frozen=True)
class Employee:
    """The person an anomaly is about, as the document names them."""

    nir: str | None = None
    ntt: str | None = None  # numéro technique temporaire
    last_name: str | None = None
    first_names: str | None = None
    matricule: str | None = None
    birth_date: str | None = None
    contract_number: str | None = None
    contract_start: str | None = None


@dataclass(frozen=True)
class Rubric:
    """A DSN rubric quoted by a return: its identifier, label and value."""

    identifiant: str
    libelle: str | None = None
    valeur: str | None = None


@dataclass(frozen=True)
class Anomaly:
    """One anomaly, in the document's own words; `rubric` is the triggering one."""

    code: str
    message: str
    category: str | None = None  # "bloquant", "non-bloquant", "critique", "Rubrique absente"…
    blocking: bool | None = None  # None when the document does not say
    rubric: str | None = None  # e.g. S10.G00.00.002
    rubric_label: str | None = None
    value: str | None = None
    expected_value: str | None = None  # the value the organism corrected or expects
    line: int | None = None  # line in the deposited DSN file
    count: int | None = None
    employee: Employee | None = None
    related: tuple[Rubric, ...] = ()
    action: str | None = None  # what the organism asks the declarant to do (NEOReS, OC)


@dataclass(frozen=True)
class DeclarationIdentification:
    """Which declaration of the flow a report block is about (bilans vocabulary)."""

    rang: int | None = None
    nature: str | None = None
    type: str | None = None
    fraction: str | None = None
    ordre: str | None = None
    mois: str | None = None  # as written: JJMMAAAA or AAAA-MM-JJ
    identifiant_metier: str | None = None
    siren: str | None = None
    nic_siege: str | None = None
    nic_affectation: str | None = None


@dataclass(frozen=True)
class DeclarationReport:
    """The per-declaration part of a return."""

    identification: DeclarationIdentification
    etat: str | None = None
    etat_conformite: str | None = None
    certificat_conformite: str | None = None
    salaries: int | None = None
    anomalies: tuple[Anomaly, ...] = ()
    compteurs: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Declarant:
    """The declarant named in the document's envoi block."""

    siret: str | None
    nom: str | None
    prenom: str | None


@dataclass(frozen=True)
class WithholdingRate:
    """A withholding-tax rate the DGFiP sends back for one employee (CRM nature 94)."""

    nir: str | None
    matricule: str | None
    taux: str | None
    ntt: str | None = None  # numéro technique temporaire, when the employee has no NIR yet


@dataclass(frozen=True)
class Calculation:
    """One computed value an organism communicates (AT/MP rate, bonus-malus, …)."""

    kind: str | None  # information_collective type: atmp, bmcc…
    computed_at: str | None
    phase: str | None
    rates: tuple[tuple[str, str], ...] = ()  # (part, taux)
    values: tuple[tuple[str, str], ...] = ()  # (rubric name, value)


@dataclass(frozen=True)
class PayrollParameter:
    """A parameter a NEOReS CRM asks to take into account in payroll (block RO.B008)."""

    type: str
    value: str
    effective_from: str | None = None
    effective_to: str | None = None
    rubric: str | None = None


@dataclass(frozen=True)
class FlowIdentity:
    """What a return says about the flow it answers: enough to prove the flow is ours."""

    idflux: str | None = None
    siren: str | None = None
    nic: str | None = None
    month: str | None = None  # AAAA-MM
    nature: str | None = None  # declaration nature (01 DSN mensuelle…)
    type: str | None = None  # declaration type (01 normale…)
    received_at: datetime | None = None
    declarant_siret: str | None = None
    emetteur_siret: str | None = None

    @property
    def siret(self) -> str | None:
        if self.siren and self.nic:
            return self.siren + self.nic
        return None


@dataclass(frozen=True)
class ReturnDocument:
    """A return document read into types; `readable=False` carries a French `error` instead."""

    readable: bool
    name: str | None = None
    error: str | None = None
    format: ReturnFormat | None = None
    kind: ReturnKind = ReturnKind.UNKNOWN
    nature: str | None = None
    nature_label: str | None = None
    document_nature: str | None = None  # the code the document itself carries, when it differs
    organism: str | None = None
    status: ReturnStatus | None = None
    crm_code: int | None = None  # 0 accepted, 1 with anomalies, 2 partly, 3 not taken into account
    crm_type: str | None = None  # OC: TypCRM (1 AR, 2 CRT, 3 CRC…); NEOReS: RO_B001_R001
    flow: FlowIdentity = field(default_factory=FlowIdentity)
    declarant: Declarant | None = None
    essai_reel: str | None = None
    point_de_depot: str | None = None
    version_norme: str | None = None
    report_type: str | None = None
    profil: str | None = None
    version: str | None = None
    message: str | None = None
    recorded_at: datetime | None = None
    produced_at: datetime | None = None
    envoi_anomalies: tuple[Anomaly, ...] = ()
    declarations: tuple[DeclarationReport, ...] = ()
    other_anomalies: tuple[Anomaly, ...] = ()  # NEOReS/OC anomalies not tied to a declaration
    withholding_rates: tuple[WithholdingRate, ...] = ()
    calculations: tuple[Calculation, ...] = ()
    parameters: tuple[PayrollParameter, ...] = ()
    schema: str | None = None  # file name of the XSD the document was checked against
    schema_valid: bool | None = None  # None: no XSD shipped for this document
    schema_errors: tuple[str, ...] = ()
    text: str | None = None  # the body of a plain-text return

    @property
    def idflux(self) -> str | None:
        return self.flow.idflux

    @property
    def received_at(self) -> datetime | None:
        return self.flow.received_at

    @property
    def emetteur_siret(self) -> str | None:
        return self.flow.emetteur_siret

    @property
    def anomalies(self) -> tuple[Anomaly, ...]:
        """Every anomaly of the document, envoi-level first."""
        per_declaration = tuple(a for d in self.declarations for a in d.anomalies)
        return self.envoi_anomalies + per_declaration + self.other_anomalies

    @property
    def blocking_anomalies(self) -> tuple[Anomaly, ...]:
        return tuple(a for a in self.anomalies if a.blocking)
