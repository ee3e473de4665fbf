"""What the validator makes of each control id of a catalogue: checked, or why not.

States: implemented; needs an external referential (named); needs the platform's history; not
checkable offline (reason); not yet implemented. The classification of what is not implemented
reads the control's family and text, so it follows a new norm year without a code change.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dsnlink.norm.anomalies import checked_ids, twin_ids
from dsnlink.norm.catalogue import Catalogue
from dsnlink.norm.rules.registry import NOT_CHECKED


class ControlState(StrEnum):
    """Whether and how a control of the catalogue is checked offline."""

    IMPLEMENTED = "implemented"
    REFERENTIAL = "needs an external referential"
    HISTORY = "needs the platform's history"
    NOT_OFFLINE = "not checkable offline"
    NOT_YET = "not yet implemented"


@dataclass(frozen=True, slots=True)
class ControlCoverage:
    id: str
    family: str
    category: str  # bloquant / non-bloquant, as the validator reports it
    state: ControlState
    detail: str  # the referential, or why it cannot be checked

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "category": self.category,
            "state": self.state.value,
            "detail": self.detail,
        }


# (words of the rule or message, lower case) -> referential, first match wins.
REFERENTIALS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("hexaposte", "code postal"), "postal codes (La Poste hexaposte)"),
    (("iso 3166",), "countries (ISO 3166-1 alpha-2)"),
    (("naf",), "NAF rév. 2 activity codes (INSEE)"),
    (("idcc",), "collective agreements (IDCC, DGT)"),
    (("professions et catégories", "pcs-ese"), "PCS-ESE occupations (INSEE)"),
    (("codes officiels géographiques", "code insee commune"), "INSEE communes (COG)"),
    (("risques at/mp", "code risque"), "AT/MP risk codes"),
    (("nne", "nehmed", "ccp"), "public-service nomenclatures (NNE, NEH, CCP…)"),
    (("caisses professionnel", "congés payés"), "paid-leave funds"),
    (
        ("prévoyance", "mutuelle", "délégataire", "société d'assurance", "sociétés d'assurance"),
        "supplementary-protection organisms and delegates (CTIP, FFA, FNMF tables)",
    ),
    (
        ("organisme de protection sociale", "organismes de protection sociale", "urssaf", "odrt"),
        "social-protection organisms (OPS ids)",
    ),
    (("sirene", "répertoire", "actif", "radié"), "SIRENE register (INSEE)"),
    (("position statutaire",), "public-service statutory positions"),
)
HISTORY_WORDS = (
    "déclaration annulée",
    "déclaration précédente",
    "dsn précédente",
    "précédemment déclaré",
    "déjà déclaré",
    "mois précédent",
    "déclarations antérieures",
    "historique",
    "connue du système",
    "déposée",
)
EXTERNAL_DOCUMENT_WORDS = ("paragraphe 4.4.14", "se référer au principe", "éditorial")
RECEPTION_WORDS = ("date de dépôt", "date de réception", "réception du fichier", "date du dépôt")


def classify(
    catalogue: Catalogue, cid: str, done: frozenset[str], twins: dict[str, str] | None = None
) -> ControlCoverage:
    twins = twins or {}
    family = cid.split("/", 1)[1][:3]
    category = "non-bloquant" if family == "SIG" else "bloquant"
    msg = catalogue.messages[cid]
    text = f"{msg.rule} {msg.message}".lower()
    if cid in done:
        twin = twins.get(cid)
        detail = f"checked and reported as {twin} (same control, its text cut here)" if twin else ""
        return ControlCoverage(cid, family, category, ControlState.IMPLEMENTED, detail)
    stated = NOT_CHECKED.get(cid)
    if stated is not None:  # classified by hand in the rule's theme module, with its reason
        return ControlCoverage(cid, family, category, ControlState(stated[0]), stated[1])
    if family == "CID":
        detail = "the ids of declarations the platform received earlier"
        return ControlCoverage(cid, family, category, ControlState.HISTORY, detail)
    if family == "CME":
        detail = "SIRENE register (INSEE): the SIREN/SIRET must be active in the declared month"
        return ControlCoverage(cid, family, category, ControlState.REFERENTIAL, detail)
    listed = "table" in text and ("valeurs autorisées" in text or "présente" in text)
    if family == "CRE" or listed:
        for words, name in REFERENTIALS:
            if any(w in text for w in words):
                return ControlCoverage(cid, family, category, ControlState.REFERENTIAL, name)
        if family == "CRE":
            detail = "a code list of the norm not published with the workbook"
            return ControlCoverage(cid, family, category, ControlState.REFERENTIAL, detail)
    if any(w in text for w in HISTORY_WORDS) or cid == "S20.G00.05.002/CCH-11":
        detail = "earlier declarations of the same company (held by the platform)"
        return ControlCoverage(cid, family, category, ControlState.HISTORY, detail)
    if any(w in text for w in RECEPTION_WORDS):
        detail = "depends on when the deposit point receives the file"
        return ControlCoverage(cid, family, category, ControlState.NOT_OFFLINE, detail)
    if any(w in text for w in EXTERNAL_DOCUMENT_WORDS):
        detail = "its rule is in the cahier technique's introduction, not in the catalogue's text"
        return ControlCoverage(cid, family, category, ControlState.NOT_YET, detail)
    if not msg.message.strip() and len(msg.rule) < 120:
        detail = "its text is cut in the extraction this catalogue comes from"
        return ControlCoverage(cid, family, category, ControlState.NOT_YET, detail)
    if family == "CST":
        detail = "structure of the deposit"
        return ControlCoverage(cid, family, category, ControlState.NOT_YET, detail)
    return ControlCoverage(cid, family, category, ControlState.NOT_YET, "")


def coverage(catalogue: Catalogue) -> list[ControlCoverage]:
    """Every control id of the catalogue with its state, in id order."""
    checked = checked_ids(catalogue)
    twins = twin_ids(catalogue, checked)
    done = checked | frozenset(twins)
    return [classify(catalogue, cid, done, twins) for cid in sorted(catalogue.messages)]


def summary(rows: list[ControlCoverage]) -> dict[str, dict[str, int]]:
    """family -> state -> count (plus a "total" per family)."""
    out: dict[str, Counter[str]] = {}
    for row in rows:
        counts = out.setdefault(row.family, Counter())
        counts[row.state.value] += 1
        counts["total"] += 1
    return {family: dict(counts) for family, counts in sorted(out.items())}


def render_markdown(catalogues: list[Catalogue]) -> str:
    """docs/controls.md: every control id of every catalogue with its state."""
    out = [
        "# Controls of the cahier technique and what dsnlink checks offline",
        "",
        "Generated by `dsnlink norm coverage --markdown` (do not edit). States: **implemented**;",
        "**needs an external referential** (named); **needs the platform's history**; **not",
        "checkable offline** (why); **not yet implemented**. Categories are the norm's: CCH, CSL,",
        "CRE, CME, CID, CST blocking, SIG non-blocking. Sources of the rules and assumptions:",
        "`dsnlink/norm/rules/`, `dsnlink/norm/mandatory.py`, `docs/anomalies.md`.",
        "",
    ]
    for cat in catalogues:
        rows = coverage(cat)
        out += [
            f"## {cat.version}",
            "",
            "| family | " + " | ".join(s.value for s in ControlState) + " | total |",
            "|---" * (len(ControlState) + 2) + "|",
        ]
        for family, counts in summary(rows).items():
            cells = " | ".join(str(counts.get(s.value, 0)) for s in ControlState)
            out.append(f"| {family} | {cells} | {counts['total']} |")
        total = Counter(r.state.value for r in rows)
        cells = " | ".join(str(total.get(s.value, 0)) for s in ControlState)
        out += [f"| all | {cells} | {len(rows)} |", ""]
        out += ["| control | category | state | detail |", "|---|---|---|---|"]
        for r in rows:
            out.append(f"| `{r.id}` | {r.category} | {r.state.value} | {r.detail} |")
        out.append("")
    return "\n".join(out)
