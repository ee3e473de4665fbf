"""The deposit-point client: net-entreprises' API DSN (`/1.0/`, XML) in concentrator mode.

Synchronous on purpose: the transmission worker runs jobs in threads or processes, one call at a
time per job, so `httpx.Client` keeps tenacity, the token lock and the tests plain; nothing here
would gain from an event loop.

Exactly-once, from the client's side:
- A deposit is never retried after the request may have left. Only failures before any byte was
  sent (connect error or timeout, pool timeout, proxy refusal) are retried in the call. Anything
  else that leaves the outcome open (read timeout, dropped connection, 5xx, a 200 we cannot read)
  raises `AmbiguousDepositError` (`maybe_deposited=True`): the worker must look the flow up with
  `list_deposits` before sending again, because the API has no idempotency key.
- Idempotent calls (authentication, listings, downloads) are retried by tenacity on transient
  errors, with exponential backoff and jitter, a bounded number of times.
- A 401 on a business call triggers exactly one re-authentication per call; a second 401 raises
  `AuthenticationFailed` (repeated failed logins lock the account). A 401 or 403 on
  authentication itself is never retried.
- Every HTTP exchange is reported to `on_attempt` as an `AttemptRecord`.

Listings: a long range is split into windows the server accepts (10 min for concentrator-scoped
listings, 60 min for declarant-scoped ones by default); a 429 shrinks the window to what the
`Accept-Ranges: minutes=0-N` header allows (or halves it) and the remaining range is re-split.
An omitted end is resolved to "now" on our clock and sent explicitly, so a window never grows
past the limit on the server's side. Dates in paths are the deposit point's local time.

The `Expires` rule ("do not repeat the same query before then") is kept with a small per-query
cache: a repeated query before its `Expires` returns the answer already received, without a call.
Lifetimes are read as Expires minus the server's Date (immune to clock skew) and capped (token
4 h, cached answer 5 min), so a wrong server clock can neither hammer logins nor freeze a listing.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

import httpx
from lxml import etree
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from dsnlink import __version__
from dsnlink.clock import Clock, SystemClock
from dsnlink.errors import InputError, TransmissionError
from dsnlink.transmission.errors import (
    AccessDenied,
    AccountLocked,
    AmbiguousDepositError,
    AuthenticationFailed,
    CredentialsRejected,
    DepositPointTransientError,
    DepositPointUnavailable,
    DepositPointUnreachable,
    DepositRefused,
    ExchangeInterrupted,
    MalformedResponse,
    NotFoundOnDepositPoint,
    RequestRejected,
    SearchWindowTooWide,
    ServerError,
    UnreadableReturn,
    UntrustedReturnUrl,
)
from dsnlink.transmission.returns import DEPOSIT_POINT_TIMEZONE, parse_return, parse_xml
from dsnlink.transmission.schemas import (
    AttemptOutcome,
    AttemptRecord,
    ConcentratorCredentials,
    DeclarantIdentity,
    DepositRecord,
    DepositResult,
    DownloadedReturn,
    Operation,
    ParsedReturn,
    ReportKind,
    ReturnRecord,
    ReturnStatus,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

PATH_DATE_FORMAT = "%Y%m%d%H%M%S"
MAX_IDFLUX_LENGTH = 50
MAX_RETURN_ID_LENGTH = 10
_REALM = re.compile(r'realm="([^"]*)"', re.IGNORECASE)
_ACCEPT_RANGES = re.compile(r"minutes\s*=\s*\d+\s*-\s*(\d+)", re.IGNORECASE)
# Failures raised before any byte of the request left: resending cannot duplicate anything.
_NOT_SENT_ERRORS: tuple[type[httpx.RequestError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
)


@dataclass(frozen=True)
class Endpoints:
    """Base URLs of the three hosts (authentication, deposit, consultation); one for a mock."""

    authentication: str
    deposit: str
    consultation: str

    @classmethod
    def single(cls, base_url: str) -> Endpoints:
        return cls(authentication=base_url, deposit=base_url, consultation=base_url)

    @classmethod
    def net_entreprises(cls) -> Endpoints:
        """Production hosts of the general scheme (DSN "rg")."""
        return cls(
            authentication="https://services.net-entreprises.fr",
            deposit="https://depot.dsnrg.net-entreprises.fr",
            consultation="https://consultation.dsnrg.net-entreprises.fr",
        )

    def trusted_hosts(self) -> frozenset[str]:
        return frozenset(
            urlsplit(url).netloc.lower()
            for url in (self.authentication, self.deposit, self.consultation)
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the in-call retries (tenacity: exponential backoff with jitter)."""

    max_attempts: int = 4
    initial_backoff: float = 1.0
    max_backoff: float = 30.0
    jitter: float = 1.0
    deposit_max_attempts: int = 3  # retries only of deposits that surely never left


