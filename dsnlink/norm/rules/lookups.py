"""Lookups the payment controls share: the blocks a payment element sits among, the contract it
names, that contract's end, the establishment's place (metropolitan or Monaco)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dsnlink.norm.rules.templates import INDIVIDUAL, to_amount
from dsnlink.norm.tree import Env, Node

CONTRACT = b"S21.G00.40"
PAYMENT = b"S21.G00.50"
REMUNERATION = b"S21.G00.51"
BONUS = b"S21.G00.52"
ACTIVITY = b"S21.G00.53"
OTHER_INCOME = b"S21.G00.54"
NET_INCOME = b"S21.G00.58"
CONTRACT_END = b"S21.G00.62"


def children(n: Node | None, block: bytes) -> list[Node]:
    return [] if n is None else n.kids_of(block)


def contracts(e: Env) -> list[Node]:
    return children(e.ancestor(INDIVIDUAL), CONTRACT)


def contract_numbered(e: Env, number: bytes | None) -> Node | None:
    """The individual's contract whose number (S21.G00.40.009) is `number`; when no number is
    given, the individual's only contract (a contract number is optional with one contract)."""
    found = contracts(e)
    if number is None:
        return found[0] if len(found) == 1 else None
    for c in found:  # a loop, not next(genexpr): this runs for every remuneration
        if c.values.get(b"009") == number:
            return c
    return None


def end_reason(contract: Node | None) -> bytes | None:
    """The reason of the contract's end (S21.G00.62.002), None without an end block."""
    end = children(contract, CONTRACT_END)
    return end[0].values.get(b"002") if end else None


def amount(node: Node, fld: bytes) -> Decimal | None:
    v = node.values.get(fld)
    return None if v is None else to_amount(v.decode("latin-1"))


def metropolitan_establishment(e: Env) -> bool:
    """The establishment's postal code (S21.G00.11.004) is given and not Monaco's (98...)."""
    est = e.ancestor(b"S21.G00.11")
    postal = None if est is None else est.values.get(b"004")
    return postal is not None and not postal.startswith(b"98")


def has_net_social(payment: Node) -> bool:
    return any(c.values.get(b"003") == b"03" for c in children(payment, NET_INCOME))


def in_declared_month(d: date, e: Env) -> bool:
    """`d` falls in the main declared month (S20.G00.05.005)."""
    return (
        d is not None and e.month is not None and (d.year, d.month) == (e.month.year, e.month.month)
    )
