"""The gateway's HTTP API: `create_app(settings)`; `uvicorn --factory api.app:create_app`."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from sqlalchemy.engine import Engine

from api import docs, errors, middleware
from api.dashboard import install as install_dashboard
from api.deps import Runtime
from api.dev_clock import SandboxClock
from api.maintenance import MaintenanceGuard
from api.routes import (
    companies,
    declarants,
    declarations,
    dev_clock,
    health,
    metrics,
    returns,
    returns_list,
    sla,
    status,
    support,
    tenant,
    users,
    webhooks,
)
from dsnlink import __version__, db
from dsnlink.clock import Clock, SystemClock
from dsnlink.config import Settings, get_settings
from dsnlink.logs.logging import configure_logging
from dsnlink.security.blobs import BlobStore
from dsnlink.security.keys import keyring_from_settings, session_secret_from_settings
from dsnlink.security.receipts import signer_from_settings

DESCRIPTION = """
DSN Link: post DSN files, follow them, order their transmission to net-entreprises.fr.

Authenticate with `Authorization: Bearer <API key>`; a key acts as the user who owns it.
Every error is `application/problem+json` (RFC 9457) with a stable `type` URI.
"""


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, clock: Clock | None = None
) -> FastAPI:
    """The API over `settings`; tests may pass a shared engine and a frozen clock."""
    settings = settings or get_settings()
    settings.check_secrets()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    keyring = keyring_from_settings(settings)
    engine = engine or db.engine_from_settings(settings)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=db.session_factory(engine),
        # In development and demo the clock can be set (POST /_dev/clock); never in production.
        clock=SandboxClock(clock or SystemClock())
        if settings.is_development
        else (clock or SystemClock()),
        keyring=keyring,
        blobs=BlobStore(settings.data_dir / "blobs", keyring),
        signer=signer_from_settings(settings),
        session_secret=session_secret_from_settings(settings),
    )
    runtime.blobs.sweep_staging()  # uploads a killed process left half-written
    app = FastAPI(
        title="dsnlink",
        version=__version__,
        description=DESCRIPTION,
        # Any route may answer 429 (rate limit) and 503 (maintenance, a dependency down).
        responses=errors.responses(401, 422, 429, 500, 503),
        dependencies=[Depends(middleware.bind_path_ids)],
        docs_url=None,
        redoc_url=None,
    )
    docs.install(app)
    app.state.runtime = runtime
    errors.install(app)
    for module in (tenant, users, companies, declarants, declarations, returns):
        app.include_router(module.router, prefix="/v1")
    for module in (sla, support):
        app.include_router(module.router, prefix="/v1")
    app.include_router(webhooks.router, prefix="/v1")
    app.include_router(returns_list.router, prefix="/v1")
    app.include_router(dev_clock.router)
    app.include_router(status.router)
    install_dashboard(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.add_middleware(MaintenanceGuard)
    middleware.install(app)
    return app
