"""The deposit-point client: net-entreprises' API DSN (`/1.0/`, XML) in concentrator mode.

Synchronous on purpose: the worker runs jobs in threads or processes, one call at a time per job,
so `httpx.Client` keeps tenacity, the token lock and the tests plain (no event loop to gain from).

Exactly-once, from the client's side:
- A deposit is never retried after the request may have left. Only failures before any byte was
  sent (connect error or timeout, pool timeout, proxy refusal) are retried in the call. Anything
  else that leaves the outcome open (read timeout, dropped connection, 5xx, a 200 we cannot read)
  raises `AmbiguousDepositError` (`maybe_deposited=True`): the worker must look the flow up with
  `list_deposits` before sending again, because the API has no idempotency key.
- Idempotent calls (authentication, listings, downloads) are retried by tenacity on transient
  errors, with exponential backoff and jitter, a bounded number of times.
- A 401 on a business call triggers one re-authentication per call (not for an unknown
  declarant); a second 401 raises `AuthenticationFailed` (repeated failed logins lock the
  account). A 401 or 403 on authentication itself is never retried.
- Every HTTP exchange is reported to `on_attempt` as an `AttemptRecord`.

Listings: a long range is split into windows the server accepts (10 min for concentrator-scoped
listings, 60 min for declarant-scoped ones by default); a 429 shrinks the window to what the
`Accept-Ranges: minutes=0-N` header allows (or halves it) and the remaining range is re-split.
An omitted end is resolved to "now" on our clock and sent explicitly, so a window never grows
past the limit on the server's side. Dates in paths are the deposit point's local time.

The `Expires` rule is kept by expires.py's cache (answers reused until then, at most 5 min). The
login's `Expires` is that answer's freshness (2 min), not the token's life: the token is kept
until a 401 (then one new login) or `token_max_age`. Every answer is read with a bound once
decompressed. Endpoints, retries, timeouts: endpoints.py; reading answers: responses.py.
"""

from __future__ import annotations

import gzip
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

import httpx
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from dsnlink import __version__
from dsnlink.clock import Clock, SystemClock
from dsnlink.deposit_point.endpoints import (
    DEFAULT_WINDOW_MINUTES,
    DEPOSIT_POINT_TIMEZONE,
    Endpoints,
    RetryPolicy,
    Timeouts,
)
from dsnlink.deposit_point.errors import (
    AuthenticationFailed,
    DeclarantNotRegistered,
    DepositPointTransientError,
    DepositPointUnreachable,
    SearchWindowTooWide,
    UntrustedReturnUrl,
)
from dsnlink.deposit_point.expires import ExpiresCache
from dsnlink.deposit_point.records import (
    AttemptRecord,
    ConcentratorCredentials,
    DeclarantIdentity,
    DepositRecord,
    DepositResult,
    DownloadedReturn,
    Operation,
    ReturnRecord,
)
from dsnlink.deposit_point.responses import (
    PATH_DATE_FORMAT,
    accept_ranges_minutes,
    aware,
    check_identifier,
    deposit_result,
    fetch_bounded,
    generic_status_error,
    idflux_of,
    log_retry,
    login_token,
    outcome,
    parse_deposits,
    parse_returns,
    return_key,
    transport_error,
)
from dsnlink.deposit_point.returns.safety import DEFAULT_DECOMPRESSION_LIMIT
from dsnlink.errors import InputError, TransmissionError

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_IDFLUX_LENGTH = 50

