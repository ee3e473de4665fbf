"""Text accepted from clients: only what every database (and every encoder) can store.

PostgreSQL refuses NUL in text, and UTF-8 cannot encode a lone surrogate (JSON's `\\ud800`):
such input is refused as bad input up front, never left to fail in the database as a 500.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from dsnlink.errors import InputError

# C0 controls other than tab, line feed and carriage return; DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_storable(text: str) -> bool:
    """Whether `text` has no control character and encodes as UTF-8."""
    if _CONTROL.search(text):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_storable(text: str, *, field: str) -> str:
    """`text` itself, or InputError when it cannot be stored."""
    if not is_storable(text):
        raise InputError(
            f"{field} contains control characters or invalid Unicode", field=field
        )
    return text


class InputModel(BaseModel):
    """Base of every request body: unknown fields refused, every text storable."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        texts = value if isinstance(value, list | tuple | set | frozenset) else [value]
        for text in texts:
            plain = text.get_secret_value() if isinstance(text, SecretStr) else text
            if isinstance(plain, str) and not is_storable(plain):
                raise ValueError("contains control characters or invalid Unicode")
        return value
