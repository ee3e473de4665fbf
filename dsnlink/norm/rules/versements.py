"""Controls of the payments to the collecting bodies: versement OPS, bordereau, cotisation agrégée,
composant de versement (S21.G00.20, .22, .23, .55)."""

from __future__ import annotations

from dsnlink.norm.rules.predicates import other_payer
from dsnlink.norm.rules.scans import payment_is_sum_of_components
from dsnlink.norm.rules.templates import (
    NEEDS,
    Check,
    all_of,
    allowed_values,
    date_cmp,
    eq,
    forbidden,
    not_,
    not_more_than,
    period_before_declared_month,
    required,
    to_amount,
    value,
)
from dsnlink.norm.tree import Env, Node

# Conditions built once (a check must never build templates while it runs).
PAYS_DGFIP = eq("S21.G00.20.001", "DGFIP")
PAID_BY_ANOTHER_ESTABLISHMENT = eq("S21.G00.20.010", "06")


def adhesion_organism(n: Node, e: Env) -> bool:
    """The payment's organism (S21.G00.20.001) is the prévoyance organism of one of the
    establishment's adhesions (S21.G00.15.002): the organisms the file itself shows to be
    prévoyance ones (any other needs the organisms' tables)."""
    organism = n.values.get(b"001")
    establishment = e.ancestor(b"S21.G00.11")
    return (
        organism is not None
        and establishment is not None
        and any(
            c.block == b"S21.G00.15" and c.values.get(b"002") == organism
            for c in establishment.children or ()
        )
    )


def _non_zero_amount(n: Node) -> bool:
    amount = to_amount(n.get("005"))
    return amount is not None and amount != 0


def prevoyance_payment_has_components(n: Node, e: Env) -> bool:
    """S21.G00.20.001/CCH-12: a payment to a prévoyance organism with a non-zero amount, or paid
    by the establishment itself (no payer SIRET, or its own), carries components (S21.G00.55)."""
    if not adhesion_organism(n, e) or any(c.block == b"S21.G00.55" for c in n.children or ()):
        return False
    payer = n.get("012")
    siren, nic = value(n, e, "S21.G00.06.001"), value(n, e, "S21.G00.11.001")
    own = None if siren is None or nic is None else siren + nic
    return _non_zero_amount(n) or payer is None or payer == own


NEEDS[prevoyance_payment_has_components] = ("S21.G00.20.001",)


def delegate_only_for_prevoyance(n: Node, e: Env) -> bool:
    """S21.G00.20.008/CCH-15: a delegate code only for a prévoyance organism. The organism is
    surely not one when it is the DGFIP or a SIRET (14 characters): prévoyance organism codes
    have 5 to 9 (S21.G00.15.002)."""
    organism = n.values.get(b"001")
    return organism is not None and (
        organism == b"DGFIP" or (len(organism) == 14 and organism.isdigit())
    )


NEEDS[delegate_only_for_prevoyance] = ("S21.G00.20.008", "S21.G00.20.001")


def other_payer_only_for_zero(n: Node, e: Env) -> bool:
    """S21.G00.20.012/CCH-11: for the DGFIP or a prévoyance organism (one of the establishment's
    adhesions), a payer other than the establishment only with a zero amount."""
    return (
        (n.values.get(b"001") == b"DGFIP" or adhesion_organism(n, e))
        and _non_zero_amount(n)
        and other_payer(n, e)
    )


NEEDS[other_payer_only_for_zero] = ("S21.G00.20.001", "S21.G00.20.012")

