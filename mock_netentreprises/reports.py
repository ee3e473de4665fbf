"""The deposit point's XML reports (`gipmds:rapport`), all valid against dsn_bilans_v02r03.xsd.

Modelled on the official samples. One deliberate difference: the DGFiP sample (nature 94) says
version "v01r08", names no declarant and identifies the declaration by rang/type/SIREN/NIC only;
it validates against v02r03 but not against v01r06 (its `salarie` sits in `declaration_bilan`).
The mock emits the same shape under version "v02r03" and also gives nature, fraction, ordre and
month, which v02r03 allows: a parser must accept both the sparse and the full identification.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from importlib import resources

from lxml import etree
from lxml.etree import _Element as Element

from mock_netentreprises.dsnfile import Anomaly, DsnFile

GIPMDS_NS = "http://www.gip-mds.fr/"
SCHEMA_VERSION = "v02r03"
SCHEMA_FILES = {"v02r03": "dsn_bilans_v02r03.xsd", "v01r06": "dsn_bilans_v01r06.xsd"}
PAS_RATES = ("0.00", "2.50", "7.50", "11.00", "14.00")


@dataclass(frozen=True)
class Declarant:
    """The person on whose behalf a flow was deposited (the `declarant` part of the token)."""

    siret: str
    nom: str
    prenom: str


@dataclass(frozen=True)
class FlowFacts:
    """What every report of one flow repeats about it."""

    idflux: str
    declarant: Declarant
    received_at: datetime  # in the mock's zone: reports show local date and time
    dsn: DsnFile | None


@cache
def schema(version: str = SCHEMA_VERSION) -> etree.XMLSchema:
    source = resources.files("mock_netentreprises").joinpath("data", SCHEMA_FILES[version])
    with source.open("rb") as handle:
        return etree.XMLSchema(etree.parse(handle))


def validation_errors(document: bytes, version: str = SCHEMA_VERSION) -> list[str]:
    """Messages of the XSD validation of `document`; empty when valid."""
    checker = schema(version)
    if checker.validate(etree.fromstring(document)):
        return []
    return [str(error) for error in checker.error_log]


def acknowledgement(facts: FlowFacts, refusal: tuple[str, str] | None) -> bytes:
    """Nature 10: the AEE (accepted) or, given a refusal (code, message), the ARE."""
    root = _rapport("ARE" if refusal else "AEE")
    envoi = _sub(root, "envoi")
    _envoi_identification(envoi, facts, registered=refusal is None)
    bilan = _sub(envoi, "envoi_bilan")
    _sub(bilan, "envoi_etat", "KO" if refusal else "OK")
    if refusal:
        anomaly = _sub(envoi, "envoi_anomalie")
        description = _sub(anomaly, "description")
        _sub(description, "code", refusal[0])
        _sub(description, "categorie", "bloquant")
        _sub(description, "message", refusal[1])
    return _serialize(root)


def conformity(facts: FlowFacts, anomalies: list[Anomaly]) -> bytes:
    """Nature 11: the certificate of conformity (CCO) or, with anomalies, the bilan (BAN)."""
    dsn = _dsn(facts)
    blocking = [a for a in anomalies if a.categorie == "bloquant"]
    root = _rapport("BAN" if anomalies else "CCO")
    envoi = _sub(root, "envoi")
    _envoi_identification(envoi, facts, registered=False)
    bilan = _sub(envoi, "envoi_bilan")
    _sub(bilan, "envoi_etat", "KO" if blocking else "OK")
    _content(bilan, "envoi_contenu", declarations=1, salaries=len(dsn.individuals))
    envoi_level = [a for a in anomalies if a.at_envoi_level]
    declaration_level = [a for a in anomalies if not a.at_envoi_level]
    if anomalies:
        for category, count in (
            ("generale", len(envoi_level)),
            ("declaration", len(declaration_level)),
            ("total", len(anomalies)),
        ):
            counter = _sub(bilan, "envoi_compteurs")
            _sub(counter, "envoi_categorie", category)
            _sub(counter, "nombre", str(count))
    for anomaly in envoi_level:
        _anomaly(_sub(envoi, "envoi_anomalie"), anomaly)
    declaration = _sub(root, "declaration")
    _declaration_identification(declaration, dsn)
    declaration_bilan = _sub(declaration, "declaration_bilan")
    _sub(declaration_bilan, "etat", "KO" if blocking else "OK")
    _content(declaration_bilan, "declaration_contenu", salaries=len(dsn.individuals))
    if anomalies:
        for category in ("bloquant", "non-bloquant"):
            counter = _sub(declaration_bilan, "declaration_compteurs")
            _sub(counter, "categorie", category)
            _sub(counter, "nombre", str(sum(a.categorie == category for a in declaration_level)))
    conformite = _sub(declaration_bilan, "niveau_conformite")
    _sub(conformite, "etat_conformite", "KO" if blocking else "OK")
    for anomaly in declaration_level:
        _anomaly(_sub(declaration, "declaration_anomalie"), anomaly)
    return _serialize(root)


def body_acknowledgement(facts: FlowFacts, nature: str) -> bytes:
    """Natures 60 (URSSAF) and 92 (DGFiP): the body received the declaration."""
    dsn = _dsn(facts)
    root = _rapport(nature)
    envoi = _sub(root, "envoi")
    _envoi_identification(envoi, facts, registered=True)
    bilan = _sub(envoi, "envoi_bilan")
    _sub(bilan, "envoi_etat", "OK")
    _content(bilan, "envoi_contenu", declarations=1)
    declaration = _sub(root, "declaration")
    _declaration_identification(declaration, dsn)
    declaration_bilan = _sub(declaration, "declaration_bilan")
    _sub(declaration_bilan, "etat", "OK")
    _content(declaration_bilan, "declaration_contenu", salaries=len(dsn.individuals))
    return _serialize(root)


def urssaf_crm(facts: FlowFacts, *, enriched: bool) -> bytes:
    """Nature 61, the URSSAF aggregated CRM; `enriched` is the later overwrite (status ANO)."""
    dsn = _dsn(facts)
    declared = dsn.total("S21.G00.22.005")
    paid = dsn.total("S21.G00.20.005")
    root = _rapport("CRACOSS")
    envoi = _sub(root, "envoi")
    _envoi_identification(envoi, facts, registered=True)
    bilan = _sub(envoi, "envoi_bilan")
    _sub(bilan, "envoi_etat", "OK")
    _content(bilan, "envoi_contenu", declarations=1)
    declaration = _sub(root, "declaration")
    _declaration_identification(declaration, dsn, iso_month=True)
    declaration_bilan = _sub(declaration, "declaration_bilan")
    _sub(declaration_bilan, "etat", "ANO" if enriched else "OK")
    _content(declaration_bilan, "declaration_contenu", salaries=len(dsn.individuals))
    if enriched:
        counter = _sub(declaration_bilan, "declaration_compteurs")
        _sub(counter, "categorie", "non-bloquant")
        _sub(counter, "nombre", "1")
    conformite = _sub(declaration_bilan, "niveau_conformite")
    _sub(conformite, "etat_conformite", "OK")
    siret = (dsn.first("S21.G00.06.001") or "") + (dsn.first("S21.G00.11.001") or "")
    local = facts.received_at
    certificate = int(hashlib.sha256(facts.idflux.encode()).hexdigest()[:7], 16)
    _sub(
        conformite,
        "certificat_conformite",
        f"La télédéclaration pour un montant de {_euros(declared)} euros et le télépaiement pour "
        f"un montant de {_euros(paid)} euros que vous avez transmis le "
        f"{local:%d/%m/%Y} à {local:%H:%M} pour le cotisant de Siret {siret} ont bien été "
        f"enregistrés sous le numéro de certificat {certificate}.",
    )
    if enriched:
        _anomaly(
            _sub(declaration, "declaration_anomalie"),
            Anomaly(
                "BA-210-01",
                "Nous avons pris en compte l'inscription au prélèvement Sepa interentreprises. "
                "Votre prélèvement est accepté sous réserve que vous validiez en ligne le mandat "
                "correspondant.",
                categorie="non-bloquant",
            ),
        )
    return _serialize(root)


def dgfip_crm(facts: FlowFacts) -> bytes:
    """Nature 94, the DGFiP nominative CRM carrying each employee's withholding-tax rate."""
    dsn = _dsn(facts)
    root = _rapport("CRM nominatif")
    root.set("identifiant", str(int(hashlib.sha256(facts.idflux.encode()).hexdigest()[:15], 16)))
    root.set(
        "message",
        "En cas d'absence de taux communiqué par la DGFIP, le taux applicable est le taux issu "
        "des grilles de taux par défaut définies par la loi de finances",
    )
    envoi = _sub(root, "envoi")
    _envoi_identification(envoi, facts, registered=True)
    _sub(_sub(envoi, "envoi_bilan"), "envoi_etat", "OK")
    declaration = _sub(root, "declaration")
    _declaration_identification(declaration, dsn)
    declaration_bilan = _sub(declaration, "declaration_bilan")
    _sub(declaration_bilan, "etat", "OK")
    _content(declaration_bilan, "declaration_contenu", salaries=len(dsn.individuals))
    for person in dsn.individuals:
        if not (person.nir or person.ntt):
            continue
        salarie = _sub(declaration_bilan, "salarie")
        _sub(salarie, "NIR", person.nir)
        _sub(salarie, "NTT", person.ntt)
        _sub(salarie, "nom_famille", person.nom_famille)
        _sub(salarie, "prenoms", person.prenoms)
        _sub(salarie, "matricule", person.matricule)
        _sub(salarie, "rang", str(person.rang))
        key = (person.nir or person.ntt or "").encode()
        _sub(salarie, "taux_imposition_PAS", PAS_RATES[hashlib.sha256(key).digest()[0] % 5])
    return _serialize(root)


