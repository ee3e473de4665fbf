"""Reading the deposit point's answers: statuses to typed errors, the login and deposit answers,
listings of deposits and returns, and the dates and headers they carry."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from lxml import etree
from tenacity import (
    RetryCallState,
)

from dsnlink.deposit_point.errors import (
    AccessDenied,
    AccountLocked,
    AmbiguousDepositError,
    AuthenticationFailed,
    CredentialsRejected,
    DeclarantNotRegistered,
    DepositPointTransientError,
    DepositPointUnavailable,
    DepositPointUnreachable,
    DepositRefused,
    ExchangeInterrupted,
    MalformedResponse,
    NotFoundOnDepositPoint,
    RequestRejected,
    ResponseTooLarge,
    SearchWindowTooWide,
    ServerError,
)
from dsnlink.deposit_point.records import (
    AttemptOutcome,
    DepositRecord,
    DepositResult,
    Operation,
    ReturnRecord,
)
from dsnlink.deposit_point.returns.errors import DecompressionLimitExceeded, UnreadableReturn
from dsnlink.deposit_point.returns.model import ReturnDocument, ReturnKind, ReturnStatus
from dsnlink.deposit_point.returns.reader import read_return
from dsnlink.deposit_point.returns.safety import iter_decompress_bounded, parse_untrusted_xml
from dsnlink.errors import InputError, TransmissionError

logger = logging.getLogger(__name__)

PATH_DATE_FORMAT = "%Y%m%d%H%M%S"

REALM = re.compile(r'realm="([^"]*)"', re.IGNORECASE)

ACCEPT_RANGES = re.compile(r"minutes\s*=\s*\d+\s*-\s*(\d+)", re.IGNORECASE)

# Failures raised before any byte of the request left: resending cannot duplicate anything.
NOT_SENT_ERRORS: tuple[type[httpx.RequestError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
)


def login_token(response: httpx.Response) -> str:
    """Read the authentication answer: the token, or a typed error (locked, refused...)."""
    status = response.status_code
    if status == 200:
        token = response.text.strip()
        if not token:
            raise MalformedResponse(
                "authentication answered 200 with an empty token",
                operation=Operation.AUTHENTICATE,
                http_status=status,
            )
        return token
    if status == 401:
        raise authentication_failed(response, Operation.AUTHENTICATE)
    if status == 403:
        server_message = response.text.strip() or None
        raise AccountLocked(
            "concentrator account locked by the deposit point"
            + (f": {server_message}" if server_message else "")
            + realm_suffix(response),
            server_message=server_message,
            operation=Operation.AUTHENTICATE,
            http_status=status,
        )
    if status == 404:
        raise DepositPointUnavailable(
            "authentication service not available (404)",
            operation=Operation.AUTHENTICATE,
            http_status=status,
        )
    if status == 422:
        raise CredentialsRejected(
            "authentication request refused (a field missing or too long)",
            operation=Operation.AUTHENTICATE,
            http_status=status,
        )
    raise generic_status_error(response, Operation.AUTHENTICATE)


def deposit_result(response: httpx.Response) -> DepositResult:
    """Read the deposit's answer: AEE → DepositResult; ARE or anything else → a typed error."""
    status = response.status_code
    op = Operation.DEPOSIT
    if status == 200:
        report = report_or_none(response.content)
        if report is None or not report.idflux:
            raise AmbiguousDepositError(
                "deposit answered 200 without a readable AEE: the flow exists but its id "
                "is unknown; reconcile through lister-depots",
                operation=op,
                http_status=status,
            )
        if report.kind is ReturnKind.ARE or report.status is ReturnStatus.KO:
            raise DepositRefused(
                refusal_message(report), report=report, operation=op, http_status=status
            )
        return DepositResult(
            idflux=report.idflux,
            status=report.status.value if report.status else "OK",
            received_at=report.received_at,
            report=report,
        )
    if status == 422:
        report = report_or_none(response.content)
        if report is not None and report.kind is ReturnKind.ARE:
            raise DepositRefused(
                refusal_message(report), report=report, operation=op, http_status=status
            )
        raise RequestRejected(
            "deposit refused with 422 and no ARE (empty or unacceptable body)",
            operation=op,
            http_status=status,
            body=snippet(response),
        )
    if status == 401:
        raise authentication_failed(response, op)
    if status == 404:
        raise DepositPointUnavailable(
            "deposit path not served (404): deposits are frozen or the service is closed",
            operation=op,
            http_status=status,
        )
    if status >= 500:
        raise AmbiguousDepositError(
            f"deposit answered {status} after the file was sent: it may have been "
            "received; reconcile through lister-depots",
            operation=op,
            http_status=status,
        )
    raise generic_status_error(response, op)