MAX_RETURN_ID_LENGTH = 10


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
        token_max_age: timedelta = timedelta(hours=1),
        max_response_bytes: int = DEFAULT_DECOMPRESSION_LIMIT,
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
        self._token_max_age = token_max_age
        self._max_response_bytes = max_response_bytes
        self._windows: dict[Operation, int] = {**DEFAULT_WINDOW_MINUTES, **(window_minutes or {})}
        self._server_tz = server_timezone
        self._sleep = sleep
        self._cache = ExpiresCache(clock=self._clock, max_ttl=max_cache_ttl, size=cache_size)
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
            return _Token(
                value=login_token(response), expires_at=self._clock.now() + self._token_max_age
            )

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

    def _fetch(self, method: str, url: str, operation: Operation, **kwargs: Any) -> httpx.Response:
        return fetch_bounded(self._http, method, url, operation, self._max_response_bytes, **kwargs)

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
                lambda auth: self._fetch(
                    "POST",
                    url,
                    Operation.DEPOSIT,
                    content=body,
                    headers={
                        "Authorization": auth,
                        "Content-Type": "text/plain",
                        "Content-Encoding": "gzip",
                    },
                    timeout=self._timeouts.for_operation(Operation.DEPOSIT),
                ),
                deposit_result,
            )

        return self._retrying(
            once,
            max_attempts=self._retry.deposit_max_attempts,
            retry_on=lambda exc: isinstance(exc, DepositPointUnreachable),
        )

    # --- listings ---------------------------------------------------------------------------

    def list_deposits(
        self, declarant: DeclarantIdentity, start: datetime, end: datetime | None = None
    ) -> list[DepositRecord]:
        """Flows deposited for a declarant in [start, end] (end omitted: now)."""
        return self._windowed(
            Operation.LIST_DEPOSITS,
            start,
            end,
            declarant,
            lambda response: parse_deposits(response, self._server_tz),
            key=lambda record: record.idflux,
        )

    def list_returns_for_declarant(
        self, declarant: DeclarantIdentity, start: datetime, end: datetime | None = None
    ) -> list[ReturnRecord]:
        """Returns published for one declarant in [start, end] (end omitted: now)."""
        return self._windowed(
            Operation.LIST_RETURNS_DECLARANT,
            start,
            end,
            declarant,
            self._returns_parser(Operation.LIST_RETURNS_DECLARANT),
            key=return_key,
        )

    def list_returns_for_concentrator(
        self, start: datetime, end: datetime | None = None
    ) -> list[ReturnRecord]:
        """Returns published for every declarant of the concentrator in [start, end]."""
        return self._windowed(
            Operation.LIST_RETURNS_CONCENTRATOR,
            start,
            end,
            None,
            self._returns_parser(Operation.LIST_RETURNS_CONCENTRATOR),
            key=return_key,
        )

    def list_flow_returns(self, idflux: str) -> list[ReturnRecord]:
        """Returns of one flow ([] when none yet); NotFoundOnDepositPoint when unknown."""
        check_identifier("idflux", idflux, MAX_IDFLUX_LENGTH)
        url = self._consultation_url(Operation.LIST_FLOW_RETURNS, quote(idflux, safe=""))
        return self._get(
            Operation.LIST_FLOW_RETURNS,
            url,
            None,
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
            check_identifier("idflux", idflux, MAX_IDFLUX_LENGTH)
            check_identifier("return id", return_id, MAX_RETURN_ID_LENGTH)
            url = self._consultation_url(
                Operation.DOWNLOAD_RETURN, f"{quote(idflux, safe='')}/{quote(return_id, safe='')}"
            )
        elif urlsplit(url).netloc.lower() not in self._trusted_hosts:
            raise UntrustedReturnUrl(
                f"return URL host {urlsplit(url).netloc!r} is not a configured deposit-point host",
                operation=Operation.DOWNLOAD_RETURN,
                url=url,
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
        return lambda response: parse_returns(response, self._server_tz, operation)

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
        start = aware(start, "start").replace(microsecond=0)
        stop = aware(end, "end") if end is not None else self._clock.now()
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
        logger.info(
            "deposit point narrowed %s window from %d to %d min", operation.value, current, allowed
        )
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
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        context = _ExchangeContext(operation, "GET", url, declarant.siret if declarant else None)

        def handle(response: httpx.Response) -> T:
            if response.status_code != 200:
                raise generic_status_error(response, operation)
            self._learn_window(operation, response)
            value = parse(response)
            self._cache.remember(cache_key, response, value)
            return value

        def once(state: _CallState) -> T:
            return self._with_token(
                state,
                declarant,
                context,
                lambda auth: self._fetch(
                    "GET",
                    url,
                    operation,
                    headers={"Authorization": auth},
                    timeout=self._timeouts.for_operation(operation),
                ),
                handle,
            )

        return self._retrying(
            once,
            max_attempts=self._retry.max_attempts,
            retry_on=lambda exc: (
                isinstance(exc, DepositPointTransientError)
                and not isinstance(exc, SearchWindowTooWide)
            ),
        )

    def _learn_window(self, operation: Operation, response: httpx.Response) -> None:
        if operation not in self._windows:
            return
        advertised = accept_ranges_minutes(response)
        if advertised is not None and advertised >= 1:
            self._windows[operation] = advertised

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
            except AuthenticationFailed as exc:
                if state.reauthenticated or isinstance(exc, DeclarantNotRegistered):
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
                raise transport_error(exc, context.operation) from exc
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
            outcome=outcome(error),
            http_status=status,
            method=context.method,
            url=context.url,
            declarant_siret=context.declarant_siret,
            error_type=type(error).__name__ if error else None,
            error=str(error) if error else None,
            maybe_deposited=bool(getattr(error, "maybe_deposited", False)),
            idflux=idflux_of(error, result),
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
            before_sleep=log_retry,
        )
        return retrying(call, state)
