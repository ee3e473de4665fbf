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

    def descendants(self, block: bytes) -> Iterator[Node]:
        for child in self.children or ():
            if child.block == block:
                yield child
            yield from child.descendants(block)


@dataclass(slots=True)
class Env:
    """What a rule may look at besides its own block: the declaration and the open ancestors."""

    stack: list[Node]
    nature: str | None = None
    type: str | None = None
    month: date | None = None  # first day of the main declared month (S20.G00.05.005)
    built: date | None = None  # S20.G00.05.007, the date the declaration was built

    def ancestor(self, block: bytes) -> Node | None:
        for node in reversed(self.stack):
            if node.block == block:
                return node
        return None

    @property
    def month_end(self) -> date | None:
        if self.month is None:
            return None
        return self.month.replace(day=calendar.monthrange(self.month.year, self.month.month)[1])

    @property
    def next_month_end(self) -> date | None:
        if self.month is None:
            return None
        y, m = (
            (self.month.year + 1, 1)
            if self.month.month == 12
            else (self.month.year, self.month.month + 1)
        )
        return date(y, m, calendar.monthrange(y, m)[1])


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
