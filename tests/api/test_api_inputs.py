"""Text no database can store is refused as bad input (422), never left to fail as a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dsnlink.inputs import is_storable

UNSTORABLE = ["a\x00b@x.example", "a\udb57@x.example", "bell\x07@x.example"]


@pytest.mark.parametrize("text", UNSTORABLE)
def test_control_characters_and_lone_surrogates_are_not_storable(text: str) -> None:
    assert is_storable(text) is False


def test_ordinary_text_is_storable() -> None:
    assert is_storable("Élodie O'Connor\tligne 1\nligne 2") is True


def _json(body: dict[str, Any]) -> bytes:
    # json.dumps writes a lone surrogate as the escape \udb57, as a client would.
    import json

    return json.dumps(body).encode()


@pytest.mark.parametrize("email", UNSTORABLE)
async def test_api_refuses_unstorable_text_with_422(
    client: httpx.AsyncClient, tenant_a: Any, email: str
) -> None:
    response = await client.post(
        "/v1/users",
        content=_json({"email": email, "role": "user"}),
        headers={**tenant_a.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_same_non_ascii_email_twice_is_a_409_on_every_database(
    client: httpx.AsyncClient, tenant_a: Any
) -> None:
    body = {"email": "Élodie.Lefèvre@Exemple.fr", "role": "user"}
    first = await client.post("/v1/users", json=body, headers=tenant_a.headers)
    again = await client.post(
        "/v1/users", json={**body, "email": "élodie.lefèvre@exemple.fr"}, headers=tenant_a.headers
    )
    assert first.status_code == 201, first.text
    assert first.json()["email"] == "élodie.lefèvre@exemple.fr"
    assert again.status_code == 409, again.text


async def test_query_strings_with_control_characters_are_refused_and_store_nothing(
    client: httpx.AsyncClient, tenant_a: Any, company_a: Any
) -> None:
    from tests.api.test_api_declarations import dsn

    upload = await client.post(
        "/v1/declarations?filename=oct%00obre.dsn",
        content=dsn(seed=91),
        headers={**tenant_a.headers, "Content-Type": "application/octet-stream"},
    )
    page = await client.get("/app/echeances?q=%1b%5B2J")
    listed = await client.get("/v1/declarations", headers=tenant_a.headers)

    assert upload.status_code == 400, upload.text
    assert upload.json()["type"].endswith("/invalid-query")
    assert "'filename'" in upload.json()["detail"]
    assert page.status_code == 400
    assert listed.json()["total"] == 0
