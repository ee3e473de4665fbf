"""Every answer that is not a success is problem+json; fuzzed input never yields a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PROBLEM = "application/problem+json"
PROBLEMS = "https://dsnlink.example/problems/"
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith(PROBLEMS)
    assert body["title"] and body["detail"]
    return body


async def test_unknown_route_and_method_are_problems(
    client: httpx.AsyncClient, tenant_a: Any
) -> None:
    assert_problem(await client.get("/nowhere"), 404)
    assert_problem(await client.get("/v1/declarations/not-a-uuid", headers=tenant_a.headers), 422)
    assert (
        assert_problem(await client.put("/v1/tenant", headers=tenant_a.headers), 405)["type"]
        == PROBLEMS + "method-not-allowed"
    )


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"[]",
        b'"x"',
        b"null",
        b'{"siren": Infinity, "name": NaN, "due_day": -Infinity}',
        json.dumps({"siren": 732829320}).encode(),
        json.dumps({"siren": "732829320", "name": "x", "due_day": 6}).encode(),
        json.dumps({"siren": "732829320", "name": "x", "due_day": 5, "extra": 1}).encode(),
    ],
)
async def test_malformed_json_bodies_are_422_problems(
    client: httpx.AsyncClient, tenant_a: Any, content: bytes
) -> None:
    response = await client.post(
        "/v1/companies",
        content=content,
        headers={**tenant_a.headers, "Content-Type": "application/json"},
    )
    body = assert_problem(response, 422)
    assert body["type"] == PROBLEMS + "invalid-request"
    assert body["errors"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
company_like = st.fixed_dictionaries(
    {},
    optional={
        "siren": st.text(alphabet="0123456789a ", max_size=11) | json_values,
        "name": st.text(max_size=250) | json_values,
        "due_day": st.sampled_from([5, 15, 20, 0, -1, "5", None]) | json_values,
        "establishments": st.lists(
            st.fixed_dictionaries(
                {}, optional={"nic": st.text(alphabet="0123456789", max_size=6), "name": st.text()}
            ),
            max_size=3,
        )
        | json_values,
        "declarant_id": st.uuids().map(str) | json_values,
    },
)


@FUZZ
@given(body=company_like | json_values)
async def test_fuzzed_company_bodies_never_500(
    client: httpx.AsyncClient, tenant_a: Any, body: Any
) -> None:
    response = await client.post("/v1/companies", json=body, headers=tenant_a.headers)
    assert response.status_code in {201, 404, 409, 422}, response.text
    if response.status_code != 201:
        assert response.headers["content-type"] == PROBLEM


@FUZZ
@given(
    body=st.binary(max_size=2000)
    | st.builds(
        lambda lines: "\n".join(lines).encode("latin-1", "replace"),
        st.lists(
            st.from_regex(r"S[0-9]{2}\.G00\.[0-9]{2}\.[0-9]{3},'[^\n]{0,20}'", fullmatch=True),
            max_size=30,
        ),
    ),
    encoding=st.sampled_from([None, "gzip", "identity", "deflate"]),
    params=st.dictionaries(
        st.sampled_from(["accept_late", "transmit", "filename"]),
        st.text(max_size=10),
        max_size=3,
    ),
)
async def test_fuzzed_uploads_never_500(
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    body: bytes,
    encoding: str | None,
    params: dict[str, str],
) -> None:
    headers = {**tenant_a.headers, "Content-Type": "text/plain; charset=iso-8859-1"}
    if encoding:
        headers["Content-Encoding"] = encoding
    response = await client.post("/v1/declarations", content=body, headers=headers, params=params)
    assert response.status_code in {201, 400, 403, 409, 413, 415, 422}, response.text
    if response.status_code != 201:
        assert response.headers["content-type"] == PROBLEM


@FUZZ
@given(
    path=st.text(
        alphabet=st.characters(exclude_characters="?#%", min_codepoint=33, max_codepoint=126),
        max_size=40,
    ),
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]),
)
async def test_fuzzed_paths_never_500(
    client: httpx.AsyncClient, tenant_a: Any, path: str, method: str
) -> None:
    response = await client.request(method, "/v1/" + path, headers=tenant_a.headers)
    assert response.status_code < 500, (method, path, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM


async def test_openapi_declares_problem_responses_and_examples(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    upload = spec["paths"]["/v1/declarations"]["post"]
    assert {"400", "403", "409", "413", "415", "422"} <= set(upload["responses"])
    assert PROBLEM in upload["responses"]["409"]["content"]
    assert "application/octet-stream" in upload["requestBody"]["content"]
    company = spec["components"]["schemas"]["CompanyCreate"]
    assert company["examples"][0]["siren"] == "732829320"
    assert all(
        operation.get("summary") for path in spec["paths"].values() for operation in path.values()
    )
