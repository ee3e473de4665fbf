"""The one error tree of the domain core.

DsnlinkError
├── InputError            bad input from a user or a client (never a server fault)
│   ├── UnreadableInputError   a file that cannot be read at all (missing, not a DSN, bad gzip)
│   └── ValidationFailed       a declaration refused by the norm controls
├── NotFoundError         the resource does not exist (or belongs to another tenant)
├── ConflictError         the request contradicts what is already stored
├── ForbiddenError        the caller may not do this
├── LimitExceeded         a contractual limit would be passed
├── DeadlineError         a deadline or cut-off forbids the action
├── UnavailableError      service temporarily unavailable (maintenance)
└── TransmissionError     a call to the deposit point failed
    ├── TransientTransmissionError   worth retrying (network, timeout, 429, 5xx)
    └── PermanentTransmissionError   never retried (4xx, ARE, locked account)

Errors carry typed context, not just text; api/errors.py maps each class to an HTTP status and a
stable problem type.
"""

from __future__ import annotations

from typing import Any


class DsnlinkError(Exception):
    """Root of every error the domain raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context: dict[str, Any] = context

    def __str__(self) -> str:
        return self.message


class InputError(DsnlinkError):
    code = "invalid-input"


class UnreadableInputError(InputError):
    code = "unreadable-input"


class ValidationFailed(InputError):
    code = "validation-failed"


class NotFoundError(DsnlinkError):
    code = "not-found"


class ConflictError(DsnlinkError):
    code = "conflict"


class ForbiddenError(DsnlinkError):
    code = "forbidden"


class LimitExceeded(DsnlinkError):
    code = "limit-exceeded"


class DeadlineError(DsnlinkError):
    code = "deadline"


class UnavailableError(DsnlinkError):
    code = "unavailable"


class TransmissionError(DsnlinkError):
    code = "transmission"


class TransientTransmissionError(TransmissionError):
    code = "transmission-transient"


class PermanentTransmissionError(TransmissionError):
    code = "transmission-permanent"
