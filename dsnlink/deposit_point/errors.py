"""Failures of calls to the deposit point, as typed branches of dsnlink.errors.TransmissionError.

TransmissionError
├── TransientTransmissionError           worth trying again later
│   ├── DepositPointUnreachable          no connection made: the request surely never left
│   ├── ExchangeInterrupted              sent, answer lost (read timeout, dropped connection)
│   ├── AmbiguousDepositError            a deposit that MAY have been received: reconcile first
│   ├── DepositPointUnavailable          deposit path not served (norm-switch freeze, 404)
│   ├── ServerError                      5xx on an idempotent call
│   ├── SearchWindowTooWide              429: the listing window exceeds what the server allows
│   └── MalformedResponse                a 200 whose body cannot be read
└── PermanentTransmissionError           retrying the same request cannot help
    ├── AuthenticationFailed             401 (realm says why), also after the one re-authentication
    │   └── DeclarantNotRegistered       401 "non-inscrit": the deposit point does not know the
    │                                    declarant (a new login cannot help)
    ├── AccountLocked                    403 on authentication: too many failed logins
    ├── CredentialsRejected              422 on authentication: a field missing or too long
    ├── DepositRefused                   422 with an ARE: the deposit point refused the file
    ├── RequestRejected                  400, 406, 407, 415, 422 without ARE, other 4xx
    ├── AccessDenied                     403 on a business call (another's flow, bad Host)
    ├── NotFoundOnDepositPoint           404 on a listing or download (unknown, purged)
    ├── UntrustedReturnUrl               a return URL pointing outside the configured hosts
    └── ResponseTooLarge                 an answer past the size limit once decompressed (a bomb)

InputError
└── InvalidCredentials                   concentrator credentials breaking the API's field limits

`maybe_deposited` is True only on AmbiguousDepositError: the worker must then look the flow up
with `lister-depots` before sending again (the API has no idempotency key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from dsnlink.errors import InputError, PermanentTransmissionError, TransientTransmissionError

if TYPE_CHECKING:
    from dsnlink.deposit_point.returns.model import ReturnDocument


class _DepositPointContext:
    """Typed context shared by every deposit-point failure (the operation, status, attempt)."""

    maybe_deposited: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        http_status: int | None = None,
        attempt: int | None = None,
        **context: Any,
    ) -> None:
        super().__init__(  # type: ignore[call-arg]
            message, operation=operation, http_status=http_status, attempt=attempt, **context
        )
        self.operation = operation
        self.http_status = http_status
        self.attempt = attempt


class DepositPointTransientError(_DepositPointContext, TransientTransmissionError):
    """A transient failure of a deposit-point call."""


class DepositPointPermanentError(_DepositPointContext, PermanentTransmissionError):
    """A permanent failure of a deposit-point call."""


class DepositPointUnreachable(DepositPointTransientError):
    """No connection could be made (connect error or timeout, pool timeout, proxy refusal)."""

    code = "deposit-point-unreachable"


class ExchangeInterrupted(DepositPointTransientError):
    """The request went out but no complete answer came back."""

    code = "exchange-interrupted"


class AmbiguousDepositError(DepositPointTransientError):
    """A deposit that may have been received: reconcile via lister-depots, never resend blindly."""

    code = "deposit-ambiguous"
    maybe_deposited: ClassVar[bool] = True


class DepositPointUnavailable(DepositPointTransientError):
    """The deposit path is not served at the moment (yearly norm switch freezes deposits)."""

    code = "deposit-point-unavailable"


class ServerError(DepositPointTransientError):
    """The deposit point answered 5xx to an idempotent call."""

    code = "deposit-point-server-error"


class SearchWindowTooWide(DepositPointTransientError):
    """429: the search window is wider than allowed; `max_minutes` is the server's limit if told."""

    code = "search-window-too-wide"

    def __init__(self, message: str, *, max_minutes: int | None, **context: Any) -> None:
        super().__init__(message, max_minutes=max_minutes, **context)
        self.max_minutes = max_minutes


class MalformedResponse(DepositPointTransientError):
    """A 200 whose body is not what the API documents (a proxy page, truncated XML)."""

    code = "deposit-point-malformed-response"


class AuthenticationFailed(DepositPointPermanentError):
    """401: the realm of `WWW-Authenticate` says why (wrong password, expired, not registered)."""

    code = "authentication-failed"

    def __init__(
        self, message: str, *, realm: str | None, scheme: str | None, **context: Any
    ) -> None:
        super().__init__(message, realm=realm, scheme=scheme, **context)
        self.realm = realm
        self.scheme = scheme


class DeclarantNotRegistered(AuthenticationFailed):
    """401 with the realm "Utilisateur non-inscrit au service": the declarant named in the
    Authorization header is unknown to the deposit point (or not registered for DSN)."""

    code = "declarant-not-registered"


class AccountLocked(DepositPointPermanentError):
    """403 on authentication: the concentrator account is locked; a human must unlock it."""

    code = "account-locked"

    def __init__(self, message: str, *, server_message: str | None, **context: Any) -> None:
        super().__init__(message, server_message=server_message, **context)
        self.server_message = server_message


class CredentialsRejected(DepositPointPermanentError):
    """422 on authentication: the server found a field missing or too long."""

    code = "credentials-rejected"


class DepositRefused(DepositPointPermanentError):
    """422 with an ARE: the deposit point refused the file; `report` holds its own words."""

    code = "deposit-refused"

    def __init__(self, message: str, *, report: ReturnDocument, **context: Any) -> None:
        super().__init__(message, idflux=report.idflux, **context)
        self.report = report
        self.idflux = report.idflux
        self.anomalies = report.anomalies


class RequestRejected(DepositPointPermanentError):
    """A 4xx that resending the same request cannot cure (400, 406, 407, 415, 422 without ARE)."""

    code = "request-rejected"


class AccessDenied(DepositPointPermanentError):
    """403 on a business call: another's flow, or a Host the deposit point refuses."""

    code = "access-denied"


class NotFoundOnDepositPoint(DepositPointPermanentError):
    """404 on a listing or download: unknown flow or return, purged, or missing range."""

    code = "not-found-on-deposit-point"


class UntrustedReturnUrl(DepositPointPermanentError):
    """A return URL outside the configured hosts: the token is never sent there."""

    code = "untrusted-return-url"


class ResponseTooLarge(DepositPointPermanentError):
    """An answer larger than the configured limit once decompressed: read no further."""

    code = "response-too-large"


class InvalidCredentials(InputError):
    """Concentrator credentials that break the API's limits (checked before any call)."""

    code = "invalid-credentials"
