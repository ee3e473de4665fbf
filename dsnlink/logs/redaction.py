"""Scrub secrets and personal data from log events before they are rendered.

Two nets: a field whose *name* says it holds a secret is replaced whole, and every string value
(messages, tracebacks, nested containers) is searched for values that look like one — DSN lines,
NIRs, API keys, `Authorization` credentials, passwords in URLs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

REDACTED = "[redacted]"

# Lower-cased substrings of field names whose values are never logged.
SECRET_FIELD_PARTS: tuple[str, ...] = (
    "password",
    "passwd",
    "motdepasse",
    "mot_de_passe",
    "secret",
    "api_key",
    "apikey",
    "authorization",
    "token",
    "jeton",
    "cookie",
    "credential",
    "nir",
    "private_key",
)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Any DSN line `S21.G00.30.001,'value'`: the value may be a NIR, a name, an address, a wage.
    (re.compile(r"(S\d{2}\.G\d{2}\.\d{2}\.\d{3}\s*,\s*)'[^'\r\n]*'?"), rf"\1'{REDACTED}'"),
    # API keys: keep the lookup prefix (it identifies the key), drop the secret.
    (re.compile(r"\b(dsnl_[a-z0-9]{8}_)[A-Za-z0-9_-]+"), rf"\1{REDACTED}"),
    (re.compile(r"\bdsnl_[A-Za-z0-9_-]{12,}"), f"dsnl_{REDACTED}"),
    # Authorization header values, wherever they were copied.
    (re.compile(r"\b(Bearer|Basic)\s+[^\s\"',;]+", re.IGNORECASE), rf"\1 {REDACTED}"),
    (re.compile(r"\bDSNLogin\s+(?!realm=)[^\r\n\"']+"), f"DSNLogin {REDACTED}"),
    # name=value / "name": "value" pairs naming a secret, inside free text.
    (
        re.compile(
            r"((?:password|passwd|motdepasse|mot_de_passe|secret|api_key|apikey|token|jeton)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;}]+",
            re.IGNORECASE,
        ),
        rf"\1{REDACTED}",
    ),
    # `<motdepasse>…</motdepasse>` in the deposit point's XML bodies.
    (re.compile(r"(<motdepasse>)[^<]*(</motdepasse>)", re.IGNORECASE), rf"\1{REDACTED}\2"),
    # user:password@host in URLs (database URLs, proxies).
    (re.compile(r"(://[^:/@\s]+:)[^@/\s]+@"), rf"\1{REDACTED}@"),
    # NIR-like numbers (13 digits, or 15 with the key; Corsica's 2A/2B) standing alone.
    # A SIRET has 14 digits and is not matched.
    (
        re.compile(r"(?<![0-9A-Za-z])[1-478]\d{4}(?:\d{2}|2[AB])\d{6}(?:\d{2})?(?![0-9A-Za-z])"),
        REDACTED,
    ),
)


def is_secret_field(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SECRET_FIELD_PARTS)


def scrub_text(text: str) -> str:
    """`text` with every secret-looking or personal value replaced by `[redacted]`."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub(value: Any) -> Any:
    """A copy of `value` with secret fields and secret-looking strings redacted (recursive)."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {
            key: REDACTED if isinstance(key, str) and is_secret_field(key) else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return scrub_text(bytes(value).decode("latin-1"))
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        # A bare integer may be a NIR too (13 or 15 digits).
        return scrub_text(str(value)) if len(str(abs(value))) in (13, 15) else value
    return scrub_text(str(value))


def redact_event(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: the last one before rendering, so it sees tracebacks as text."""
    for key in list(event_dict):
        if key.startswith("_"):
            continue
        event_dict[key] = REDACTED if is_secret_field(key) else scrub(event_dict[key])
    return event_dict