def log_retry(retry_state: RetryCallState) -> None:
    error = retry_state.outcome.exception() if retry_state.outcome else None
    logger.warning(
        "deposit point call failed (attempt %d), retrying: %s", retry_state.attempt_number, error
    )


def outcome(error: TransmissionError | None) -> AttemptOutcome:
    if error is None:
        return AttemptOutcome.SUCCEEDED
    if isinstance(error, AmbiguousDepositError):
        return AttemptOutcome.AMBIGUOUS
    if isinstance(error, AuthenticationFailed):
        return AttemptOutcome.UNAUTHORIZED
    if isinstance(error, SearchWindowTooWide):
        return AttemptOutcome.WINDOW_TOO_WIDE
    if isinstance(error, DepositPointTransientError):
        return AttemptOutcome.TRANSIENT_FAILURE
    return AttemptOutcome.PERMANENT_FAILURE


def idflux_of(error: TransmissionError | None, result: object) -> str | None:
    if isinstance(result, DepositResult):
        return result.idflux
    if isinstance(error, DepositRefused):
        return error.idflux
    return None


def transport_error(exc: httpx.RequestError, operation: Operation) -> TransmissionError:
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, NOT_SENT_ERRORS):
        return DepositPointUnreachable(
            f"{operation.value}: no connection to the deposit point ({detail})",
            operation=operation,
        )
    if operation is Operation.DEPOSIT:
        return AmbiguousDepositError(
            f"deposit interrupted after sending ({detail}): it may have been received; "
            "reconcile through lister-depots",
            operation=operation,
        )
    return ExchangeInterrupted(
        f"{operation.value}: exchange interrupted ({detail})", operation=operation
    )


def generic_status_error(response: httpx.Response, operation: Operation) -> TransmissionError:
    status = response.status_code
    if status == 401:
        return authentication_failed(response, operation)
    if status == 403:
        return AccessDenied(
            f"{operation.value}: forbidden (403){realm_suffix(response)}",
            operation=operation,
            http_status=status,
            body=snippet(response),
        )
    if status == 404:
        return NotFoundOnDepositPoint(
            f"{operation.value}: not found on the deposit point (404)",
            operation=operation,
            http_status=status,
        )
    if status == 429:
        return SearchWindowTooWide(
            f"{operation.value}: search window too wide (429)",
            max_minutes=accept_ranges_minutes(response),
            operation=operation,
            http_status=status,
        )
    if status >= 500:
        return ServerError(
            f"{operation.value}: deposit point error {status}",
            operation=operation,
            http_status=status,
        )
    return RequestRejected(
        f"{operation.value}: request rejected ({status})",
        operation=operation,
        http_status=status,
        body=snippet(response),
    )


def authentication_failed(response: httpx.Response, operation: Operation) -> AuthenticationFailed:
    header = response.headers.get("WWW-Authenticate", "")
    match = REALM.search(header)
    realm = match.group(1) if match else None
    scheme = (header.split(" ", 1)[0] or None) if header else None
    kind = (
        DeclarantNotRegistered
        if realm and "non-inscrit" in realm.lower() and operation is not Operation.AUTHENTICATE
        else AuthenticationFailed
    )
    return kind(
        f"{operation.value}: authentication refused (401)" + (f": {realm}" if realm else ""),
        realm=realm,
        scheme=scheme,
        operation=operation,
        http_status=response.status_code,
    )


def realm_suffix(response: httpx.Response) -> str:
    match = REALM.search(response.headers.get("WWW-Authenticate", ""))
    return f" ({match.group(1)})" if match else ""


def accept_ranges_minutes(response: httpx.Response) -> int | None:
    match = ACCEPT_RANGES.search(response.headers.get("Accept-Ranges", ""))
    return int(match.group(1)) if match else None


def server_lifetime(response: httpx.Response, now: datetime) -> timedelta | None:
    """How long an answer stays valid: Expires minus the server's own Date when both make
    sense (immune to clock skew), else Expires minus our now; None without Expires."""
    expires = http_date(response.headers.get("Expires"))
    if expires is None:
        return None
    served = http_date(response.headers.get("Date"))
    if served is not None and expires > served:
        return expires - served
    return expires - now


def http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise InputError(f"{name} must be a timezone-aware datetime")
    return value


def check_identifier(name: str, value: str, limit: int) -> None:
    if not value or len(value) > limit:
        raise InputError(f"{name} must be 1 to {limit} characters", value=value)


def snippet(response: httpx.Response, limit: int = 500) -> str:
    try:
        return response.text[:limit]
    except (UnicodeDecodeError, httpx.DecodingError):
        return ""


def report_or_none(content: bytes) -> ReturnDocument | None:
    """The AEE or ARE a deposit answered with, or None when the body is not one."""
    if not content.strip():
        return None
    report = read_return(content, nature="10")
    return report if report.readable and report.kind in {ReturnKind.AEE, ReturnKind.ARE} else None