def _rapport(kind: str) -> Element:
    root = etree.Element(etree.QName(GIPMDS_NS, "rapport"), nsmap={"gipmds": GIPMDS_NS})
    root.set("type", kind)
    root.set("profil", "DSN")
    root.set("version", SCHEMA_VERSION)
    return root


def _sub(parent: Element, tag: str, text: str | None = "") -> Element:
    """Append `<tag>text</tag>`; a None text means the optional element is left out."""
    if text is None:
        return parent
    child = etree.SubElement(parent, tag)
    if text:
        child.text = text
    return child


def _dsn(facts: FlowFacts) -> DsnFile:
    return facts.dsn if facts.dsn is not None else DsnFile()


def _envoi_identification(envoi: Element, facts: FlowFacts, *, registered: bool) -> None:
    dsn = _dsn(facts)
    ident = _sub(envoi, "envoi_identification")
    declarant = _sub(ident, "declarant")
    _sub(declarant, "siret", facts.declarant.siret)
    _sub(declarant, "nom", facts.declarant.nom)
    _sub(declarant, "prenom", facts.declarant.prenom)
    _sub(ident, "idflux", facts.idflux)
    _sub(ident, "identifiant", "MtoM")
    _sub(ident, "version_norme", dsn.first("S10.G00.00.006"))
    _sub(ident, "point_de_depot", dsn.first("S10.G00.00.007") or "01")
    _sub(ident, "type_envoi", dsn.first("S10.G00.00.008"))
    _sub(ident, "essai_reel", dsn.essai_reel or "")
    _sub(ident, "emetteur_siret", dsn.emetteur_siret or facts.declarant.siret)
    _sub(ident, "raison_sociale", dsn.first("S10.G00.01.003"))
    _sub(ident, "nom_logiciel", dsn.first("S10.G00.00.001"))
    _sub(ident, "editeur_logiciel", dsn.first("S10.G00.00.002"))
    _sub(ident, "version_logiciel", dsn.first("S10.G00.00.003"))
    when = facts.received_at
    _sub(ident, "date_reception", when.strftime("%Y-%m-%d"))
    _sub(ident, "heure_reception", when.strftime("%H:%M:%S"))
    if registered:
        _sub(ident, "date_enregistrement", when.strftime("%Y-%m-%d"))
        _sub(ident, "heure_enregistrement", when.strftime("%H:%M:%S"))


