"""Controls of the envoi, the declaration, the enterprise and its establishments (S10, S20,
S21.G00.11 to .15, .44, .85)."""

from __future__ import annotations

from collections.abc import Iterator

from dsnlink.norm.rules.predicates import siren_key_ok, siret_key_ok
from dsnlink.norm.rules.scans import Scan
from dsnlink.norm.rules.templates import (
    INDIVIDUAL,
    NEEDS,
    Check,
    all_of,
    eq,
    forbidden,
    forbidden_value,
    nature,
    ne,
    not_,
    present,
    required,
    required_iff,
    unique_among_siblings,
    unique_pair_among_siblings,
    value,
    year_not_after_declared,
)
from dsnlink.norm.tree import Env, Node

DECLARATION = b"S20.G00.05"
ESTABLISHMENT = b"S21.G00.11"
ADHESION = b"S21.G00.15"


def has_child(node: Node, block: bytes) -> bool:
    """The node holds an occurrence of `block` (kept, or counted when the tree drops it, as it
    does individuals and S89.G00.91)."""
    if node.counts is not None and node.counts.get(block, 0) > 0:
        return True
    return any(c.block == block for c in node.children or ())


def _adhesions(n: Node, e: Env) -> list[Node]:
    establishment = e.ancestor(ESTABLISHMENT)
    if establishment is None:
        return []
    return [c for c in establishment.children or () if c.block == ADHESION]


def _event(e: Env) -> bytes | None:
    """S20.G00.05.011 of the open declaration (nature de l'événement déclencheur)."""
    declaration = e.ancestor(DECLARATION)
    return None if declaration is None else declaration.values.get(b"011")


def non_salaried_iff_event_06(n: Node, e: Env) -> bool:
    """S20.G00.05.011/CCH-11: an S89.G00.91 block (non-salaried) with event 06, and only then."""
    event = n.values.get(b"011")
    return event is not None and (event == b"06") != has_child(n, b"S89.G00.91")


NEEDS[non_salaried_iff_event_06] = ("S20.G00.05.011",)


def adhesion_required_for_event(n: Node, e: Env) -> bool:
    """S20.G00.05.011/CCH-12: events 03, 04, 05 call for at least one S21.G00.15."""
    return (
        n.values.get(b"011") in (b"03", b"04", b"05")
        and next(n.descendants(ADHESION), None) is None
    )


NEEDS[adhesion_required_for_event] = ("S20.G00.05.011",)


def no_adhesion_nor_workplace_for_event(n: Node, e: Env) -> bool:
    """S20.G00.05.011/CCH-13: events 06, 07 forbid S21.G00.15 and S21.G00.85 blocks."""
    return n.values.get(b"011") in (b"06", b"07") and (
        next(n.descendants(ADHESION), None) is not None or has_child(n, b"S21.G00.85")
    )


NEEDS[no_adhesion_nor_workplace_for_event] = ("S20.G00.05.011",)


def one_account_per_usage(n: Node, e: Env) -> bool:
    """S21.G00.12.001/CCH-13: one (BIC, IBAN) pair per usage type in the establishment (a pair
    without BIC differs from the same IBAN with one, as the rule compares pairs)."""
    usage = n.values.get(b"001")
    holder = e.ancestor(ESTABLISHMENT)
    if usage is None or holder is None:
        return False
    pair = (n.values.get(b"002"), n.values.get(b"003"))
    return any(
        o.block == b"S21.G00.12"
        and o is not n
        and o.values.get(b"001") == usage
        and (o.values.get(b"002"), o.values.get(b"003")) != pair
        for o in holder.children or ()
    )


NEEDS[one_account_per_usage] = ("S21.G00.12.001",)


# -- scans run at an individual's close: the tree drops individuals once checked, so what the
# rules of the declaration say about its individuals is checked on each of them ---------------


def identifier_is_not_the_nir(n: Node, e: Env) -> Iterator[Node]:
    """S20.G00.05.009/CCH-11: the declaration's identifiant métier is not an individual's NIR."""
    declaration = e.ancestor(DECLARATION)
    nir = n.values.get(b"001")
    if declaration is not None and nir is not None and declaration.values.get(b"009") == nir:
        yield n


def seeding_with_adhesion_has_seniority(n: Node, e: Env) -> Iterator[Node]:
    """S20.G00.05.001/CCH-12: an amorçage (08) with an adhesion declares a seniority (S21.G00.86).
    An amorçage carries a single individual (S21.G00.30.001/CCH-15), so its blocks are the
    declaration's."""
    if e.nature == "08" and _adhesions(n, e) and not has_child(n, b"S21.G00.86"):
        yield n


def seeding_adhesion_has_affiliation(n: Node, e: Env) -> Iterator[Node]:
    """S20.G00.05.001/CCH-13: in an amorçage (08), each adhesion (S21.G00.15.005) is named by an
    affiliation (S21.G00.70.013) of the (single) individual."""
    if e.nature != "08":
        return
    adhesions = _adhesions(n, e)
    if not adhesions:
        return
    named = {a.values.get(b"013") for a in n.descendants(b"S21.G00.70")}
    for adhesion in adhesions:
        if adhesion.values.get(b"005") not in named:
            yield adhesion


def no_contract_for_event_07(n: Node, e: Env) -> Iterator[Node]:
    """S20.G00.05.011/CCH-14: event 07 (change of declarant or software) forbids contracts
    (S21.G00.40) and seniorities (S21.G00.86)."""
    if _event(e) == b"07" and (has_child(n, b"S21.G00.40") or has_child(n, b"S21.G00.86")):
        yield n


