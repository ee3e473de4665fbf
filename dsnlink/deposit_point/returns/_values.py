"""Small readers shared by the three families: text, integers, dates, instants, months."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from lxml import etree

from dsnlink.deposit_point.returns.model import ReturnStatus

# Times in returns are the deposit point's and organisms' local time.
PARIS = ZoneInfo("Europe/Paris")

_SEVERITY = {ReturnStatus.OK: 0, ReturnStatus.ANO: 1, ReturnStatus.KO: 2}


def clean(value: str | None) -> str | None:
    """Collapse the layout whitespace (newlines, tabs) documents put inside values."""
    if value is None:
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def text(node: etree._Element | None, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path)
    return None if found is None else clean(found.text)


def integer(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def status(value: str | None) -> ReturnStatus | None:
    if value is None:
        return None
    try:
        return ReturnStatus(value.strip().upper())
    except ValueError:
        return None


def worst(*statuses: ReturnStatus | None) -> ReturnStatus | None:
    known = [s for s in statuses if s is not None]
    return max(known, key=_SEVERITY.__getitem__) if known else None


def local_instant(day: str | None, clock: str | None = None) -> datetime | None:
    """A local date (AAAA-MM-JJ) and time (HH:MM:SS) as a UTC instant; None when unreadable."""
    if day is None:
        return None
    try:
        local = datetime.combine(
            date.fromisoformat(day), time.fromisoformat(clock) if clock else time(0, 0)
        )
    except ValueError:
        return None
    return local.replace(tzinfo=PARIS).astimezone(UTC)


def local_timestamp(value: str | None) -> datetime | None:
    """AAAA-MM-JJTHH:MM:SS or AAAAMMJJHHMMSS in local time, as a UTC instant."""
    if value is None:
        return None
    compact = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})", value)
    try:
        if compact:
            parts = [int(p) for p in compact.groups()]
            local = datetime(*parts)  # type: ignore[arg-type]
        else:
            local = datetime.fromisoformat(value)
    except ValueError:
        return None
    if local.tzinfo is None:
        local = local.replace(tzinfo=PARIS)
    return local.astimezone(UTC)


def month(value: str | None) -> str | None:
    """A declared month as AAAA-MM, from JJMMAAAA or AAAA-MM-JJ; None when unreadable."""
    if value is None:
        return None
    if re.fullmatch(r"\d{8}", value):
        candidate = f"{value[4:8]}-{value[2:4]}"
    elif re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", value):
        candidate = value[:7]
    else:
        return None
    return candidate if 1 <= int(candidate[5:7]) <= 12 else None


def split_siret(siret: str | None) -> tuple[str | None, str | None]:
    if siret and len(siret) == 14 and siret.isdigit():
        return siret[:9], siret[9:]
    return None, None