def refusal_message(report: ReturnDocument) -> str:
    words = "; ".join(f"{a.code}: {a.message}" if a.code else a.message for a in report.anomalies)
    return "deposit refused by the deposit point (ARE)" + (f": {words}" if words else "")


def return_key(record: ReturnRecord) -> tuple[str, str | None, str | None, str | None]:
    return (record.idflux, record.nature, record.ops, record.return_id)


def child(node: etree._Element, name: str) -> str | None:
    found = node.find(name)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def listing_root(response: httpx.Response, expected: str, operation: Operation) -> etree._Element:
    try:
        root = parse_untrusted_xml(response.content)
    except UnreadableReturn as exc:
        raise MalformedResponse(
            f"{operation.value}: unreadable listing ({exc})",
            operation=operation,
            http_status=response.status_code,
        ) from exc
    if root.tag != expected:
        raise MalformedResponse(
            f"{operation.value}: expected <{expected}>, got <{root.tag}>",
            operation=operation,
            http_status=response.status_code,
        )
    return root


def listing_time(value: str | None, server_tz: tzinfo) -> datetime | None:
    """Listing timestamps are yyyyMMddHHmmss in the deposit point's local time (ISO accepted)."""
    if value is None:
        return None
    try:
        local = datetime.strptime(value, PATH_DATE_FORMAT).replace(tzinfo=server_tz)
        return local.astimezone(UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=server_tz)
    return parsed.astimezone(UTC)


def parse_deposits(response: httpx.Response, server_tz: tzinfo) -> list[DepositRecord]:
    root = listing_root(response, "depots", Operation.LIST_DEPOSITS)
    records: list[DepositRecord] = []
    for declarant in root.iterfind("declarant"):
        siret = child(declarant, "siret")
        for depot in declarant.iterfind("depot"):
            idflux = child(depot, "idflux")
            if idflux is None:
                continue
            raw_date = child(depot, "date")
            records.append(
                DepositRecord(
                    idflux=idflux,
                    deposited_at=listing_time(raw_date, server_tz),
                    status=child(depot, "statut") or "",
                    declarant_siret=siret,
                    raw_date=raw_date,
                )
            )
    return records


def parse_returns(
    response: httpx.Response, server_tz: tzinfo, operation: Operation
) -> list[ReturnRecord]:
    root = listing_root(response, "retours", operation)
    return list(iter_returns(root, server_tz))


def iter_returns(root: etree._Element, server_tz: tzinfo) -> Iterator[ReturnRecord]:
    for flux in root.iterfind("flux"):
        idflux = child(flux, "id")
        if idflux is None:
            continue
        for retour in flux.iterfind("retour"):
            yield ReturnRecord(
                idflux=idflux,
                nature=child(retour, "nature"),
                status=child(retour, "statut"),
                return_id=child(retour, "id"),
                url=child(retour, "url"),
                published_at=listing_time(child(retour, "publication"), server_tz),
                produced_at=listing_time(child(retour, "production"), server_tz),
                ops=child(retour, "ops"),
                delegataire=child(retour, "delegataire"),
            )


def read_bounded(response: httpx.Response, limit: int, operation: Operation) -> bytes:
    """The body of a streamed answer, decompressed here with a bound: a small gzip of zeros
    (a bomb) stops at `limit` bytes instead of filling the worker's memory."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    try:
        if encoding in {"gzip", "x-gzip"}:
            return b"".join(iter_decompress_bounded(response.iter_raw(), limit))
        body = bytearray()
        for chunk in response.iter_raw():
            body.extend(chunk)
            if len(body) > limit:
                raise DecompressionLimitExceeded(limit=limit, produced=len(body))
        return bytes(body)
    except DecompressionLimitExceeded as exc:
        raise ResponseTooLarge(
            f"{operation.value}: answer larger than {limit} bytes once decompressed; not read",
            operation=operation,
            http_status=response.status_code,
            limit=limit,
        ) from exc


def fetch_bounded(
    http: httpx.Client, method: str, url: str, operation: Operation, limit: int, **kwargs: Any
) -> httpx.Response:
    """One request whose answer is read with `read_bounded`, handed on as an ordinary,
    already-read response (decompressed: no Content-Encoding left on it)."""
    request = http.build_request(method, url, **kwargs)
    streamed = http.send(request, stream=True)
    try:
        body = read_bounded(streamed, limit, operation)
    finally:
        streamed.close()
    headers = [
        (name, value)
        for name, value in streamed.headers.multi_items()
        if name.lower() not in {"content-encoding", "content-length", "transfer-encoding"}
    ]
    return httpx.Response(streamed.status_code, headers=headers, content=body, request=request)