def legal_nature_with_unemployment_adhesion(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.11.017/CCH-11: a contract whose unemployment insurance is managed by the employer's
    adhesion (S21.G00.40.029 = 03, 04) calls for the employer's legal nature (S21.G00.11.017).
    Only the obligation is checked: the prohibition the message adds needs every individual."""
    establishment = e.ancestor(ESTABLISHMENT)
    if establishment is None or b"017" in establishment.values:
        return
    for contract in n.children or ():
        if contract.block == b"S21.G00.40" and contract.values.get(b"029") in (b"03", b"04"):
            yield contract
            return


def adhesion_without_staff_not_referenced(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.15.001/CCH-14: an affiliation (S21.G00.70.013) does not name an adhesion without
    staff covered (S21.G00.15.004 = 02), unless the establishment is a temporary-work agency
    (S21.G00.11.002 = 7820Z)."""
    reference = n.values.get(b"013")
    establishment = e.ancestor(ESTABLISHMENT)
    if reference is None or establishment is None:
        return
    if establishment.values.get(b"002") == b"7820Z":
        return
    if any(
        c.block == ADHESION and c.values.get(b"005") == reference and c.values.get(b"004") == b"02"
        for c in establishment.children or ()
    ):
        yield n


SCANS: dict[str, tuple[bytes, Scan]] = {
    "S20.G00.05.009/CCH-11": (INDIVIDUAL, identifier_is_not_the_nir),
    "S20.G00.05.001/CCH-12": (INDIVIDUAL, seeding_with_adhesion_has_seniority),
    "S20.G00.05.001/CCH-13": (INDIVIDUAL, seeding_adhesion_has_affiliation),
    "S20.G00.05.011/CCH-14": (INDIVIDUAL, no_contract_for_event_07),
    "S21.G00.11.017/CCH-11": (INDIVIDUAL, legal_nature_with_unemployment_adhesion),
    "S21.G00.15.001/CCH-14": (b"S21.G00.70", adhesion_without_staff_not_referenced),
}
SCAN_CHILD: dict[Scan, bytes] = {
    legal_nature_with_unemployment_adhesion: b"S21.G00.40",
}

CHECKS: dict[str, Check] = {
    "S10.G00.00.007/CCH-11": forbidden_value("S10.G00.00.007", "02", when=nature("10")),
    "S20.G00.05.008/CCH-11": forbidden_value(
        "S20.G00.05.008", "02", when=eq("S10.G00.00.007", "01")
    ),
    "S20.G00.05.008/CCH-12": forbidden_value(
        "S20.G00.05.008", "03", when=eq("S10.G00.00.007", "02")
    ),
    "S21.G00.11.024/CCH-11": forbidden("S21.G00.11.024", when=ne("S20.G00.05.002", "02", "05")),
    "S21.G00.12.001/CCH-11": forbidden_value("S21.G00.12.001", "01", when=not_(nature("08"))),
    "S21.G00.13.003/CCH-11": lambda n, e: (
        (value(n, e, "S21.G00.13.002") is None) != (value(n, e, "S21.G00.13.003") is None)
    ),
    "S21.G00.13.004/CCH-11": year_not_after_declared("S21.G00.13.004"),
    "S20.G00.05.010/SIG-11": lambda n, e: (
        value(n, e, "S20.G00.05.010") == "02"
        and (p := value(n, e, "S21.G00.06.005")) is not None
        and p[:3] not in ("986", "987", "988")
    ),
    "S21.G00.85.001/CCH-11": lambda n, e: (
        n.values.get(b"010") == b"01"
        and (v := n.get("001")) is not None
        and not siren_key_ok(v[:9])
    ),
    "S21.G00.85.001/CCH-12": lambda n, e: (
        n.values.get(b"010") == b"01" and (v := n.get("001")) is not None and not siret_key_ok(v)
    ),
    "S21.G00.85.002/CCH-11": required("S21.G00.85.002", when=eq("S21.G00.85.010", "01")),
    "S21.G00.85.011/CCH-11": required("S21.G00.85.011", when=not_(present("S21.G00.85.006"))),
    "S20.G00.05.012/CCH-11": required("S20.G00.05.012", when=eq("S20.G00.05.011", "02", "07")),
    "S21.G00.44.001/CCH-11": required(
        "S21.G00.44.002", when=eq("S21.G00.44.001", "005", "009", "015", "016")
    ),
    "S21.G00.13.004/CCH-12": lambda n, e: (
        b"004" in n.values and b"001" not in n.values and b"002" not in n.values
    ),
    "S21.G00.11.019/SIG-11": required(
        "S21.G00.11.019", when=all_of(eq("S10.G00.00.002", "TESE", "CEA"), nature("01"))
    ),
    "S21.G00.12.001/CCH-12": forbidden_value(
        "S21.G00.12.001", "01", when=not_(eq("S20.G00.05.011", "01"))
    ),
    "S21.G00.15.001/CCH-11": unique_pair_among_siblings(
        "S21.G00.15.001", "S21.G00.15.002", b"S21.G00.11"
    ),
    "S21.G00.15.005/CCH-11": unique_among_siblings("S21.G00.15.005", b"S21.G00.11"),
    "S21.G00.44.003/CCH-11": year_not_after_declared("S21.G00.44.003"),
    "S21.G00.44.004/CCH-11": required_iff("S21.G00.44.004", eq("S21.G00.44.001", "002")),
    "S20.G00.05.011/CCH-11": non_salaried_iff_event_06,
    "S20.G00.05.011/CCH-12": adhesion_required_for_event,
    "S20.G00.05.011/CCH-13": no_adhesion_nor_workplace_for_event,
    # A foreign company: its address has a country code (given only outside France) other than FR.
    "S21.G00.06.012/SIG-11": required("S21.G00.06.012", when=ne("S21.G00.06.010", "FR")),
    "S21.G00.12.001/CCH-13": one_account_per_usage,
}