@dataclass(frozen=True)
class Timeouts:
    """httpx timeouts, in seconds; the deposit read timeout is long (big files, slow AEE)."""

    connect: float = 10.0
    read: float = 60.0
    write: float = 60.0
    pool: float = 10.0
    deposit_read: float = 300.0

    def for_operation(self, operation: Operation) -> httpx.Timeout:
        read = self.deposit_read if operation is Operation.DEPOSIT else self.read
        return httpx.Timeout(connect=self.connect, read=read, write=self.write, pool=self.pool)


DEFAULT_WINDOW_MINUTES: Mapping[Operation, int] = {
    Operation.LIST_DEPOSITS: 10,
    Operation.LIST_RETURNS_DECLARANT: 60,
    Operation.LIST_RETURNS_CONCENTRATOR: 10,
}


@dataclass
class _Token:
    value: str
    expires_at: datetime


@dataclass
class _CallState:
    """What one business call has used up: it may re-authenticate once, never more."""

    reauthenticated: bool = False
    attempt: int = 0


@dataclass
class _CacheEntry:
    expires_at: datetime
    value: Any


@dataclass
class _ExchangeContext:
    operation: Operation
    method: str
    url: str
    declarant_siret: str | None = None


class DepositPointClient:
    """Talks to the deposit point as a concentrator; see the module docstring for the rules."""

    def __init__(
        self,
        *,
        endpoints: Endpoints,
        credentials: ConcentratorCredentials,
        clock: Clock | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        on_attempt: Callable[[AttemptRecord], None] | None = None,
        token_safety_margin: timedelta = timedelta(minutes=5),
        default_token_lifetime: timedelta = timedelta(hours=1),
        max_token_lifetime: timedelta = timedelta(hours=4),
        max_cache_ttl: timedelta = timedelta(minutes=5),
        window_minutes: Mapping[Operation, int] | None = None,
        server_timezone: tzinfo = DEPOSIT_POINT_TIMEZONE,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        software: str = "dsnlink",
        publisher: str = "dsnlink",
        version: str = __version__,
        cache_size: int = 256,
    ) -> None:
        self._endpoints = endpoints
        self._credentials = credentials
        self._clock = clock or SystemClock()
        self._timeouts = timeouts or Timeouts()
        self._retry = retry or RetryPolicy()
        self._on_attempt = on_attempt
        self._token_margin = token_safety_margin
        self._default_token_lifetime = default_token_lifetime
        self._max_token_lifetime = max_token_lifetime
        self._max_cache_ttl = max_cache_ttl
        self._windows: dict[Operation, int] = {**DEFAULT_WINDOW_MINUTES, **(window_minutes or {})}
        self._server_tz = server_timezone
        self._sleep = sleep
        self._cache: dict[tuple[str, str, str | None], _CacheEntry] = {}
        self._cache_size = cache_size
        self._token: _Token | None = None
        self._token_lock = threading.Lock()
        self._trusted_hosts = endpoints.trusted_hosts()
        self._http = httpx.Client(
            transport=transport,
            headers={
                "User-Agent": f"Client-DSN ({software}/{version}; {publisher})",
                "Accept-Encoding": "gzip",
            },
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DepositPointClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- authentication ---------------------------------------------------------------------

    def authenticate(self, *, force: bool = False, rejected: str | None = None) -> str:
        """The concentrator token: the cached one while valid, else a fresh login.

        `rejected` is a token the server just refused: it is replaced unless another thread
        already did so. `force` always logs in again.
        """
        with self._token_lock:
            now = self._clock.now()
            current = self._token
            if (
                not force
                and current is not None
                and current.value != rejected
                and now < current.expires_at
            ):
                return current.value
            token = self._retrying(self._login, max_attempts=self._retry.max_attempts)
            self._token = token
            return token.value

    def token_expires_at(self) -> datetime | None:
        """When the cached token will be renewed (its Expires minus the safety margin)."""
        return self._token.expires_at if self._token else None

    def _login(self, state: _CallState) -> _Token:
        creds = self._credentials
        body = (
            "<identifiants>"
            f"<siret>{escape(creds.siret)}</siret>"
            f"<nom>{escape(creds.nom)}</nom>"
            f"<prenom>{escape(creds.prenom)}</prenom>"
            f"<motdepasse>{escape(creds.password)}</motdepasse>"
            f"<service>{escape(creds.service)}</service>"
            "</identifiants>"
        ).encode()
        url = f"{self._endpoints.authentication.rstrip('/')}/authentifier/1.0/"
        context = _ExchangeContext(Operation.AUTHENTICATE, "POST", url)

        def handle(response: httpx.Response) -> _Token:
            status = response.status_code
            if status == 200:
                token = response.text.strip()
                if not token:
                    raise MalformedResponse(
                        "authentication answered 200 with an empty token",
                        operation=Operation.AUTHENTICATE, http_status=status,
                    )
                return _Token(value=token, expires_at=self._token_expiry(response))
            if status == 401:
                raise _authentication_failed(response, Operation.AUTHENTICATE)
            if status == 403:
                server_message = response.text.strip() or None
                raise AccountLocked(
                    "concentrator account locked by the deposit point"
                    + (f": {server_message}" if server_message else "")
                    + _realm_suffix(response),
                    server_message=server_message,
                    operation=Operation.AUTHENTICATE, http_status=status,
                )
            if status == 404:
                raise DepositPointUnavailable(
                    "authentication service not available (404)",
                    operation=Operation.AUTHENTICATE, http_status=status,
                )
            if status == 422:
                raise CredentialsRejected(
                    "authentication request refused (a field missing or too long)",
                    operation=Operation.AUTHENTICATE, http_status=status,
                )
            raise _generic_status_error(response, Operation.AUTHENTICATE)

        return self._exchange(
            context,
            state,
            lambda: self._http.post(
                url,
                content=body,
                headers={"Content-Type": "application/xml; charset=utf-8"},
                timeout=self._timeouts.for_operation(Operation.AUTHENTICATE),
            ),
            handle,
        )

    def _token_expiry(self, response: httpx.Response) -> datetime:
        """When to renew, on our clock: the server-given lifetime (capped) less a safety margin."""
        now = self._clock.now()
        lifetime = _server_lifetime(response, now)
        if lifetime is None:
            lifetime = self._default_token_lifetime
        lifetime = max(timedelta(0), min(lifetime, self._max_token_lifetime))
        margin = min(self._token_margin, lifetime / 2)
        return now + lifetime - margin

    def _authorization(self, token: str, declarant: DeclarantIdentity | None) -> str:
        if declarant is None:
            return f"DSNLogin concentrateur={token}"
        return f"DSNLogin concentrateur={token},declarant={declarant.header_value()}"

    # --- deposit ----------------------------------------------------------------------------

    def deposit(self, declarant: DeclarantIdentity, dsn: bytes) -> DepositResult:
        """Deposit one DSN file (ISO-8859-1 bytes) for a declarant; AEE → DepositResult.

        Raises DepositRefused (ARE), AmbiguousDepositError (may have been received: reconcile),
        DepositPointUnreachable (surely not sent, after the allowed retries),
        DepositPointUnavailable (freeze), AuthenticationFailed, RequestRejected.
        """
        if not dsn:
            raise InputError("refusing to deposit an empty file")
        body = gzip.compress(dsn, mtime=0)
        url = f"{self._endpoints.deposit.rstrip('/')}/deposer-dsn/1.0/"
        context = _ExchangeContext(Operation.DEPOSIT, "POST", url, declarant.siret)

        def once(state: _CallState) -> DepositResult:
            return self._with_token(
                state,
                declarant,
                context,
                lambda auth: self._http.post(
                    url,
                    content=body,
                    headers={
                        "Authorization": auth,
                        "Content-Type": "text/plain",
                        "Content-Encoding": "gzip",
                    },
                    timeout=self._timeouts.for_operation(Operation.DEPOSIT),
                ),
                self._handle_deposit,
            )

        return self._retrying(
            once,
            max_attempts=self._retry.deposit_max_attempts,
            retry_on=lambda exc: isinstance(exc, DepositPointUnreachable),
        )

    def _handle_deposit(self, response: httpx.Response) -> DepositResult:
        status = response.status_code
        op = Operation.DEPOSIT
        if status == 200:
            report = _report_or_none(response.content)
            if report is None or not report.idflux:
                raise AmbiguousDepositError(
                    "deposit answered 200 without a readable AEE: the flow exists but its id "
                    "is unknown; reconcile through lister-depots",
                    operation=op, http_status=status,
                )
            if report.kind is ReportKind.ARE or report.status is ReturnStatus.KO:
                raise DepositRefused(_refusal_message(report), report=report,
                                     operation=op, http_status=status)
            return DepositResult(
                idflux=report.idflux,
                status=report.status.value if report.status else "OK",
                received_at=report.received_at,
                report=report,
            )
        if status == 422:
            report = _report_or_none(response.content)
            if report is not None and report.kind is ReportKind.ARE:
                raise DepositRefused(_refusal_message(report), report=report,
                                     operation=op, http_status=status)
            raise RequestRejected(
                "deposit refused with 422 and no ARE (empty or unacceptable body)",
                operation=op, http_status=status, body=_snippet(response),
            )
        if status == 401:
            raise _authentication_failed(response, op)
        if status == 404:
            raise DepositPointUnavailable(
                "deposit path not served (404): deposits are frozen or the service is closed",
                operation=op, http_status=status,
            )
        if status >= 500:
            raise AmbiguousDepositError(
                f"deposit answered {status} after the file was sent: it may have been "
                "received; reconcile through lister-depots",
                operation=op, http_status=status,
            )
        raise _generic_status_error(response, op)

    # --- listings ---------------------------------------------------------------------------

    def list_deposits(
        self, declarant: DeclarantIdentity, start: datetime, end: datetime | None = None
    ) -> list[DepositRecord]:
        """Flows deposited for a declarant in [start, end] (end omitted: now)."""
        return self._windowed(
            Operation.LIST_DEPOSITS, start, end, declarant,
            lambda response: _parse_deposits(response, self._server_tz),
            key=lambda record: record.idflux,
        )

    def list_returns_for_declarant(
        self, declarant: DeclarantIdentity, start: datetime, end: datetime | None = None
    ) -> list[ReturnRecord]:
        """Returns published for one declarant in [start, end] (end omitted: now)."""
        return self._windowed(
            Operation.LIST_RETURNS_DECLARANT, start, end, declarant,
            self._returns_parser(Operation.LIST_RETURNS_DECLARANT), key=_return_key,
        )

    def list_returns_for_concentrator(
        self, start: datetime, end: datetime | None = None
    ) -> list[ReturnRecord]:
        """Returns published for every declarant of the concentrator in [start, end]."""
        return self._windowed(
            Operation.LIST_RETURNS_CONCENTRATOR, start, end, None,
            self._returns_parser(Operation.LIST_RETURNS_CONCENTRATOR), key=_return_key,
        )

    def list_flow_returns(self, idflux: str) -> list[ReturnRecord]:
        """Returns of one flow ([] when none yet); NotFoundOnDepositPoint when unknown."""
        _check_identifier("idflux", idflux, MAX_IDFLUX_LENGTH)
        url = self._consultation_url(Operation.LIST_FLOW_RETURNS, quote(idflux, safe=""))
        return self._get(
            Operation.LIST_FLOW_RETURNS, url, None,
            self._returns_parser(Operation.LIST_FLOW_RETURNS),
        )

    def download_return(
        self,
        idflux: str | None = None,
        return_id: str | None = None,
        *,
        url: str | None = None,
    ) -> DownloadedReturn:
        """Download one return, by (idflux, return id) or by the `url` the listing gave.

        A `url` is followed only when its host is one of the configured endpoints: the token
        is never sent anywhere else.
        """
        if url is None:
            if not idflux or not return_id:
                raise InputError("download_return needs (idflux, return_id) or url")
            _check_identifier("idflux", idflux, MAX_IDFLUX_LENGTH)
            _check_identifier("return id", return_id, MAX_RETURN_ID_LENGTH)
            url = self._consultation_url(
                Operation.DOWNLOAD_RETURN, f"{quote(idflux, safe='')}/{quote(return_id, safe='')}"
            )
        elif urlsplit(url).netloc.lower() not in self._trusted_hosts:
            raise UntrustedReturnUrl(
                f"return URL host {urlsplit(url).netloc!r} is not a configured deposit-point host",
                operation=Operation.DOWNLOAD_RETURN, url=url,
            )
        download_url = url

        def parse(response: httpx.Response) -> DownloadedReturn:
            return DownloadedReturn(
                idflux=idflux,
                return_id=return_id,
                url=download_url,
                content=response.content,
                content_type=response.headers.get("Content-Type"),
            )

        return self._get(Operation.DOWNLOAD_RETURN, download_url, None, parse)

    def _returns_parser(
        self, operation: Operation
    ) -> Callable[[httpx.Response], list[ReturnRecord]]:
        return lambda response: _parse_returns(response, self._server_tz, operation)

    def window_minutes(self, operation: Operation) -> int:
        """The window currently used for a ranged listing (learned from the server)."""
        return self._windows[operation]

    def _consultation_url(self, operation: Operation, tail: str) -> str:
        return f"{self._endpoints.consultation.rstrip('/')}/{operation.value}/1.0/{tail}"

    def _windowed(
        self,
        operation: Operation,
        start: datetime,
        end: datetime | None,
        declarant: DeclarantIdentity | None,
        parse: Callable[[httpx.Response], list[T]],
        *,
        key: Callable[[T], Any],
    ) -> list[T]:
        # Paths have whole seconds: widen outwards so nothing at the edges is missed.
        start = _aware(start, "start").replace(microsecond=0)
        stop = _aware(end, "end") if end is not None else self._clock.now()
        if stop.microsecond:
            stop = stop.replace(microsecond=0) + timedelta(seconds=1)
        if stop < start:
            raise InputError("listing range ends before it starts", start=start, end=stop)
        found: dict[Any, T] = {}
        cursor = start
        while True:
            width = timedelta(minutes=self._windows[operation])
            window_end = min(cursor + width, stop)
            url = self._consultation_url(
                operation, f"{self._path_date(cursor)}/{self._path_date(window_end)}"
            )
            try:
                items = self._get(operation, url, declarant, parse)
            except SearchWindowTooWide as exc:
                self._shrink_window(operation, exc)
                continue
            for item in items:
                found[key(item)] = item
            if window_end >= stop:
                return list(found.values())
            cursor = window_end

    def _shrink_window(self, operation: Operation, exc: SearchWindowTooWide) -> None:
        current = self._windows[operation]
        allowed = exc.max_minutes if exc.max_minutes is not None else current // 2
        if allowed >= current or allowed < 1:
            raise exc
        logger.info("deposit point narrowed %s window from %d to %d min",
                    operation.value, current, allowed)
        self._windows[operation] = allowed

    def _path_date(self, instant: datetime) -> str:
        return instant.astimezone(self._server_tz).strftime(PATH_DATE_FORMAT)

    def _get(
        self,
        operation: Operation,
        url: str,
        declarant: DeclarantIdentity | None,
        parse: Callable[[httpx.Response], T],
    ) -> T:
        cache_key = ("GET", url, declarant.siret if declarant else None)
        cached = self._cached(cache_key)
        if cached is not None:
            return cached
        context = _ExchangeContext(operation, "GET", url, declarant.siret if declarant else None)

        def handle(response: httpx.Response) -> T:
            if response.status_code != 200:
                raise _generic_status_error(response, operation)
            self._learn_window(operation, response)
            value = parse(response)
            self._remember(cache_key, response, value)
            return value

        def once(state: _CallState) -> T:
            return self._with_token(
                state,
                declarant,
                context,
                lambda auth: self._http.get(
                    url,
                    headers={"Authorization": auth},
                    timeout=self._timeouts.for_operation(operation),
                ),
                handle,
            )

        return self._retrying(
            once,
            max_attempts=self._retry.max_attempts,
            retry_on=lambda exc: isinstance(exc, DepositPointTransientError)
            and not isinstance(exc, SearchWindowTooWide),
        )

    def _learn_window(self, operation: Operation, response: httpx.Response) -> None:
        if operation not in self._windows:
            return
        advertised = _accept_ranges_minutes(response)
        if advertised is not None and advertised >= 1:
            self._windows[operation] = advertised

    # --- the Expires cache --------------------------------------------------------------------

    def _cached(self, key: tuple[str, str, str | None]) -> Any:
        entry = self._cache.get(key)
        if entry is None:
            return None
        if self._clock.now() < entry.expires_at:
            return entry.value
        del self._cache[key]
        return None

    def _remember(self, key: tuple[str, str, str | None], response: httpx.Response,
                  value: Any) -> None:
        now = self._clock.now()
        lifetime = _server_lifetime(response, now)
        if lifetime is None or lifetime <= timedelta(0):
            return
        expires_at = now + min(lifetime, self._max_cache_ttl)
        if len(self._cache) >= self._cache_size:
            for stale in [k for k, e in self._cache.items() if e.expires_at <= now]:
                del self._cache[stale]
            while len(self._cache) >= self._cache_size:
                del self._cache[next(iter(self._cache))]
        self._cache[key] = _CacheEntry(expires_at=expires_at, value=value)

    # --- one exchange, tokens, retries -------------------------------------------------------

    def _with_token(
        self,
        state: _CallState,
        declarant: DeclarantIdentity | None,
        context: _ExchangeContext,
        send: Callable[[str], httpx.Response],
        handle: Callable[[httpx.Response], T],
    ) -> T:
        """One business exchange, with the one re-authentication a 401 allows per call."""
        while True:
            token = self.authenticate()
            authorization = self._authorization(token, declarant)
            try:
                return self._exchange(context, state, partial(send, authorization), handle)
            except AuthenticationFailed:
                if state.reauthenticated:
                    raise
                state.reauthenticated = True
                self.authenticate(rejected=token)

    def _exchange(
        self,
        context: _ExchangeContext,
        state: _CallState,
        send: Callable[[], httpx.Response],
        handle: Callable[[httpx.Response], T],
    ) -> T:
        """Send once, classify the answer, and report the attempt whatever happens."""
        state.attempt += 1
        started_at = self._clock.now()
        began = time.perf_counter()
        status: int | None = None
        try:
            try:
                response = send()
            except httpx.RequestError as exc:
                raise _transport_error(exc, context.operation) from exc
            status = response.status_code
            result = handle(response)
        except TransmissionError as exc:
            self._report(context, state, started_at, began, status, exc, None)
            raise
        self._report(context, state, started_at, began, status, None, result)
        return result

    def _report(
        self,
        context: _ExchangeContext,
        state: _CallState,
        started_at: datetime,
        began: float,
        status: int | None,
        error: TransmissionError | None,
        result: object,
    ) -> None:
        if self._on_attempt is None:
            return
        record = AttemptRecord(
            operation=context.operation,
            attempt=state.attempt,
            started_at=started_at,
            duration=timedelta(seconds=time.perf_counter() - began),
            outcome=_outcome(error),
            http_status=status,
            method=context.method,
            url=context.url,
            declarant_siret=context.declarant_siret,
            error_type=type(error).__name__ if error else None,
            error=str(error) if error else None,
            maybe_deposited=bool(getattr(error, "maybe_deposited", False)),
            idflux=_idflux_of(error, result),
        )
        try:
            self._on_attempt(record)
        except Exception:
            # Losing a deposit's idflux because the trace failed would be worse than the gap.
            logger.exception("on_attempt callback failed for %s", context.operation.value)

    def _retrying(
        self,
        call: Callable[[_CallState], T],
        *,
        max_attempts: int,
        retry_on: Callable[[BaseException], bool] | None = None,
    ) -> T:
        state = _CallState()
        predicate = retry_on or (lambda exc: isinstance(exc, DepositPointTransientError))
        retrying = Retrying(
            stop=stop_after_attempt(max(1, max_attempts)),
            wait=wait_exponential(
                multiplier=self._retry.initial_backoff, max=self._retry.max_backoff
            )
            + wait_random(0, self._retry.jitter),
            retry=retry_if_exception(predicate),
            sleep=self._sleep,
            reraise=True,
            before_sleep=_log_retry,
        )
        return retrying(call, state)


# --- helpers -----------------------------------------------------------------------------------


def _log_retry(retry_state: RetryCallState) -> None:
    error = retry_state.outcome.exception() if retry_state.outcome else None
    logger.warning("deposit point call failed (attempt %d), retrying: %s",
                   retry_state.attempt_number, error)


def _outcome(error: TransmissionError | None) -> AttemptOutcome:
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


def _idflux_of(error: TransmissionError | None, result: object) -> str | None:
    if isinstance(result, DepositResult):
        return result.idflux
    if isinstance(error, DepositRefused):
        return error.idflux
    return None


def _transport_error(exc: httpx.RequestError, operation: Operation) -> TransmissionError:
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, _NOT_SENT_ERRORS):
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
    return ExchangeInterrupted(f"{operation.value}: exchange interrupted ({detail})",
                               operation=operation)


