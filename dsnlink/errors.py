"""The one error tree of the domain core: the branches live here, the leaves in each package.

DsnlinkError
├── InputError                bad input from a user or a client (never a server fault)
│   ├── UnreadableInputError       unreadable file (missing, not a DSN, bad gzip); EmptyUpload
│   ├── ValidationFailed           DeclarationRejected, UnidentifiableDeclaration (declarations/)
│   └── InvalidSiren/InvalidSiret (tenants/), UnsupportedUpload (declarations/),
│       MaintenanceRefusedError, UnknownCriticity/FormulaError (sla/),
│       SampleParameterError (norm/), InvalidCredentials (deposit_point/)
├── NotFoundError             absent, or another tenant's; UnknownOfferingError (sla/)
├── ConflictError             contradicts what is stored: AlreadyExists, LastAdministrator,
│                             ExternalAdministratorExists, ApiKeyRevoked (tenants/),
│                             DuplicateDeclaration, AlreadyOrdered, NotTransmittable,
│                             IllegalTransition (declarations/)
├── ForbiddenError            AuthenticationRequired, AdministratorRequired, TenantNotActivated
│                             (tenants/), ForeignEstablishment (declarations/)
├── LimitExceeded             QuotaExceeded, UploadTooLarge (declarations/)
├── DeadlineError             CutoffPassed (declarations/)
├── UnavailableError          service temporarily unavailable (maintenance, a server not starting)
├── TransmissionError         a call to the deposit point failed (leaves in deposit_point/errors.py)
│   ├── TransientTransmissionError   retried: unreachable, unavailable, 5xx, 429 window,
│   │                                AmbiguousDepositError (maybe deposited: reconcile first)
│   └── PermanentTransmissionError   never retried: DepositRefused (ARE), AccountLocked,
│                                    AuthenticationFailed, RequestRejected, …
└── configuration and operations: KeyConfigurationError, CorruptSecretError (security/),
    OfferingCatalogueError (sla/), BackupError (ops/backup.py)

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
