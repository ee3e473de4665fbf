"""The OpenAPI document validates and lists every answer of every route; /docs and /redoc work
offline (their assets are served by the gateway itself)."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_spec_validator import validate


async def test_the_openapi_document_validates_and_lists_every_answer(
    client: httpx.AsyncClient,
) -> None:
    spec: dict[str, Any] = (await client.get("/openapi.json")).json()
    validate(spec)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            answers = set(operation["responses"])
            assert {"429", "500", "503"} <= answers, (method, path, answers)
            if path.startswith("/v1/"):
                assert "401" in answers, (method, path)
    upload = spec["paths"]["/v1/declarations"]["post"]
    assert {"201", "400", "403", "409", "413", "415", "422"} <= set(upload["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in upload["parameters"])
    listing = spec["paths"]["/v1/declarations"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"updated_since", "cursor", "siret", "type", "received_after"} <= names
    assert "/v1/webhooks" in spec["paths"]


async def test_docs_work_without_a_cdn(client: httpx.AsyncClient) -> None:
    for page, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        html = await client.get(page)
        assert html.status_code == 200
        assert f"/docs-assets/{asset}" in html.text
        assert "cdn.jsdelivr.net" not in html.text and "fonts.googleapis" not in html.text
        script = await client.get(f"/docs-assets/{asset}")
        assert script.status_code == 200 and len(script.content) > 100_000
    css = await client.get("/docs-assets/swagger-ui.css")
    assert css.status_code == 200