def _generic_status_error(response: httpx.Response, operation: Operation) -> TransmissionError:
    status = response.status_code
    if status == 401:
        return _authentication_failed(response, operation)
    if status == 403:
        return AccessDenied(f"{operation.value}: forbidden (403){_realm_suffix(response)}",
                            operation=operation, http_status=status, body=_snippet(response))
    if status == 404:
        return NotFoundOnDepositPoint(
            f"{operation.value}: not found on the deposit point (404)",
            operation=operation, http_status=status,
        )
    if status == 429:
        return SearchWindowTooWide(
            f"{operation.value}: search window too wide (429)",
            max_minutes=_accept_ranges_minutes(response),
            operation=operation, http_status=status,
        )
    if status >= 500:
        return ServerError(f"{operation.value}: deposit point error {status}",
                           operation=operation, http_status=status)
    return RequestRejected(f"{operation.value}: request rejected ({status})",
                           operation=operation, http_status=status, body=_snippet(response))


def _authentication_failed(response: httpx.Response, operation: Operation) -> AuthenticationFailed:
    header = response.headers.get("WWW-Authenticate", "")
    match = _REALM.search(header)
    realm = match.group(1) if match else None
    scheme = (header.split(" ", 1)[0] or None) if header else None
    return AuthenticationFailed(
        f"{operation.value}: authentication refused (401)"
        + (f": {realm}" if realm else ""),
        realm=realm, scheme=scheme, operation=operation, http_status=response.status_code,
    )


