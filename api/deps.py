"""Dependencies: the app's runtime, one unit of work per request, the calling principal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dsnlink import db
from dsnlink.clock import Clock
from dsnlink.config import Settings
from dsnlink.declarations.errors import UnknownFilter
from dsnlink.declarations.service import IntakeRuntime
from dsnlink.deposit_point.client import DepositPointClient
from dsnlink.logs.logging import bind_log_fields
from dsnlink.security.blobs import BlobStore
from dsnlink.security.keys import Keyring
from dsnlink.security.receipts import ReceiptSigner
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants.errors import ScopeRequired
from dsnlink.tenants.schemas import Principal, Scope
from dsnlink.transmission.context import build_client


@dataclass(frozen=True)
class Runtime:
    """What create_app builds once and every request shares."""

    settings: Settings
    engine: Engine
    sessions: db.SessionFactory
    clock: Clock
    keyring: Keyring
    blobs: BlobStore
    signer: ReceiptSigner
    session_secret: str = ""
    """Signs the dashboard's cookies and CSRF tokens (keys.session_secret_from_settings)."""

    @property
    def intake(self) -> IntakeRuntime:
        return IntakeRuntime(
            blobs=self.blobs,
            signer=self.signer,
            clock=self.clock,
            max_bytes=self.settings.max_upload_bytes,
            storage_quota_bytes=self.settings.storage_quota_bytes,
            norm_dir=self.settings.data_dir,
        )


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_deposit_point(runtime: RuntimeDep) -> Iterator[DepositPointClient]:
    """A deposit-point client for this request (the concentrator's), closed afterwards."""
    client = build_client(runtime.settings, clock=runtime.clock)
    try:
        yield client
    finally:
        client.close()


DepositPointDep = Annotated[DepositPointClient, Depends(get_deposit_point)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back if it raises."""
    with db.unit_of_work(runtime.sessions) as session:
        yield session


# scope="function": commit before the response is sent, so a 2xx means the data is stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


bearer = HTTPBearer(auto_error=False, description="a DSN Link API key: dsnl_<prefix>_<secret>")


def required_scope(method: str, path: str) -> Scope:
    """The API key scope a request needs: reading is `read`; posting or deleting a declaration
    is `upload`; ordering a transmission is `transmit`; any other write is `admin`."""
    if method in {"GET", "HEAD", "OPTIONS"}:
        return Scope.READ
    if method == "POST" and path.endswith("/transmit"):
        return Scope.TRANSMIT
    if (method == "POST" and path.rstrip("/") == "/v1/declarations") or (
        method == "DELETE" and path.startswith("/v1/declarations/")
    ):
        return Scope.UPLOAD
    return Scope.ADMIN


def get_principal(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Who calls, if the key's scopes allow this request; the key's last use is recorded in
    its own short transaction."""
    with db.unit_of_work(runtime.sessions) as session:
        principal = tenants_service.authenticate(
            session,
            raw_key=credentials.credentials if credentials else None,
            secret=runtime.settings.secret_key,
            clock=runtime.clock,
        )
    bind_log_fields(tenant_id=principal.tenant_id, user_id=principal.user_id)
    needed = required_scope(request.method, request.url.path)
    if not principal.may(needed):
        raise ScopeRequired(
            f"this API key lacks the {needed} scope this request needs (it has: "
            f"{', '.join(sorted(principal.scopes or ())) or 'none'})",
            required_scope=str(needed),
            scopes=sorted(principal.scopes or ()),
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def reject_unknown_parameters(request: Request, known: frozenset[str]) -> None:
    """A query parameter the route does not take is an error, not silently ignored."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise UnknownFilter(
            f"unknown query parameter(s): {', '.join(unknown)}; this endpoint takes "
            f"{', '.join(sorted(known))}",
            unknown=unknown,
            known=sorted(known),
        )
