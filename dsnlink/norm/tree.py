"""The declaration tree the validator keeps while it streams a file.

Each open block occurrence is a `Node` on a depth-first stack; when it closes, its rules run and it
is attached to its parent, except individuals (S21.G00.30, S89.G00.91) and declarations, which
are dropped once checked: memory stays bounded by the largest individual, not by the file.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache


@dataclass(slots=True)
class Node:
    """One block occurrence: its rubrics (field number -> raw value) and its closed children."""

    block: bytes
    line: int
    values: dict[bytes, bytes] = field(default_factory=dict)
    children: list[Node] | None = None
    counts: dict[bytes, int] | None = None  # child block -> occurrences, made on first child
    last_rank: int = -1
    last_child: bytes = b""
    orphan: bool = False
    index: dict[bytes, list[Node]] | None = None  # descendants by block, once closed
    kids: dict[bytes, list[Node]] | None = None  # children by block; reset when one is added

    def get(self, fld: str) -> str | None:
        raw = self.values.get(fld.encode())
        return None if raw is None else raw.decode("latin-1")

    def line_of(self, fld: str) -> int:
        """Line of a rubric of this block (its rubrics come first, one per line, in order)."""
        key = fld.encode()
        for offset, name in enumerate(self.values):
            if name == key:
                return self.line + offset
        return self.line

    def kids_of(self, block: bytes) -> list[Node]:
        """Children of a block (not to be modified): grouped once, as rules ask the same node
        for its children of one block or another again and again."""
        kids = self.kids
        if kids is None:
            kids = self.kids = {}
            for child in self.children or ():
                group = kids.get(child.block)
                if group is None:
                    kids[child.block] = [child]
                else:
                    group.append(child)
        return kids.get(block) or []

    def descendants(self, block: bytes) -> Iterator[Node]:
        """Closed descendants of a block, depth-first; indexed on first use, as rules only look
        at a node once it is closed (its subtree complete)."""
        index = self.index
        if index is None:
            index = self.index = {}
            if self.children:
                _index_subtree(self.children, index)
        return iter(index.get(block, ()))


def _index_subtree(children: list[Node], index: dict[bytes, list[Node]]) -> None:
    """Add `children` and their descendants to `index`, depth-first (recursion is cheaper than
    an explicit stack here, and a subtree is a few levels deep)."""
    for node in children:
        group = index.get(node.block)
        if group is None:
            index[node.block] = [node]
        else:
            group.append(node)
        if node.children:
            _index_subtree(node.children, index)


@dataclass(slots=True)
class Env:
    """What a rule may look at besides its own block: the declaration and the open ancestors."""

    stack: list[Node]
    nature: str | None = None
    type: str | None = None
    month: date | None = None  # first day of the main declared month (S20.G00.05.005)
    built: date | None = None  # S20.G00.05.007, the date the declaration was built
    siren: str | None = None  # S21.G00.06.001, the company of the declaration
    month_end: date | None = None  # last day of the main declared month
    next_month_end: date | None = None  # last day of the month after it
    # What a control over the whole declaration remembers of blocks already checked and dropped
    # (individuals are): rubric key -> value -> line where first seen, for the one declaration at
    # line `seen_in`; an earlier declaration's values are forgotten when the next one records, so
    # memory stays bounded by one declaration's distinct values (`remember`, `recalled`).
    seen_at: dict[bytes, dict[bytes, int]] = field(default_factory=dict)
    seen_in: int = -1

    def __post_init__(self) -> None:
        self.set_month(self.month)

    def set_month(self, month: date | None) -> None:
        self.month = month
        if month is None:
            self.month_end = self.next_month_end = None
            return
        self.month_end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        y, m = (month.year + 1, 1) if month.month == 12 else (month.year, month.month + 1)
        self.next_month_end = date(y, m, calendar.monthrange(y, m)[1])

    def remember(self, declaration: int, key: bytes, value: bytes, line: int) -> None:
        """Record `value` under `key` for the declaration at line `declaration` (first line
        kept); a new declaration forgets what the previous one recorded."""
        if self.seen_in != declaration:
            self.seen_at.clear()
            self.seen_in = declaration
        self.seen_at.setdefault(key, {}).setdefault(value, line)

    def recalled(self, declaration: int, key: bytes) -> dict[bytes, int]:
        """Values recorded under `key` for the declaration at line `declaration` (value -> line
        first seen); empty when nothing was."""
        if self.seen_in != declaration:
            return {}
        return self.seen_at.get(key, {})

    def ancestor(self, block: bytes) -> Node | None:
        for node in reversed(self.stack):
            if node.block == block:
                return node
        return None


def parse_date(value: str | None) -> date | None:
    """A DDMMYYYY value as a date; None when absent or not a calendar date (reported elsewhere)."""
    if value is None:
        return None
    return _parse_date(value)


@lru_cache(maxsize=4096)
def _parse_date(value: str) -> date | None:
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return date(int(value[4:]), int(value[2:4]), int(value[:2]))
    except ValueError:
        return None