def _realm_suffix(response: httpx.Response) -> str:
    match = _REALM.search(response.headers.get("WWW-Authenticate", ""))
    return f" ({match.group(1)})" if match else ""


def _accept_ranges_minutes(response: httpx.Response) -> int | None:
    match = _ACCEPT_RANGES.search(response.headers.get("Accept-Ranges", ""))
    return int(match.group(1)) if match else None


def _server_lifetime(response: httpx.Response, now: datetime) -> timedelta | None:
    """How long an answer stays valid: Expires minus the server's own Date when both make
    sense (immune to clock skew), else Expires minus our now; None without Expires."""
    expires = _http_date(response.headers.get("Expires"))
    if expires is None:
        return None
    served = _http_date(response.headers.get("Date"))
    if served is not None and expires > served:
        return expires - served
    return expires - now


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise InputError(f"{name} must be a timezone-aware datetime")
    return value


def _check_identifier(name: str, value: str, limit: int) -> None:
    if not value or len(value) > limit:
        raise InputError(f"{name} must be 1 to {limit} characters", value=value)


def _snippet(response: httpx.Response, limit: int = 500) -> str:
    try:
        return response.text[:limit]
    except (UnicodeDecodeError, httpx.DecodingError):
        return ""


def _report_or_none(content: bytes) -> ParsedReturn | None:
    if not content.strip():
        return None
    try:
        return parse_return(content, validate=False)
    except UnreadableReturn:
        return None


