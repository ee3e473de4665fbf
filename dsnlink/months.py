"""Declared months ("YYYY-MM"): one parser for the CLI, the API and the domain rules."""

from __future__ import annotations

import re
from datetime import date

from dsnlink.errors import InputError

# This century only: deadlines fall in the following months, so year 0 or 9999 has no meaning.
MONTH_RE = re.compile(r"^(20\d{2})-(0[1-9]|1[0-2])$")


def parse_month(value: date | str, *, name: str = "month") -> date:
    """The first day of a month given as a date or "YYYY-MM" (2000–2099)."""
    if isinstance(value, date):
        first = value.replace(day=1)
        if 2000 <= first.year <= 2099:
            return first
    else:
        match = MONTH_RE.match(str(value).strip())
        if match:
            return date(int(match.group(1)), int(match.group(2)), 1)
    raise InputError(f"{name} must read YYYY-MM (2000–2099), got {value!r}", month=str(value))
