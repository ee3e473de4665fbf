"""Controls recognised from the catalogue's texts rather than listed: the standard datation
rules, address rules, placeholder values, NIR/NTT rules."""

from __future__ import annotations

import re

from dsnlink.norm.catalogue import Catalogue
from dsnlink.norm.rules.predicates import (
    ntt_holds_siren,
    ntt_starts_with_1_or_2,
    ntt_without_space,
    too_many_trailing_nines,
)
from dsnlink.norm.rules.templates import (
    Check,
    always,
    eq,
    forbidden,
    forbidden_value,
    nature,
    not_,
    not_after_built,
    not_after_month_end,
    present,
    required,
    value,
    with_needs,
)
from dsnlink.norm.tree import Env, Node

# Controls implemented in the validator's own code (keys, NIR, declaration, envoi).
_MONTH_END_MESSAGE = "dernier jour civil du mois principal déclaré"
# "Si le « Numéro d'inscription au répertoire - X » n'est pas renseigné, le « Numéro technique
# temporaire - Y » doit obligatoirement être renseigné."
_NIR_OR_NTT = re.compile(
    r"Si le [«\"]\s*Numéro d'inscription au répertoire - (S\d\d\.G\d\d\.\d\d\.\d\d\d)\s*[»\"] "
    r"n'est pas renseigné, le [«\"]\s*Numéro technique temporaire - "
    r"(S\d\d\.G\d\d\.\d\d\.\d\d\d)\s*[»\"] doit obligatoirement être renseigné"
)
# Controls the validator checks as it reads the line (dsnlink/norm/service.py), not derived here.
CHECKED_BY_HOOKS = frozenset({"S21.G00.30.020/CSL-11", "S21.G00.30.020/CSL-12"})
# "… avec la valeur 'ZZ9'. Cette valeur ne peut être utilisée qu'en bloc Changements …"
_PLACEHOLDER = re.compile(r"avec la valeur\s*[«'\"‘]\s*([^'»\"’\s]+)\s*[»'\"’]")
_BUILT_MESSAGE = "date de constitution du fichier"


def derived_checks(catalogue: Catalogue) -> dict[str, Check]:
    """Controls recognised from the catalogue's texts: standard datation and address rules."""
    found: dict[str, Check] = {}
    for cid, msg in catalogue.messages.items():
        rubric = cid.split("/", 1)[0]
        family = cid.split("/", 1)[1][:3]
        if (
            family not in ("CCH", "SIG", "CSL")
            or rubric not in catalogue.rubrics
            or cid in CHECKED_BY_HOOKS
        ):
            continue
        rule = " ".join(msg.rule.split())
        standard = (
            "paragraphe 4.4.12" in rule
            or "Cette date doit être inférieure ou égale au dernier jour civil du mois principal"
            in rule
        )
        if standard and _MONTH_END_MESSAGE in msg.message and "s'applique uniquement" not in rule:
            # §4.4.12 is the datation of a DSN mensuelle; the plain sentence holds everywhere.
            monthly = nature("01") if "paragraphe 4.4.12" in rule else always
            found[cid] = not_after_month_end(rubric, when=monthly)
        elif (
            "paragraphe 4.4.13" in rule
            and _BUILT_MESSAGE in msg.message
            and "s'applique uniquement" not in rule
        ):
            # §4.4.13 is the datation of an event declaration (signalement).
            found[cid] = not_after_built(rubric, when=not_(nature("01")))
        elif rule.startswith("Il est interdit de renseigner la rubrique") and (
            "Cette valeur ne peut être utilisée qu'en bloc" in rule
        ):
            placeholder = _PLACEHOLDER.search(rule)
            if placeholder is not None:
                found[cid] = forbidden_value(rubric, placeholder.group(1))
        elif (
            "est interdite si la rubrique" in rule
            and "S21.G00.40.026" in rule
            and "99" in rule
            and " et si " not in rule
            and rubric.startswith("S21.G00.40.")
        ):
            found[cid] = forbidden(rubric, when=eq("S21.G00.40.026", "99"))
        elif "Numéro technique temporaire" in rule and "commencer par" in rule and family == "CSL":
            found[cid] = ntt_starts_with_1_or_2(rubric)
        elif "espace" in rule and "numéro technique temporaire" in rule and family == "CSL":
            found[cid] = ntt_without_space(rubric)
        elif (
            family == "CCH"
            and "1999999999999" in rule
            and "2999999999999" in rule
            and (rubric != "S21.G00.30.001" and rubric in rule)
        ):
            found[cid] = forbidden_value(rubric, "1999999999999", "2999999999999")
        elif (
            family == "CCH"
            and "cinq caractères « 9 »" in rule
            and rubric != "S21.G00.30.001"
            and rubric in rule
        ):
            found[cid] = too_many_trailing_nines(rubric)
        elif (
            family == "CCH"
            and "de la 2ème à la 10ème position" in rule
            and "SIREN" in rule
            and (rubric != "S21.G00.30.020")
        ):
            found[cid] = ntt_holds_siren(rubric)
        elif (
            (ids := _NIR_OR_NTT.search(rule)) is not None
            and family == "CCH"
            and (rubric != "S21.G00.30.020")
        ):
            found[cid] = required(ids.group(2), when=not_(present(ids.group(1))))
        elif rule.startswith("La localité est obligatoire si le code postal"):
            postal = _sibling(catalogue, rubric, "code postal")
            if postal is not None:
                found[cid] = required(rubric, when=present(postal))
        elif rule.startswith(
            "Si le code postal est présent alors le code pays et le code de "
            "distribution à l'étranger sont absents et réciproquement"
        ):
            country = _sibling(catalogue, rubric, "code pays")
            abroad = _sibling(catalogue, rubric, "code de distribution à l'étranger")
            if country is not None and abroad is not None:
                found[cid] = _postal_xor_abroad(rubric, country, abroad)
    return found


def _sibling(catalogue: Catalogue, rubric: str, label: str) -> str | None:
    block = rubric[:10]
    for rid, r in catalogue.rubrics.items():
        if rid.startswith(block) and r.label.lower().startswith(label):
            return rid
    return None


def _postal_xor_abroad(postal: str, country: str, abroad: str) -> Check:
    def check(n: Node, e: Env) -> bool:
        has_postal = value(n, e, postal) is not None
        has_abroad = value(n, e, country) is not None or value(n, e, abroad) is not None
        return has_postal and has_abroad

    return with_needs(check, postal)