def _refusal_message(report: ParsedReturn) -> str:
    words = "; ".join(
        f"{a.code}: {a.message}" if a.code else a.message for a in report.all_anomalies
    )
    return "deposit refused by the deposit point (ARE)" + (f": {words}" if words else "")


def _return_key(record: ReturnRecord) -> tuple[str, str | None, str | None, str | None]:
    return (record.idflux, record.nature, record.ops, record.return_id)


def _child(node: etree._Element, name: str) -> str | None:
    found = node.find(name)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _listing_root(response: httpx.Response, expected: str, operation: Operation) -> etree._Element:
    try:
        root = parse_xml(response.content, operation=operation.value)
    except UnreadableReturn as exc:
        raise MalformedResponse(f"{operation.value}: unreadable listing ({exc})",
                                operation=operation, http_status=response.status_code) from exc
    if root.tag != expected:
        raise MalformedResponse(
            f"{operation.value}: expected <{expected}>, got <{root.tag}>",
            operation=operation, http_status=response.status_code,
        )
    return root


def _listing_time(value: str | None, server_tz: tzinfo) -> datetime | None:
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


def _parse_deposits(response: httpx.Response, server_tz: tzinfo) -> list[DepositRecord]:
    root = _listing_root(response, "depots", Operation.LIST_DEPOSITS)
    records: list[DepositRecord] = []
    for declarant in root.iterfind("declarant"):
        siret = _child(declarant, "siret")
        for depot in declarant.iterfind("depot"):
            idflux = _child(depot, "idflux")
            if idflux is None:
                continue
            raw_date = _child(depot, "date")
            records.append(DepositRecord(
                idflux=idflux,
                deposited_at=_listing_time(raw_date, server_tz),
                status=_child(depot, "statut") or "",
                declarant_siret=siret,
                raw_date=raw_date,
            ))
    return records


def _parse_returns(
    response: httpx.Response, server_tz: tzinfo, operation: Operation
) -> list[ReturnRecord]:
    root = _listing_root(response, "retours", operation)
    return list(_iter_returns(root, server_tz))


def _iter_returns(root: etree._Element, server_tz: tzinfo) -> Iterator[ReturnRecord]:
    for flux in root.iterfind("flux"):
        idflux = _child(flux, "id")
        if idflux is None:
            continue
        for retour in flux.iterfind("retour"):
            yield ReturnRecord(
                idflux=idflux,
                nature=_child(retour, "nature"),
                status=_child(retour, "statut"),
                return_id=_child(retour, "id"),
                url=_child(retour, "url"),
                published_at=_listing_time(_child(retour, "publication"), server_tz),
                produced_at=_listing_time(_child(retour, "production"), server_tz),
                ops=_child(retour, "ops"),
                delegataire=_child(retour, "delegataire"),
            )


__all__ = [
    "DEFAULT_WINDOW_MINUTES",
    "DepositPointClient",
    "Endpoints",
    "RetryPolicy",
    "Timeouts",
]
