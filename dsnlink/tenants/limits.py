"""Limits of a tenant: its offering's users, companies and payslips limits, and the operator's
overrides."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.errors import InputError, LimitExceeded, NotFoundError
from dsnlink.sla.offerings import (
    get_offering,
)
from dsnlink.tenants import repository
from dsnlink.tenants.models import Tenant, TenantLimit

PAYSLIP_LIMIT = "payslips_per_company_per_year"
STORAGE_LIMIT = "storage_bytes"
"""Bytes of stored DSN files per tenant; no offering states it: DSNLINK_STORAGE_QUOTA_BYTES."""
LIMIT_NAMES = ("users", "companies", PAYSLIP_LIMIT, STORAGE_LIMIT)


def tenant_limit(session: Session, *, tenant: Tenant, name: str) -> int | None:
    """The limit in force: the operator's override for this tenant, else the offering's."""
    override = repository.get_tenant_limit(session, tenant_id=tenant.id, name=name)
    if override is not None:
        return override.value
    value: int | None = getattr(get_offering(tenant.offering).limits, name, None)
    return value


def check_limit(session: Session, *, tenant_id: uuid.UUID, name: str, count_after: int) -> None:
    """Raise LimitExceeded if the tenant would pass its users/companies limit."""
    tenant = repository.get_tenant(session, tenant_id)
    if tenant is None:
        raise NotFoundError(f"no tenant {tenant_id}", tenant_id=str(tenant_id))
    limit = tenant_limit(session, tenant=tenant, name=name)
    if limit is not None and count_after > limit:
        raise LimitExceeded(
            f"the {name} limit of tenant {tenant.name} is {limit}: this would make {count_after}"
            " (the operator can raise it: dsnlink tenant set-limit)",
            limit=name,
            value=limit,
            requested=count_after,
        )


def set_tenant_limit(
    session: Session, *, tenant_id: uuid.UUID, name: str, value: int, clock: Clock
) -> TenantLimit:
    if name not in LIMIT_NAMES:
        raise InputError(f"limit must be one of {', '.join(LIMIT_NAMES)}", limit=name)
    if value <= 0:
        raise InputError(f"the {name} limit must be a positive number", value=value)
    row = repository.get_tenant_limit(session, tenant_id=tenant_id, name=name) or TenantLimit(
        tenant_id=tenant_id, name=name, value=value, set_at=clock.now()
    )
    row.value, row.set_at = value, clock.now()
    session.add(row)
    session.flush()
    return row