def _declaration_identification(
    declaration: Element, dsn: DsnFile, *, iso_month: bool = False
) -> None:
    ident = _sub(declaration, "declaration_identification")
    _sub(ident, "rang", "1")
    _sub(ident, "nature", dsn.first("S20.G00.05.001"))
    _sub(ident, "type", dsn.first("S20.G00.05.002"))
    fraction = dsn.first("S20.G00.05.003")
    _sub(ident, "fraction", fraction if fraction and fraction.isdigit() else None)
    ordre = dsn.first("S20.G00.05.004")
    _sub(ident, "ordre", ordre if ordre and ordre.isdigit() else None)
    month = dsn.first("S20.G00.05.005")
    if month and iso_month and len(month) == 8 and month.isdigit():
        month = f"{month[4:]}-{month[2:4]}-{month[:2]}"
    _sub(ident, "mois", month)
    _sub(ident, "SIREN", dsn.first("S21.G00.06.001") or "")
    _sub(ident, "nic_siege", dsn.first("S21.G00.06.002"))
    _sub(ident, "nic_affectation", dsn.first("S21.G00.11.001") or "")


def _content(parent: Element, tag: str, **counts: int) -> None:
    content = _sub(parent, tag)
    for name, value in counts.items():
        _sub(content, name, str(value))


def _anomaly(parent: Element, anomaly: Anomaly) -> None:
    description = _sub(parent, "description")
    _sub(description, "code", anomaly.code)
    _sub(description, "categorie", anomaly.categorie)
    _sub(description, "message", anomaly.message)
    if anomaly.numero_ligne is not None:
        _sub(description, "numero_ligne", str(anomaly.numero_ligne))
    if anomaly.identifiant is not None:
        rubrique = _sub(_sub(parent, "valeurs"), "rubrique_declenchante")
        _sub(rubrique, "identifiant", anomaly.identifiant)
        _sub(rubrique, "libelle", anomaly.libelle)
        _sub(rubrique, "valeur", anomaly.valeur or "")


def _euros(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


def _serialize(root: Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
