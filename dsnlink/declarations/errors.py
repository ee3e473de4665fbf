"""Errors of declaration intake, ordering and tracking; branches of dsnlink.errors.

InputError
├── UnsupportedUpload            a Content-Type or Content-Encoding the intake does not take
├── DeclarantNotReady            the company's declarant cannot file: no order is taken
├── MsaDepositPoint              a file for the MSA's deposit point (S10.G00.00.007 = 02)
├── IdempotencyKeyReused         an Idempotency-Key already used with another request
├── UnknownReplacedDeclaration   an A&R/cancellation whose S20.G00.05.006 is none of the tenant's
├── UnknownFilter                a listing filter the API does not know (or a bad cursor)
├── UnreadableInputError
│   └── EmptyUpload              a body with no byte (after decompression)
└── ValidationFailed
    ├── UnidentifiableDeclaration   no SIREN/SIRET could be read: the file cannot be filed anywhere
    └── DeclarationRejected         the norm controls refused it: it can never be transmitted
NotFoundError
└── NotDeposited                 no deposit receipt: the deposit point does not hold the file yet
ForbiddenError
└── ForeignEstablishment         the file's SIREN or SIRET is not one of the tenant's
ConflictError
├── DuplicateDeclaration         the same bytes were already received for the tenant
├── AlreadyFiled                 a normal declaration for that SIRET, month and nature is live
├── NotCancellable               only a validated declaration never ordered may be cancelled
├── AlreadyOrdered               its transmission was already ordered
├── NotTransmittable             its status no longer allows an order
└── IllegalTransition            a status change docs/statuses.md does not allow (timeline.py)
LimitExceeded
├── UploadTooLarge               over Settings.max_upload_bytes (counted decompressed)
├── QuotaExceeded                the offering's payslips per company per year would be passed
└── StorageQuotaExceeded         the tenant's stored files would pass its storage quota
DeadlineError
├── CutoffPassed                 after the cut-off, without accept_late
└── ReplacementTooLate           an annule-et-remplace after its legal limit (even accept_late)
"""

from __future__ import annotations

from dsnlink.errors import (
    ConflictError,
    DeadlineError,
    ForbiddenError,
    InputError,
    LimitExceeded,
    NotFoundError,
    UnreadableInputError,
    ValidationFailed,
)


class UnsupportedUpload(InputError):
    code = "unsupported-upload"


class EmptyUpload(UnreadableInputError):
    code = "empty-upload"


class UnidentifiableDeclaration(ValidationFailed):
    code = "unidentifiable-declaration"


class DeclarationRejected(ValidationFailed):
    code = "declaration-rejected"


class ForeignEstablishment(ForbiddenError):
    code = "establishment-not-registered"


class DuplicateDeclaration(ConflictError):
    code = "duplicate-declaration"


class AlreadyOrdered(ConflictError):
    code = "already-ordered"


class NotTransmittable(ConflictError):
    code = "not-transmittable"


class UploadTooLarge(LimitExceeded):
    code = "upload-too-large"


class QuotaExceeded(LimitExceeded):
    code = "quota-exceeded"


class StorageQuotaExceeded(LimitExceeded):
    code = "storage-quota-exceeded"


class CutoffPassed(DeadlineError):
    code = "cutoff-passed"


class IllegalTransition(ConflictError):
    code = "illegal-transition"


class DeclarantNotReady(InputError):
    code = "declarant-not-ready"


class MsaDepositPoint(InputError):
    code = "msa-deposit-point"


class IdempotencyKeyReused(InputError):
    code = "idempotency-key-reused"


class UnknownReplacedDeclaration(InputError):
    code = "replaced-declaration-unknown"


class UnknownFilter(InputError):
    code = "unknown-filter"


class AlreadyFiled(ConflictError):
    code = "declaration-already-filed"


class NotCancellable(ConflictError):
    code = "not-cancellable"


class ReplacementTooLate(DeadlineError):
    code = "replacement-too-late"


class NotDeposited(NotFoundError):
    code = "not-deposited"
