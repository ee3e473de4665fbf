"""Requests shaped as the GIP-MDS reference mock's JUnit cases send them (JAXB, RESTEasy)."""

from __future__ import annotations

import base64

import httpx

IDENTIFIANTS = ("siret", "nom", "prenom", "motdepasse", "service")
# What the reference's JUnit cases send as garbage in a token or a declarant part.
NOT_A_TOKEN = base64.b64encode("Not a é valid token".encode()).decode()
NOT_BASE64 = "Not+a+base+64+token"
UNREGISTERED_DECLARANT = ("99900000300015", "Freeman", "Gordon")


def jaxb_identifiants(
    siret: str | None,
    nom: str | None,
    prenom: str | None,
    motdepasse: str | None,
    service: str | None,
) -> bytes:
    """`<identifiants>` as JAXB's formatted marshaller writes it: declaration, indentation, and
    no element at all for a null field."""
    values = dict(zip(IDENTIFIANTS, (siret, nom, prenom, motdepasse, service), strict=True))
    lines = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', "<identifiants>"]
    lines += [
        f"    <{name}>{value}</{name}>" for name, value in values.items() if value is not None
    ]
    lines.append("</identifiants>")
    return ("\n".join(lines) + "\n").encode()


async def send(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    accept_encoding: str | None = None,
) -> httpx.Response:
    """One request with exactly the Accept-Encoding given: None sends none (httpx adds one)."""
    request = http.build_request(method, path, content=content, headers=headers)
    if accept_encoding is None:
        del request.headers["Accept-Encoding"]
    else:
        request.headers["Accept-Encoding"] = accept_encoding
    return await http.send(request)


def assert_empty(response: httpx.Response) -> None:
    """The reference's error shape: no body and no Content-Type."""
    assert response.content == b""
    assert "content-type" not in response.headers