CHECKS: dict[str, Check] = {
    "S21.G00.20.005/CCH-12": payment_is_sum_of_components,
    "S21.G00.20.012/CCH-13": forbidden(
        "S21.G00.20.012", when=all_of(PAYS_DGFIP, eq("S21.G00.20.010", "05"))
    ),
    "S21.G00.55.005/CCH-11": forbidden(
        "S21.G00.55.005",
        when=not_(period_before_declared_month("S21.G00.20.006", "S21.G00.20.007")),
    ),
    "S21.G00.20.003/CCH-12": forbidden("S21.G00.20.003", when=other_payer),
    "S21.G00.20.004/CCH-12": forbidden("S21.G00.20.004", when=other_payer),
    "S21.G00.20.005/CCH-13": not_more_than("S21.G00.20.005", "999999999.00", when=PAYS_DGFIP),
    "S21.G00.20.010/SIG-14": allowed_values("S21.G00.20.010", ("06",), when=other_payer),
    "S21.G00.20.012/CCH-12": lambda n, e: (
        bool(PAID_BY_ANOTHER_ESTABLISHMENT(n, e)) and not other_payer(n, e)
    ),
    "S21.G00.20.012/CCH-14": lambda n, e: (
        bool(PAYS_DGFIP(n, e))
        and (p := value(n, e, "S21.G00.20.012")) is not None
        and (s := value(n, e, "S21.G00.06.001")) is not None
        and p[:9] != s
    ),
    "S21.G00.23.006/CCH-11": required(
        "S21.G00.23.006", when=eq("S21.G00.23.001", "900", "901", "911", "917", "921", "927")
    ),
    "S21.G00.20.002/CCH-11": required("S21.G00.20.002", when=eq("S21.G00.20.001", "DGFIP")),
    "S21.G00.20.007/CCH-11": date_cmp("S21.G00.20.007", ">=", "S21.G00.20.006"),
    "S21.G00.20.010/CCH-12": required("S21.G00.20.004", when=eq("S21.G00.20.010", "05")),
    "S21.G00.20.010/CCH-14": allowed_values(
        "S21.G00.20.010", ("05", "06"), when=eq("S21.G00.20.001", "DGFIP")
    ),
    "S21.G00.20.010/SIG-13": required("S21.G00.20.003", when=eq("S21.G00.20.010", "05")),
    "S21.G00.20.013/CCH-11": forbidden(
        "S21.G00.20.013",
        when=not_(period_before_declared_month("S21.G00.20.006", "S21.G00.20.007")),
    ),
    "S21.G00.20.014/CCH-11": required("S21.G00.20.014", when=eq("S21.G00.20.002", "DGFIP_SATD")),
    "S21.G00.22.004/CCH-11": date_cmp("S21.G00.22.004", ">=", "S21.G00.22.003"),
    "S21.G00.22.006/CCH-11": forbidden(
        "S21.G00.22.006",
        when=not_(period_before_declared_month("S21.G00.22.003", "S21.G00.22.004")),
    ),
    "S21.G00.23.007/CCH-11": forbidden(
        "S21.G00.23.007",
        when=not_(period_before_declared_month("S21.G00.22.003", "S21.G00.22.004")),
    ),
    "S21.G00.20.001/CCH-12": prevoyance_payment_has_components,
    "S21.G00.20.008/CCH-15": delegate_only_for_prevoyance,
    "S21.G00.20.012/CCH-11": other_payer_only_for_zero,
}

_OPS_IDS = "social-protection organisms (OPS ids)"
_OC = "supplementary-protection organisms and delegates (CTIP, FFA, FNMF tables)"
NOT_CHECKED: dict[str, tuple[str, str]] = {
    "S21.G00.20.001/CCH-13": (
        "needs an external referential",
        f"{_OC}: which organism ids are prévoyance ones",
    ),
    "S21.G00.20.004/CCH-13": (
        "needs an external referential",
        f"{_OPS_IDS}: which SIRETs are Urssaf, Agirc-Arrco or Congés spectacles ones",
    ),
    "S21.G00.20.006/CCH-11": (
        "needs an external referential",
        f"{_OPS_IDS}: which SIRETs are Urssaf ones",
    ),
    "S21.G00.20.006/CCH-12": (
        "needs an external referential",
        f"{_OPS_IDS}: which SIRETs are Agirc-Arrco institutions",
    ),
    "S21.G00.20.007/CCH-12": (
        "needs an external referential",
        f"{_OPS_IDS}: which SIRETs are Agirc-Arrco institutions",
    ),
    "S21.G00.22.003/CCH-11": (
        "needs an external referential",
        f"{_OPS_IDS}: which SIRETs are Urssaf ones",
    ),
    "S21.G00.22.005/CCH-11": (
        "needs an external referential",
        f"{_OPS_IDS}: which SIRETs are Urssaf ones",
    ),
}
