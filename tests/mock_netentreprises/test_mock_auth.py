"""POST /authentifier/1.0/ and the use of tokens: field limits, realms, lock, token modes."""

from __future__ import annotations

import base64
import gzip
from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest
from mock_helpers import CONCENTRATOR, DECLARANT, START, build_dsn, declarant_part, identifiants

from mock_netentreprises import ManualClock

AUTH = "/authentifier/1.0/"


async def _auth(client: httpx.AsyncClient, body: bytes, **headers: str) -> httpx.Response:
    return await client.post(AUTH, content=body, headers=headers)


async def test_declarant_login_returns_a_plain_opaque_base64_token(
    client: httpx.AsyncClient,
) -> None:
    response = await _auth(client, identifiants(*DECLARANT, "97"), **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.headers["content-type"] == "application/octet-stream"
    assert base64.b64decode(response.content, validate=True)
    expires = parsedate_to_datetime(response.headers["expires"])
    assert expires == START + timedelta(minutes=2)


async def test_concentrator_logs_in_with_service_98(client: httpx.AsyncClient) -> None:
    response = await _auth(client, identifiants(*CONCENTRATOR, "98"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        identifiants("9990000030001", "declarant", "declarant", "Refonte01", "97"),
        identifiants("999000003000150", "declarant", "declarant", "Refonte01", "97"),
        identifiants("99900000300015", "n" * 65, "declarant", "Refonte01", "97"),
        identifiants("99900000300015", "declarant", "p" * 40, "Refonte01", "97"),
        identifiants("99900000300015", "declarant", "declarant", "m" * 31, "97"),
        identifiants("99900000300015", "declarant", "declarant", "Refonte01", "970"),
        identifiants("99900000300015", "", "declarant", "Refonte01", "97"),
        b"<identifiants><siret>99900000300015</siret><nom>declarant</nom>"
        b"<prenom>declarant</prenom><motdepasse>Refonte01</motdepasse></identifiants>",
        b"<identifiants><nom>declarant</nom><siret>99900000300015</siret>"
        b"<prenom>declarant</prenom><motdepasse>Refonte01</motdepasse>"
        b"<service>97</service></identifiants>",
    ],
    ids=[
        "siret-13",
        "siret-15",
        "nom-65",
        "prenom-40",
        "password-31",
        "service-3",
        "nom-empty",
        "service-missing",
        "wrong-order",
    ],
)
async def test_missing_or_overlong_field_is_422(client: httpx.AsyncClient, body: bytes) -> None:
    assert (await _auth(client, body)).status_code == 422


async def test_field_at_its_limit_is_accepted_as_a_shape(client: httpx.AsyncClient) -> None:
    body = identifiants("99900000300015", "n" * 64, "p" * 39, "m" * 30, "97")
    response = await _auth(client, body)
    assert response.status_code == 401  # well-formed, unknown account
    assert response.headers["www-authenticate"] == 'Basic realm="net-entreprises.fr"'


async def test_garbage_is_400(client: httpx.AsyncClient) -> None:
    assert (await _auth(client, b"<identifiants><siret>")).status_code == 400
    assert (await _auth(client, b"siret=99900000300015")).status_code == 400


@pytest.mark.parametrize(
    ("who", "service", "realm"),
    [
        (
            ("99900000300015", "declarant", "declarant", "wrong"),
            "97",
            'Basic realm="net-entreprises.fr"',
        ),
        (("12345678901234", "nobody", "nobody", "x"), "97", 'Basic realm="net-entreprises.fr"'),
        (DECLARANT, "98", 'DSNLogin realm="Utilisateur non-inscrit au service"'),
        (DECLARANT, "25", 'DSNLogin realm="Utilisateur non-inscrit au service"'),
        (CONCENTRATOR, "97", 'DSNLogin realm="Utilisateur non-inscrit au service"'),
    ],
    ids=["bad-password", "unknown-account", "declarant-as-98", "declarant-prod", "ctr-as-97"],
)
async def test_refusals_are_401_with_the_realm_saying_why(
    client: httpx.AsyncClient, who: tuple[str, str, str, str], service: str, realm: str
) -> None:
    response = await _auth(client, identifiants(*who, service))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == realm
    assert response.content == b""


async def test_expired_password_has_its_own_realm(client: httpx.AsyncClient) -> None:
    account = {
        "siret": "11111111111111",
        "nom": "old",
        "prenom": "pwd",
        "motdepasse": "secret",
        "services": ["97"],
        "password_expired": True,
    }
    assert (await client.post("/_mock/accounts", json=account)).status_code == 201
    response = await _auth(client, identifiants("11111111111111", "old", "pwd", "secret", "97"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="Expiration du mot de passe"'


async def test_kaboom_is_500(client: httpx.AsyncClient) -> None:
    body = identifiants("99900000300015", "kaboom", "declarant", "Refonte01", "97")
    assert (await _auth(client, body)).status_code == 500


async def test_accept_encoding_without_gzip_is_406(client: httpx.AsyncClient) -> None:
    response = await _auth(client, identifiants(*DECLARANT, "97"), **{"Accept-Encoding": "br"})
    assert response.status_code == 406


async def test_repeated_failures_lock_the_account_until_lock_expires(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    wrong = identifiants(DECLARANT[0], DECLARANT[1], DECLARANT[2], "wrong", "97")
    statuses = [(await _auth(client, wrong)).status_code for _ in range(5)]
    assert statuses == [401] * 5
    assert (await _auth(client, identifiants(*DECLARANT, "97"))).status_code == 403
    clock.advance(timedelta(minutes=31))
    assert (await _auth(client, identifiants(*DECLARANT, "97"))).status_code == 200


async def test_a_success_resets_the_failure_count(client: httpx.AsyncClient) -> None:
    wrong = identifiants(DECLARANT[0], DECLARANT[1], DECLARANT[2], "wrong", "97")
    for _ in range(4):
        await _auth(client, wrong)
    assert (await _auth(client, identifiants(*DECLARANT, "97"))).status_code == 200
    for _ in range(4):
        assert (await _auth(client, wrong)).status_code == 401
    assert (await _auth(client, identifiants(*DECLARANT, "97"))).status_code == 200


async def _deposit(client: httpx.AsyncClient, authorization: str | None) -> httpx.Response:
    headers = {"Content-Encoding": "gzip", "Content-Type": "text/plain"}
    if authorization is not None:
        headers["Authorization"] = authorization
    return await client.post(
        "/deposer-dsn/1.0/", content=gzip.compress(build_dsn()), headers=headers
    )


async def _token(client: httpx.AsyncClient, who: tuple[str, str, str, str], service: str) -> str:
    return (await _auth(client, identifiants(*who, service))).text


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer abc", "DSNLogin jeton=unknown", "DSNLogin jeton", "DSNLogin"],
)
async def test_missing_or_invalid_token_is_401_jeton_manquant(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    response = await _deposit(client, authorization)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'DSNLogin realm="Jeton manquant ou invalide"'


async def test_expired_token_is_401_expiration_du_jeton(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    token = await _token(client, DECLARANT, "97")
    clock.advance(timedelta(hours=1, seconds=1))
    response = await _deposit(client, f"DSNLogin jeton={token}")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'DSNLogin realm="Expiration du jeton"'


async def test_token_lifetime_is_configurable(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    await client.post("/_mock/config", json={"token_lifetime": 600})
    response = await _auth(client, identifiants(*DECLARANT, "97"))
    assert parsedate_to_datetime(response.headers["expires"]) == START + timedelta(minutes=2)
    clock.advance(timedelta(seconds=599))
    assert (await _deposit(client, f"DSNLogin jeton={response.text}")).status_code == 200
    clock.advance(timedelta(seconds=1))
    expired = await _deposit(client, f"DSNLogin jeton={response.text}")
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == 'DSNLogin realm="Expiration du jeton"'


async def test_concentrator_deposit_needs_the_declarant_part(client: httpx.AsyncClient) -> None:
    token = await _token(client, CONCENTRATOR, "98")
    without = await _deposit(client, f"DSNLogin concentrateur={token}")
    assert without.status_code == 401
    part = declarant_part(*DECLARANT[:3])
    with_part = await _deposit(client, f"DSNLogin concentrateur={token},declarant={part}")
    assert with_part.status_code == 200


async def test_token_kinds_cannot_be_swapped(client: httpx.AsyncClient) -> None:
    declarant_token = await _token(client, DECLARANT, "97")
    concentrator_token = await _token(client, CONCENTRATOR, "98")
    part = declarant_part(*DECLARANT[:3])
    as_concentrator = f"DSNLogin concentrateur={declarant_token},declarant={part}"
    assert (await _deposit(client, as_concentrator)).status_code == 401
    assert (await _deposit(client, f"DSNLogin jeton={concentrator_token}")).status_code == 401


@pytest.mark.parametrize(
    ("part", "realm"),
    [
        ("not-base64!", 'DSNLogin realm="Jeton manquant ou invalide"'),
        (
            base64.b64encode(b"99900000300015;declarant").decode(),
            'DSNLogin realm="Jeton manquant ou invalide"',
        ),
        (
            declarant_part("12345678901234", "INCONNU", "PERSONNE"),
            'DSNLogin realm="Utilisateur non-inscrit au service"',
        ),
    ],
    ids=["garbage", "two-fields", "unknown-declarant"],
)
async def test_bad_declarant_part_is_refused(
    client: httpx.AsyncClient, part: str, realm: str
) -> None:
    token = await _token(client, CONCENTRATOR, "98")
    response = await _deposit(client, f"DSNLogin concentrateur={token},declarant={part}")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == realm


async def test_unknown_declarants_can_be_allowed(client: httpx.AsyncClient) -> None:
    await client.post("/_mock/config", json={"accept_unknown_declarants": True})
    token = await _token(client, CONCENTRATOR, "98")
    part = declarant_part("12345678901234", "INCONNU", "PERSONNE")
    response = await _deposit(client, f"DSNLogin concentrateur={token},declarant={part}")
    assert response.status_code == 200
    assert "<siret>12345678901234</siret>" in response.text


async def test_registered_demo_tenant_can_log_in_and_be_deposited_for(
    client: httpx.AsyncClient,
) -> None:
    tenant = {
        "siret": "73282932000074",
        "nom": "DEMO",
        "prenom": "Tenant",
        "motdepasse": "demo-pass",
        "services": ["25", "97"],
    }
    created = await client.post("/_mock/accounts", json=tenant)
    assert created.status_code == 201
    assert "motdepasse" not in created.json()
    listed = (await client.get("/_mock/accounts")).json()
    assert any(a["siret"] == "73282932000074" for a in listed)
    own = await _token(client, ("73282932000074", "DEMO", "Tenant", "demo-pass"), "25")
    assert (await _deposit(client, f"DSNLogin jeton={own}")).status_code == 200
    token = await _token(client, CONCENTRATOR, "98")
    part = declarant_part("73282932000074", "DEMO", "Tenant")
    response = await _deposit(client, f"DSNLogin concentrateur={token},declarant={part}")
    assert response.status_code == 200
