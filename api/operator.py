"""The operator's authentication: a bearer token from DSNLINK_OPERATOR_TOKEN.

The operator is not a tenant's user: it runs the service (incidents, maintenances, support desk).
Its endpoints live under /v1/operator/ and take `Authorization: Bearer <operator token>`.
Outside development and test the token must be set (and not the placeholder), otherwise those
endpoints refuse every call; in development, when unset, the placeholder secret is the token.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import RuntimeDep
from dsnlink.config import PLACEHOLDER_SECRET, Settings
from dsnlink.errors import ForbiddenError
from dsnlink.tenants.errors import AuthenticationRequired

operator_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="operator",
    description="the operator token (DSNLINK_OPERATOR_TOKEN)",
)


class OperatorDisabled(ForbiddenError):
    code = "operator-disabled"


def expected_operator_token(settings: Settings) -> str:
    relaxed = settings.is_development
    token = settings.operator_token
    if token and (relaxed or token != PLACEHOLDER_SECRET):
        return token
    if relaxed:
        return PLACEHOLDER_SECRET
    raise OperatorDisabled(
        "the operator API is disabled: set DSNLINK_OPERATOR_TOKEN to a secret value"
    )


def require_operator(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(operator_bearer)],
) -> None:
    expected = expected_operator_token(runtime.settings)
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise AuthenticationRequired("send the operator token: Authorization: Bearer <token>")


OperatorDep = Annotated[None, Depends(require_operator)]
