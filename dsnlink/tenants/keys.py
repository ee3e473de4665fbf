"""API keys beyond issuing one: revoking (never the tenant's last administration key) and the
operator's `dsnlink tenant issue-key`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.errors import NotFoundError
from dsnlink.tenants import repository
from dsnlink.tenants.errors import ApiKeyRevoked, LastAdminKey
from dsnlink.tenants.models import ApiKey, Role, User
from dsnlink.tenants.schemas import Principal
from dsnlink.tenants.service import (
    _issue_api_key,
    get_tenant_by_reference_or_raise,
    require_admin,
)


def revoke_api_key(
    session: Session, *, principal: Principal, key_id: uuid.UUID, clock: Clock
) -> ApiKey:
    require_admin(principal)
    # Serialise the tenant's revocations: two at once must not both pass the last-key check.
    repository.lock_tenant(session, principal.tenant_id)
    key = repository.get_api_key(session, tenant_id=principal.tenant_id, key_id=key_id)
    if key is None:
        raise NotFoundError(f"no API key {key_id}", api_key_id=str(key_id))
    session.refresh(key)
    if key.revoked_at is not None:
        raise ApiKeyRevoked(f"API key {key_id} is already revoked", api_key_id=str(key_id))
    now = clock.now()
    if _is_admin_key(session, key, now=now) and not any(
        other.id != key.id and _is_admin_key(session, other, now=now)
        for other in repository.list_api_keys(session, tenant_id=principal.tenant_id)
    ):
        raise LastAdminKey(
            f"API key {key_id} is the tenant's last administration key: create another key with "
            "the admin scope before revoking this one",
            api_key_id=str(key_id),
        )
    key.revoked_at = now
    session.add(key)
    session.flush()
    return key


def _is_admin_key(session: Session, key: ApiKey, *, now: datetime) -> bool:
    """A live key that can administer the tenant: admin scope, owned by a present admin."""
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return False
    if key.scopes is not None and "admin" not in key.scopes:
        return False
    owner = session.get(User, key.user_id)
    return owner is not None and owner.removed_at is None and Role(owner.role).is_admin


def issue_api_key(
    session: Session,
    *,
    tenant_reference: str,
    email: str | None,
    name: str,
    scopes: Sequence[str] | None,
    expires_at: datetime | None,
    secret: str,
    clock: Clock,
) -> tuple[ApiKey, str]:
    """The operator's `dsnlink tenant issue-key`: a key for a tenant's user (by default its
    oldest present administrator)."""
    tenant = get_tenant_by_reference_or_raise(session, reference=tenant_reference)
    users = list(repository.list_active_users(session, tenant_id=tenant.id))
    if email is not None:
        chosen = [u for u in users if u.email == email.strip().lower()]
    else:
        chosen = [u for u in users if Role(u.role).is_admin]
    if not chosen:
        raise NotFoundError(
            f"no user {email} in tenant {tenant.name}" if email else f"tenant {tenant.name} has "
            "no administrator",
            email=email,
        )
    return _issue_api_key(
        session,
        tenant=tenant,
        user=chosen[0],
        name=name,
        secret=secret,
        clock=clock,
        scopes=scopes,
        expires_at=expires_at,
    )
