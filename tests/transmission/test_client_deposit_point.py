"""DepositPointClient against respx: every branch, asserting on the requests actually sent."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
import respx

from dsnlink import __version__
from dsnlink.clock import FrozenClock
from dsnlink.deposit_point.client import DepositPointClient
from dsnlink.deposit_point.endpoints import Endpoints, RetryPolicy
from dsnlink.deposit_point.errors import (
    AccessDenied,
    AccountLocked,
    AmbiguousDepositError,
    AuthenticationFailed,
    CredentialsRejected,
    DepositPointUnavailable,
    DepositPointUnreachable,
    DepositRefused,
    ExchangeInterrupted,
    InvalidCredentials,
    MalformedResponse,
    NotFoundOnDepositPoint,
    RequestRejected,
    SearchWindowTooWide,
    ServerError,
    UntrustedReturnUrl,
)
from dsnlink.deposit_point.records import (
    AttemptOutcome,
    AttemptRecord,
    ConcentratorCredentials,
    DeclarantIdentity,
    Operation,
)
from dsnlink.errors import InputError, PermanentTransmissionError, TransientTransmissionError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "returns"
BASE = "https://dp.test"
AUTH = "/authentifier/1.0/"
DEPOSIT = "/deposer-dsn/1.0/"
NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)  # 10:00 in Paris (CET)
CREDENTIALS = ConcentratorCredentials(
    siret="18751249600022", nom="CTR2000", prenom="concentrateur", password="azerty"
)
DECLARANT = DeclarantIdentity(siret="99900000300015", nom="declarant", prenom="declarant")
DECLARANT_B64 = base64.b64encode(b"99900000300015;declarant;declarant").decode()
DSN = "S10.G00.00.001,'Logiciel é'\nS20.G00.05.001,'01'\n".encode("iso-8859-1")


def http_date(at: datetime) -> str:
    return format_datetime(at, usegmt=True)


def token_response(token: str, *, lifetime: timedelta = timedelta(hours=1),
                   now: datetime = NOW) -> httpx.Response:
    return httpx.Response(
        200, text=token, headers={"Date": http_date(now), "Expires": http_date(now + lifetime)}
    )


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def listing(body: str, *, expires_in: timedelta = timedelta(minutes=2),
            accept_ranges: str | None = None) -> httpx.Response:
    headers = {
        "Date": http_date(NOW),
        "Expires": http_date(NOW + expires_in),
        "Content-Encoding": "gzip",
        "Content-Type": "application/xml",
    }
    if accept_ranges:
        headers["Accept-Ranges"] = accept_ranges
    return httpx.Response(200, content=gzip.compress(body.encode()), headers=headers)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def attempts() -> list[AttemptRecord]:
    return []


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(clock: FrozenClock, attempts: list[AttemptRecord], sleeps: list[float]):
    with DepositPointClient(
        endpoints=Endpoints.single(BASE),
        credentials=CREDENTIALS,
        clock=clock,
        on_attempt=attempts.append,
        sleep=sleeps.append,
        retry=RetryPolicy(max_attempts=3, deposit_max_attempts=3),
    ) as c:
        yield c


@pytest.fixture
def router():
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


# --- authentication ----------------------------------------------------------------------------


def test_authenticate_sends_fields_in_order_without_xml_declaration(client, router):
    route = router.post(AUTH).mock(return_value=token_response("VE9LRU4x"))

    assert client.authenticate() == "VE9LRU4x"

    request = route.calls.last.request
    assert request.content == (
        b"<identifiants><siret>18751249600022</siret><nom>CTR2000</nom>"
        b"<prenom>concentrateur</prenom><motdepasse>azerty</motdepasse>"
        b"<service>98</service></identifiants>"
    )
    assert request.headers["User-Agent"] == f"Client-DSN (dsnlink/{__version__}; dsnlink)"
    assert request.headers["Accept-Encoding"] == "gzip"
    assert "Content-Encoding" not in request.headers


def test_token_is_kept_past_the_logins_expires_until_its_max_age(client, router, clock):
    # The login's Expires (2 min on the platform) is that answer's freshness, not the token's life.
    route = router.post(AUTH).mock(
        side_effect=[
            token_response("T1", lifetime=timedelta(minutes=2)),
            token_response("T2", now=NOW + timedelta(hours=1), lifetime=timedelta(minutes=2)),
        ]
    )

    assert client.authenticate() == "T1"
    clock.advance(timedelta(minutes=59))
    assert client.authenticate() == "T1"
    assert route.call_count == 1

    clock.advance(timedelta(minutes=1))  # the default max age: one hour
    assert client.authenticate() == "T2"
    assert route.call_count == 2


def test_token_max_age_is_configurable_and_ignores_the_server_clock(router, clock):
    server_now = NOW - timedelta(hours=3)  # a server clock far behind ours changes nothing
    router.post(AUTH).mock(
        return_value=token_response("T1", now=server_now, lifetime=timedelta(days=3))
    )
    with DepositPointClient(
        endpoints=Endpoints.single(BASE),
        credentials=CREDENTIALS,
        clock=clock,
        token_max_age=timedelta(minutes=20),
    ) as short_lived:
        short_lived.authenticate()
        assert short_lived.token_expires_at() == NOW + timedelta(minutes=20)


def test_a_401_on_a_business_call_logs_in_once_more_then_keeps_the_new_token(
    client, router, clock
):
    auth = router.post(AUTH).mock(
        side_effect=[token_response("T1"), token_response("T2"), token_response("T3")]
    )
    flows = router.get("/lister-retours-flux/1.0/FLUX-A").mock(
        side_effect=[
            httpx.Response(
                401, headers={"WWW-Authenticate": 'DSNLogin realm="Expiration du jeton"'}
            ),
            listing(RETOURS, expires_in=timedelta(0)),
            listing(RETOURS, expires_in=timedelta(0)),
        ]
    )

    client.list_flow_returns("FLUX-A")
    client.list_flow_returns("FLUX-A")

    assert auth.call_count == 2  # T1 refused once, T2 kept for the next call
    assert [c.request.headers["Authorization"] for c in flows.calls] == [
        "DSNLogin concentrateur=T1",
        "DSNLogin concentrateur=T2",
        "DSNLogin concentrateur=T2",
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [("siret", "1875124960002"), ("nom", "N" * 65), ("prenom", "P" * 40),
     ("password", "x" * 31), ("service", "987")],
)
def test_credential_limits_are_checked_before_any_call(field, value):
    fields = {"siret": "18751249600022", "nom": "CTR2000", "prenom": "c", "password": "azerty"}
    fields[field] = value
    with pytest.raises(InvalidCredentials):
        ConcentratorCredentials(**fields)


def test_authentication_401_is_permanent_with_realm_and_never_retried(client, router):
    route = router.post(AUTH).mock(return_value=httpx.Response(
        401, headers={"WWW-Authenticate": 'Basic realm="Expiration du mot de passe"'}
    ))

    with pytest.raises(AuthenticationFailed) as caught:
        client.authenticate()

    assert caught.value.realm == "Expiration du mot de passe"
    assert caught.value.scheme == "Basic"
    assert "Expiration du mot de passe" in str(caught.value)
    assert route.call_count == 1


def test_locked_account_is_permanent_and_carries_server_message(client, router):
    route = router.post(AUTH).mock(return_value=httpx.Response(
        403, text="Compte bloqué suite à des échecs répétés"
    ))

    with pytest.raises(AccountLocked) as caught:
        client.authenticate()

    assert caught.value.server_message == "Compte bloqué suite à des échecs répétés"
    assert isinstance(caught.value, PermanentTransmissionError)
    assert route.call_count == 1


def test_authentication_422_is_credentials_rejected(client, router):
    router.post(AUTH).mock(return_value=httpx.Response(422))
    with pytest.raises(CredentialsRejected):
        client.authenticate()


def test_authentication_transient_then_success_is_retried_with_backoff(
    client, router, attempts, sleeps
):
    route = router.post(AUTH).mock(side_effect=[
        httpx.Response(500), httpx.ConnectTimeout("slow"), token_response("T1")
    ])

    assert client.authenticate() == "T1"

    assert route.call_count == 3
    assert len(sleeps) == 2 and all(s > 0 for s in sleeps)
    assert [a.outcome for a in attempts] == [
        AttemptOutcome.TRANSIENT_FAILURE, AttemptOutcome.TRANSIENT_FAILURE,
        AttemptOutcome.SUCCEEDED,
    ]
    assert [a.attempt for a in attempts] == [1, 2, 3]
    assert [a.http_status for a in attempts] == [500, None, 200]
    assert attempts[0].operation is Operation.AUTHENTICATE


def test_authentication_404_is_transient_and_retried(client, router):
    route = router.post(AUTH).mock(side_effect=[httpx.Response(404), token_response("T1")])

    assert client.authenticate() == "T1"
    assert route.call_count == 2


def test_authentication_retries_are_bounded(client, router, attempts):
    route = router.post(AUTH).mock(return_value=httpx.Response(503))

    with pytest.raises(ServerError) as caught:
        client.authenticate()

    assert isinstance(caught.value, TransientTransmissionError)
    assert route.call_count == 3
    assert len(attempts) == 3


# --- deposit -----------------------------------------------------------------------------------


def test_deposit_sends_gzip_latin1_with_concentrator_and_declarant(client, router, attempts):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.post(DEPOSIT).mock(
        return_value=httpx.Response(200, content=fixture("exemple_retour_10_AEE.xml"))
    )

    result = client.deposit(DECLARANT, DSN)

    request = route.calls.last.request
    assert gzip.decompress(request.content) == DSN
    assert request.headers["Content-Type"] == "text/plain"
    assert request.headers["Content-Encoding"] == "gzip"
    assert request.headers["Authorization"] == (
        f"DSNLogin concentrateur=T1,declarant={DECLARANT_B64}"
    )
    assert result.idflux == "WSaah7AQlUpYL5RsQssseG."
    assert result.status == "OK"
    assert result.received_at == datetime(2015, 2, 10, 10, 2, 59, tzinfo=UTC)
    deposit_attempts = [a for a in attempts if a.operation is Operation.DEPOSIT]
    assert [(a.outcome, a.idflux, a.declarant_siret) for a in deposit_attempts] == [
        (AttemptOutcome.SUCCEEDED, "WSaah7AQlUpYL5RsQssseG.", "99900000300015")
    ]


def test_deposit_refused_with_are_is_permanent_and_keeps_the_deposit_points_words(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.post(DEPOSIT).mock(
        return_value=httpx.Response(422, content=fixture("exemple_retour_10_ARE.xml"))
    )

    with pytest.raises(DepositRefused) as caught:
        client.deposit(DECLARANT, DSN)

    error = caught.value
    assert isinstance(error, PermanentTransmissionError)
    assert error.idflux == "UR5WJEBA5T74R4jNmCgvm1F"
    assert [(a.code, a.message) for a in error.anomalies] == [
        ("B1-105-15", "Le format du fichier depot_mtom n'est pas reconnu.")
    ]
    assert "B1-105-15" in str(error)
    assert error.maybe_deposited is False
    assert route.call_count == 1


@pytest.mark.parametrize("response", [
    httpx.Response(415), httpx.Response(406), httpx.Response(400), httpx.Response(422),
    httpx.Response(422, text="<html>bad</html>"),
])
def test_deposit_4xx_without_are_is_permanent_request_rejected(client, router, response):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.post(DEPOSIT).mock(return_value=response)

    with pytest.raises(RequestRejected) as caught:
        client.deposit(DECLARANT, DSN)

    assert caught.value.http_status == response.status_code
    assert route.call_count == 1


@pytest.mark.parametrize("failure", [
    httpx.ReadTimeout("read timed out"),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.WriteTimeout("write timed out"),
    httpx.Response(500),
    httpx.Response(502),
    httpx.Response(503),
    httpx.Response(200, text="<html>proxy page</html>"),
])
def test_ambiguous_deposit_is_never_resent(client, router, attempts, failure):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.post(DEPOSIT).mock(side_effect=[
        failure, httpx.Response(200, content=fixture("exemple_retour_10_AEE.xml"))
    ])

    with pytest.raises(AmbiguousDepositError) as caught:
        client.deposit(DECLARANT, DSN)

    assert caught.value.maybe_deposited is True
    assert isinstance(caught.value, TransientTransmissionError)
    assert route.call_count == 1
    deposit_attempts = [a for a in attempts if a.operation is Operation.DEPOSIT]
    assert [(a.outcome, a.maybe_deposited) for a in deposit_attempts] == [
        (AttemptOutcome.AMBIGUOUS, True)
    ]


def test_connect_error_on_deposit_is_retried_safely(client, router, attempts, sleeps):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.post(DEPOSIT).mock(side_effect=[
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.Response(200, content=fixture("exemple_retour_10_AEE.xml")),
    ])

    result = client.deposit(DECLARANT, DSN)

    assert result.idflux == "WSaah7AQlUpYL5RsQssseG."
    assert route.call_count == 3
    assert len(sleeps) == 2
    deposit_attempts = [a for a in attempts if a.operation is Operation.DEPOSIT]
    assert [(a.attempt, a.outcome, a.maybe_deposited) for a in deposit_attempts] == [
        (1, AttemptOutcome.TRANSIENT_FAILURE, False),
        (2, AttemptOutcome.TRANSIENT_FAILURE, False),
        (3, AttemptOutcome.SUCCEEDED, False),
    ]


def test_deposit_connect_retries_are_bounded_and_say_not_deposited(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.post(DEPOSIT).mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(DepositPointUnreachable) as caught:
        client.deposit(DECLARANT, DSN)

    assert caught.value.maybe_deposited is False
    assert route.call_count == 3


def test_deposit_404_during_norm_switch_is_transient_and_not_retried_in_call(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.post(DEPOSIT).mock(return_value=httpx.Response(404))

    with pytest.raises(DepositPointUnavailable) as caught:
        client.deposit(DECLARANT, DSN)

    assert isinstance(caught.value, TransientTransmissionError)
    assert caught.value.maybe_deposited is False
    assert route.call_count == 1


def test_401_on_deposit_reauthenticates_once_then_succeeds(client, router, attempts):
    auth = router.post(AUTH).mock(side_effect=[token_response("T1"), token_response("T2")])
    deposit = router.post(DEPOSIT).mock(side_effect=[
        httpx.Response(401, headers={"WWW-Authenticate": 'DSNLogin realm="Expiration du jeton"'}),
        httpx.Response(200, content=fixture("exemple_retour_10_AEE.xml")),
    ])

    result = client.deposit(DECLARANT, DSN)

    assert result.idflux == "WSaah7AQlUpYL5RsQssseG."
    assert auth.call_count == 2
    assert [c.request.headers["Authorization"] for c in deposit.calls] == [
        f"DSNLogin concentrateur=T1,declarant={DECLARANT_B64}",
        f"DSNLogin concentrateur=T2,declarant={DECLARANT_B64}",
    ]
    assert [(a.operation, a.outcome) for a in attempts] == [
        (Operation.AUTHENTICATE, AttemptOutcome.SUCCEEDED),
        (Operation.DEPOSIT, AttemptOutcome.UNAUTHORIZED),
        (Operation.AUTHENTICATE, AttemptOutcome.SUCCEEDED),
        (Operation.DEPOSIT, AttemptOutcome.SUCCEEDED),
    ]


def test_401_twice_gives_up_after_exactly_one_reauthentication(client, router):
    auth = router.post(AUTH).mock(side_effect=[
        token_response("T1"), token_response("T2"), token_response("T3")
    ])
    unauthorized = httpx.Response(
        401, headers={"WWW-Authenticate": 'DSNLogin realm="Jeton manquant ou invalide"'}
    )
    deposit = router.post(DEPOSIT).mock(return_value=unauthorized)

    with pytest.raises(AuthenticationFailed) as caught:
        client.deposit(DECLARANT, DSN)

    assert caught.value.realm == "Jeton manquant ou invalide"
    assert auth.call_count == 2
    assert deposit.call_count == 2
    assert [c.request.headers["Authorization"].split(",")[0] for c in deposit.calls] == [
        "DSNLogin concentrateur=T1", "DSNLogin concentrateur=T2"
    ]


def test_401_on_reauthentication_itself_gives_up(client, router):
    auth = router.post(AUTH).mock(side_effect=[
        token_response("T1"),
        httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="net-entreprises.fr"'}),
    ])
    deposit = router.post(DEPOSIT).mock(return_value=httpx.Response(401))

    with pytest.raises(AuthenticationFailed) as caught:
        client.deposit(DECLARANT, DSN)

    assert caught.value.operation == Operation.AUTHENTICATE
    assert caught.value.realm == "net-entreprises.fr"
    assert (auth.call_count, deposit.call_count) == (2, 1)


def test_empty_deposit_is_refused_before_any_call(client, router):
    route = router.post(DEPOSIT)
    with pytest.raises(InputError):
        client.deposit(DECLARANT, b"")
    assert route.call_count == 0


def test_a_failing_attempt_callback_does_not_lose_the_idflux(clock):
    def broken(_: AttemptRecord) -> None:
        raise RuntimeError("database down")

    with respx.mock(base_url=BASE) as router, DepositPointClient(
        endpoints=Endpoints.single(BASE), credentials=CREDENTIALS, clock=clock,
        on_attempt=broken, sleep=lambda _: None,
    ) as client:
        router.post(AUTH).mock(return_value=token_response("T1"))
        router.post(DEPOSIT).mock(
            return_value=httpx.Response(200, content=fixture("exemple_retour_10_AEE.xml"))
        )
        assert client.deposit(DECLARANT, DSN).idflux == "WSaah7AQlUpYL5RsQssseG."


# --- listings ----------------------------------------------------------------------------------

DEPOTS = (
    "<depots><declarant><siret>99900000300015</siret><nom>declarant</nom>"
    "<prenom>declarant</prenom>"
    "<depot><idflux>FLUX-A</idflux><date>20260305094000</date><statut>OK</statut></depot>"
    "<depot><idflux>FLUX-B</idflux><date>20260305095000</date><statut>KO</statut></depot>"
    "</declarant></depots>"
)
RETOURS = (
    "<retours><flux><id>FLUX-A</id>"
    "<retour><publication>20260305094100</publication><production>20260305094000</production>"
    "<nature>10</nature><statut>OK</statut><id>R1</id>"
    "<url>https://dp.test/telecharger-retour/1.0/FLUX-A/R1</url></retour>"
    "<retour><publication>20260305094500</publication><production>20260305094400</production>"
    "<ops>AUMGM1</ops><nature>51</nature><statut>ANO</statut><id>R2</id></retour>"
    "</flux></retours>"
)


def test_long_concentrator_range_is_split_into_ten_minute_windows(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.get(path__startswith="/lister-depots/1.0/").mock(return_value=listing(DEPOTS))

    deposits = client.list_deposits(DECLARANT, NOW - timedelta(minutes=25))

    assert [c.request.url.path for c in route.calls] == [
        "/lister-depots/1.0/20260305093500/20260305094500",
        "/lister-depots/1.0/20260305094500/20260305095500",
        "/lister-depots/1.0/20260305095500/20260305100000",
    ]
    assert all(
        c.request.headers["Authorization"] == f"DSNLogin concentrateur=T1,declarant={DECLARANT_B64}"
        for c in route.calls
    )
    assert [(d.idflux, d.status) for d in deposits] == [("FLUX-A", "OK"), ("FLUX-B", "KO")]
    assert deposits[0].deposited_at == datetime(2026, 3, 5, 8, 40, tzinfo=UTC)
    assert deposits[0].declarant_siret == "99900000300015"


def test_declarant_returns_use_sixty_minute_windows(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.get(path__startswith="/lister-retours-declarant/1.0/").mock(
        return_value=listing(RETOURS)
    )

    client.list_returns_for_declarant(DECLARANT, NOW - timedelta(minutes=90), NOW)

    assert [c.request.url.path for c in route.calls] == [
        "/lister-retours-declarant/1.0/20260305083000/20260305093000",
        "/lister-retours-declarant/1.0/20260305093000/20260305100000",
    ]
    assert DECLARANT_B64 in route.calls.last.request.headers["Authorization"]


def test_429_window_adapts_to_accept_ranges_and_resplits(client, router, attempts):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.get(path__startswith="/lister-retours-concentrateur/1.0/").mock(side_effect=[
        httpx.Response(429, headers={"Accept-Ranges": "minutes=0-5"}),
        listing(RETOURS), listing(RETOURS), listing(RETOURS),
    ])

    returns = client.list_returns_for_concentrator(NOW - timedelta(minutes=15), NOW)

    assert [c.request.url.path for c in route.calls] == [
        "/lister-retours-concentrateur/1.0/20260305094500/20260305095500",
        "/lister-retours-concentrateur/1.0/20260305094500/20260305095000",
        "/lister-retours-concentrateur/1.0/20260305095000/20260305095500",
        "/lister-retours-concentrateur/1.0/20260305095500/20260305100000",
    ]
    assert client.window_minutes(Operation.LIST_RETURNS_CONCENTRATOR) == 5
    assert route.calls.last.request.headers["Authorization"] == "DSNLogin concentrateur=T1"
    assert len(returns) == 2  # the same returns in every window are kept once
    assert AttemptOutcome.WINDOW_TOO_WIDE in [a.outcome for a in attempts]


def test_429_without_accept_ranges_halves_the_window(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.get(path__startswith="/lister-depots/1.0/").mock(side_effect=[
        httpx.Response(429), listing(DEPOTS), listing(DEPOTS),
    ])

    client.list_deposits(DECLARANT, NOW - timedelta(minutes=10), NOW)

    assert [c.request.url.path for c in route.calls] == [
        "/lister-depots/1.0/20260305095000/20260305100000",
        "/lister-depots/1.0/20260305095000/20260305095500",
        "/lister-depots/1.0/20260305095500/20260305100000",
    ]


def test_429_that_cannot_be_narrowed_further_raises(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.get(path__startswith="/lister-depots/1.0/").mock(
        return_value=httpx.Response(429, headers={"Accept-Ranges": "minutes=0-10"})
    )

    with pytest.raises(SearchWindowTooWide) as caught:
        client.list_deposits(DECLARANT, NOW - timedelta(minutes=10), NOW)

    assert caught.value.max_minutes == 10
    assert route.call_count == 1


def test_same_query_is_not_repeated_before_expires(client, router, clock):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.get("/lister-retours-flux/1.0/FLUX-A").mock(return_value=listing(RETOURS))

    first = client.list_flow_returns("FLUX-A")
    clock.advance(timedelta(minutes=1, seconds=59))
    second = client.list_flow_returns("FLUX-A")
    assert route.call_count == 1
    assert second == first

    clock.advance(timedelta(seconds=2))
    client.list_flow_returns("FLUX-A")
    assert route.call_count == 2


def test_flow_returns_use_concentrator_only_header_and_parse_records(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.get("/lister-retours-flux/1.0/FLUX-A").mock(return_value=listing(RETOURS))

    returns = client.list_flow_returns("FLUX-A")

    assert route.calls.last.request.headers["Authorization"] == "DSNLogin concentrateur=T1"
    first, second = returns
    assert (first.idflux, first.nature, first.status) == ("FLUX-A", "10", "OK")
    assert first.return_id == "R1"
    assert first.url == "https://dp.test/telecharger-retour/1.0/FLUX-A/R1"
    assert first.published_at == datetime(2026, 3, 5, 8, 41, tzinfo=UTC)
    assert (second.ops, second.status, second.key) == (
        "AUMGM1", "ANO", ("FLUX-A", "51", "AUMGM1", None)
    )


def test_flow_with_no_returns_yet_is_an_empty_list(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    router.get("/lister-retours-flux/1.0/FLUX-A").mock(return_value=listing("<retours></retours>"))
    assert client.list_flow_returns("FLUX-A") == []


def test_unknown_flow_is_permanent_not_found(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.get("/lister-retours-flux/1.0/NOPE").mock(return_value=httpx.Response(404))

    with pytest.raises(NotFoundOnDepositPoint):
        client.list_flow_returns("NOPE")
    assert route.call_count == 1


def test_listing_transient_then_success_is_retried(client, router, attempts):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.get("/lister-retours-flux/1.0/FLUX-A").mock(side_effect=[
        httpx.ReadTimeout("slow"), httpx.Response(503), listing(RETOURS)
    ])

    assert len(client.list_flow_returns("FLUX-A")) == 2
    assert route.call_count == 3
    flow_attempts = [a for a in attempts if a.operation is Operation.LIST_FLOW_RETURNS]
    assert [a.error_type for a in flow_attempts] == ["ExchangeInterrupted", "ServerError", None]


def test_listing_retries_exhausted_raise_the_last_transient_error(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    route = router.get("/lister-retours-flux/1.0/FLUX-A").mock(
        side_effect=httpx.ReadTimeout("slow")
    )

    with pytest.raises(ExchangeInterrupted):
        client.list_flow_returns("FLUX-A")
    assert route.call_count == 3


def test_unreadable_listing_is_malformed_response(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    router.get("/lister-retours-flux/1.0/FLUX-A").mock(
        return_value=httpx.Response(200, text="<html>maintenance</html>")
    )
    with pytest.raises(MalformedResponse):
        client.list_flow_returns("FLUX-A")


def test_listing_403_is_access_denied(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    router.get("/lister-retours-flux/1.0/OTHER").mock(return_value=httpx.Response(403))
    with pytest.raises(AccessDenied):
        client.list_flow_returns("OTHER")


def test_naive_datetimes_are_refused(client, router):
    with pytest.raises(InputError):
        client.list_deposits(DECLARANT, datetime(2026, 3, 5, 9, 0))


# --- download ----------------------------------------------------------------------------------


def test_download_by_id_and_by_trusted_url(client, router):
    router.post(AUTH).mock(return_value=token_response("T1"))
    body = fixture("exemple_retour_11_BAN.xml")
    route = router.get("/telecharger-retour/1.0/FLUX-A/R1").mock(return_value=httpx.Response(
        200, content=gzip.compress(body),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/xml"},
    ))

    by_id = client.download_return("FLUX-A", "R1")
    by_url = client.download_return(url="https://dp.test/telecharger-retour/1.0/FLUX-A/R1")

    assert by_id.content == body
    assert by_id.content_type == "application/xml"
    assert by_url.content == body
    assert route.calls.last.request.headers["Authorization"] == "DSNLogin concentrateur=T1"


def test_download_refuses_a_url_outside_configured_hosts(client, router):
    auth = router.post(AUTH)

    with pytest.raises(UntrustedReturnUrl):
        client.download_return(url="https://evil.example/telecharger-retour/1.0/F/R")
    assert auth.call_count == 0


def test_download_checks_identifier_lengths(client):
    with pytest.raises(InputError):
        client.download_return("F" * 51, "R1")
    with pytest.raises(InputError):
        client.download_return("FLUX", "R" * 11)


def test_a_login_answer_already_expired_still_gives_a_token_kept_for_its_max_age(client, router):
    # Expires in the past says "do not reuse this answer", not "this token is dead".
    route = router.post(AUTH).mock(return_value=httpx.Response(
        200, text="T1", headers={"Expires": "Thu, 01 Dec 1994 16:00:00 GMT"}
    ))

    client.authenticate()
    client.authenticate()

    assert route.call_count == 1


def test_absurd_server_lifetimes_are_capped(client, router, clock):
    router.post(AUTH).mock(return_value=token_response("T1", lifetime=timedelta(days=3)))
    route = router.get("/lister-retours-flux/1.0/FLUX-A").mock(
        return_value=listing(RETOURS, expires_in=timedelta(days=1))
    )

    client.authenticate()
    assert client.token_expires_at() == NOW + timedelta(hours=1)  # not the 3 days of Expires

    client.list_flow_returns("FLUX-A")
    clock.advance(timedelta(minutes=5, seconds=1))
    client.list_flow_returns("FLUX-A")
    assert route.call_count == 2
