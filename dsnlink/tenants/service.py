"""Rules of the tenant model: activation, administrators, API keys, companies, declarants."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.errors import InputError, NotFoundError
from dsnlink.inputs import is_storable
from dsnlink.security import apikeys, ratelimit
from dsnlink.sla.offerings import DEFAULT_OFFERING_ID, get_offering
from dsnlink.tenants import limits, passwords, repository
from dsnlink.tenants.errors import (
    ActingAsAnotherAdministrator,
    AdministratorRequired,
    AlreadyExists,
    AuthenticationRequired,
    CompanyScopeForAdministrator,
    ExternalAdministratorExists,
    LastAdministrator,
    TenantNotActivated,
)
from dsnlink.tenants.models import (
    AdministratorChange,
    AdministratorChangeKind,
    ApiKey,
    Formula,
    Role,
    Tenant,
    User,
)
from dsnlink.tenants.schemas import (
    Principal,
    TenantRead,
    UserRead,
)
from dsnlink.tenants.signin import (
    principal_of,
)

# --- tenants -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedTenant:
    tenant: Tenant
    admin: User
    api_key: str | None
    """The activation key, shown once; None when the tenant was created without one."""


def create_tenant(
    session: Session,
    *,
    name: str,
    admin_email: str,
    offering: str = DEFAULT_OFFERING_ID,
    formula: str = Formula.OPEN,
    with_key: bool = True,
    secret: str,
    clock: Clock,
) -> CreatedTenant:
    """A tenant, its first SaaS administrator and, unless told otherwise, its activation key."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InputError("a tenant name has 1 to 200 characters")
    admin_email = admin_email.strip().lower()
    if not re.fullmatch(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+", admin_email) or not is_storable(
        admin_email
    ):
        raise InputError(f"{admin_email!r} is not an e-mail address")
    if formula not in set(Formula):
        raise InputError(f"formula must be one of {', '.join(Formula)}", formula=formula)
    get_offering(offering)
    if repository.get_tenant_by_name(session, name) is not None:
        raise AlreadyExists(f"a tenant named {name!r} already exists", name=name)
    now = clock.now()
    tenant = Tenant(name=name, offering=offering, formula=formula, created_at=now)
    session.add(tenant)
    session.flush()
    admin = User(tenant_id=tenant.id, email=admin_email, role=Role.SAAS_ADMIN, created_at=now)
    session.add(admin)
    session.flush()
    _record_administrator_change(
        session, user=admin, kind=AdministratorChangeKind.GRANTED, by=None, clock=clock
    )
    plaintext = None
    if with_key:
        _, plaintext = _issue_api_key(
            session, tenant=tenant, user=admin, name="activation", secret=secret, clock=clock
        )
    return CreatedTenant(tenant=tenant, admin=admin, api_key=plaintext)


def list_tenants(session: Session) -> Sequence[Tenant]:
    return repository.list_tenants(session)


def get_tenant_by_reference_or_raise(session: Session, *, reference: str) -> Tenant:
    """A tenant named by its id or its name (operator commands)."""
    tenant = None
    with contextlib.suppress(ValueError):
        tenant = repository.get_tenant(session, uuid.UUID(reference))
    tenant = tenant or repository.get_tenant_by_name(session, reference)
    if tenant is None:
        raise NotFoundError(f"no tenant {reference!r}", tenant=reference)
    return tenant


def get_tenant_or_raise(session: Session, *, tenant_id: uuid.UUID) -> Tenant:
    tenant = repository.get_tenant(session, tenant_id)
    if tenant is None:
        raise NotFoundError(f"no tenant {tenant_id}", tenant_id=str(tenant_id))
    return tenant


def payslip_limit(session: Session, *, tenant: Tenant) -> int | None:
    """Payslips allowed per company per year: the operator's override, else the offering's."""
    return limits.tenant_limit(
        session, tenant=tenant, name=limits.PAYSLIP_LIMIT
    )


def describe_tenant(session: Session, *, tenant: Tenant) -> TenantRead:
    return TenantRead(
        id=tenant.id,
        name=tenant.name,
        offering=tenant.offering,
        formula=Formula(tenant.formula),
        payslips_per_company_per_year=payslip_limit(session, tenant=tenant),
        created_at=tenant.created_at,
        activated_at=tenant.activated_at,
    )


def read_tenant(session: Session, *, principal: Principal) -> TenantRead:
    tenant = get_tenant_or_raise(session, tenant_id=principal.tenant_id)
    return describe_tenant(session, tenant=tenant)


def require_activated(session: Session, *, tenant_id: uuid.UUID) -> Tenant:
    """The tenant, if it has been activated; nothing is transmitted for it before that."""
    tenant = get_tenant_or_raise(session, tenant_id=tenant_id)
    if tenant.activated_at is None:
        raise TenantNotActivated(
            "the tenant is not activated: generate its first DSN Link API key first",
            tenant_id=str(tenant_id),
        )
    return tenant


# --- authentication ------------------------------------------------------------------------------


def verified_api_key(session: Session, *, raw_key: str, secret: str) -> ApiKey | None:
    """The stored key `raw_key` is, if its secret part matches (revoked or not); else None."""
    prefix = apikeys.parse_prefix(raw_key)
    key = repository.get_api_key_by_prefix(session, prefix) if prefix else None
    if key is None or not apikeys.key_matches(raw_key, key.key_hash, secret=secret):
        return None
    return key


def rate_limit_subject(
    session: Session, *, raw_key: str | None, client: str, secret: str
) -> str:
    """Whose quota a request counts against: a verified key's own, else its address's.

    A request with a wrong or unknown key counts against the address it came from, never
    against the key whose prefix it borrows: junk sent with a victim's prefix cannot use up
    the victim's quota.
    """
    key = verified_api_key(session, raw_key=raw_key, secret=secret) if raw_key else None
    if key is not None:
        return ratelimit.subject_digest("key", str(key.id), secret=secret)
    return ratelimit.subject_digest("ip", client, secret=secret)


def authenticate(session: Session, *, raw_key: str | None, secret: str, clock: Clock) -> Principal:
    """The principal an API key acts as; records the key's last use."""
    if not raw_key:
        raise AuthenticationRequired("send an API key: Authorization: Bearer <key>")
    key = verified_api_key(session, raw_key=raw_key, secret=secret)
    if key is None:
        raise AuthenticationRequired("unknown API key")
    if key.revoked_at is not None:
        raise AuthenticationRequired("this API key has been revoked", api_key_id=str(key.id))
    now = clock.now()
    if key.expires_at is not None and now >= key.expires_at:
        raise AuthenticationRequired(
            f"this API key expired at {key.expires_at.isoformat()}",
            api_key_id=str(key.id),
            expired_at=key.expires_at,
        )
    user = session.get(User, key.user_id)
    if user is None or user.removed_at is not None:
        raise AuthenticationRequired("the user owning this API key was removed")
    key.last_used_at = now
    session.add(key)
    principal = principal_of(session, user, api_key_id=key.id)
    if key.scopes is None:
        return principal
    return dataclasses.replace(principal, scopes=frozenset(key.scopes))


def require_admin(principal: Principal) -> None:
    if not principal.role.is_admin:
        raise AdministratorRequired(
            "only the tenant's SaaS administrators may do this", role=str(principal.role)
        )


# --- users ---------------------------------------------------------------------------------------


def _record_administrator_change(
    session: Session,
    *,
    user: User,
    kind: AdministratorChangeKind,
    by: uuid.UUID | None,
    clock: Clock,
) -> None:
    session.add(
        AdministratorChange(
            tenant_id=user.tenant_id,
            user_id=user.id,
            kind=kind,
            role=user.role,
            changed_by_user_id=by,
            changed_at=clock.now(),
        )
    )


def _check_company_scope(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    role: Role,
    company_ids: Sequence[uuid.UUID],
) -> list[uuid.UUID]:
    """Distinct companies of the tenant; an administrator cannot be restricted (they manage
    users and keys, so a restriction would be a formality)."""
    if company_ids and role.is_admin:
        raise CompanyScopeForAdministrator(
            "administrators see every company: only users with the role `user` can be "
            "restricted to companies",
            role=str(role),
        )
    unique = list(dict.fromkeys(company_ids))
    for company_id in unique:
        if repository.get_company(session, tenant_id=tenant_id, company_id=company_id) is None:
            raise NotFoundError(f"no company {company_id}", company_id=str(company_id))
    return unique


def _lock_as_admin(session: Session, *, principal: Principal) -> User:
    """Lock the caller's tenant, then check again that the caller is still an administrator:
    a concurrent request may have removed them while this one waited for the lock."""
    require_admin(principal)
    repository.lock_tenant(session, principal.tenant_id)
    caller = repository.get_user(session, tenant_id=principal.tenant_id, user_id=principal.user_id)
    if caller is not None:
        session.refresh(caller)
    if caller is None or caller.removed_at is not None or not Role(caller.role).is_admin:
        raise AuthenticationRequired("the caller was removed or is no longer an administrator")
    return caller


def create_user(
    session: Session,
    *,
    principal: Principal,
    email: str,
    role: Role,
    clock: Clock,
    company_ids: Sequence[uuid.UUID] = (),
    password: str | None = None,
) -> User:
    _lock_as_admin(session, principal=principal)
    scope = _check_company_scope(
        session, tenant_id=principal.tenant_id, role=role, company_ids=company_ids
    )
    if password is not None:
        passwords.check_strength(password)
    if role is Role.EXTERNAL_SAAS_ADMIN and repository.count_active_with_role(
        session, tenant_id=principal.tenant_id, role=role
    ):
        raise ExternalAdministratorExists("a tenant has at most one external administrator")
    user = repository.get_user_by_email(session, tenant_id=principal.tenant_id, email=email)
    if user is not None and user.removed_at is None:
        raise AlreadyExists(f"a user {email} already exists", email=email, user_id=str(user.id))
    limits.check_limit(
        session,
        tenant_id=principal.tenant_id,
        name="users",
        count_after=len(repository.list_active_users(session, tenant_id=principal.tenant_id)) + 1,
    )
    if user is None:
        user = User(tenant_id=principal.tenant_id, email=email, role=role, created_at=clock.now())
    else:
        user.role, user.removed_at = role, None
    user.password_hash = passwords.hash_password(password) if password is not None else None
    session.add(user)
    session.flush()
    repository.replace_user_companies(session, user_id=user.id, company_ids=scope)
    if role.is_admin:
        _record_administrator_change(
            session,
            user=user,
            kind=AdministratorChangeKind.GRANTED,
            by=principal.user_id,
            clock=clock,
        )
    return user


def update_user(
    session: Session,
    *,
    principal: Principal,
    user_id: uuid.UUID,
    company_ids: Sequence[uuid.UUID] | None = None,
    password: str | None = None,
) -> User:
    """Change a user's company scope (an empty list lifts it) and/or dashboard password.

    An administrator sets their own password or a user's, never another administrator's: that
    would let them sign in as that administrator.
    """
    require_admin(principal)
    user = repository.get_user(session, tenant_id=principal.tenant_id, user_id=user_id)
    if user is None or user.removed_at is not None:
        raise NotFoundError(f"no user {user_id}", user_id=str(user_id))
    if password is not None and user.id != principal.user_id and Role(user.role).is_admin:
        raise ActingAsAnotherAdministrator(
            "an administrator cannot set another administrator's password: they set their own",
            user_id=str(user.id),
        )
    if company_ids is not None:
        scope = _check_company_scope(
            session, tenant_id=user.tenant_id, role=Role(user.role), company_ids=company_ids
        )
        repository.replace_user_companies(session, user_id=user.id, company_ids=scope)
    if password is not None:
        _set_password(session, user=user, password=password)
    return user


def _set_password(session: Session, *, user: User, password: str) -> None:
    passwords.check_strength(password)
    user.password_hash = passwords.hash_password(password)
    session.add(user)
    session.flush()


def set_password(session: Session, *, tenant_reference: str, email: str, password: str) -> User:
    """The operator sets a user's dashboard password (`dsnlink user set-password`)."""
    tenant = get_tenant_by_reference_or_raise(session, reference=tenant_reference)
    user = repository.get_user_by_email(session, tenant_id=tenant.id, email=email)
    if user is None or user.removed_at is not None:
        raise NotFoundError(f"no user {email} in tenant {tenant.name}", email=email)
    _set_password(session, user=user, password=password)
    return user


def describe_user(session: Session, user: User) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        role=Role(user.role),
        company_ids=repository.list_user_company_ids(session, user_id=user.id),
        has_password=user.password_hash is not None,
        created_at=user.created_at,
    )


def user_emails(
    session: Session, *, principal: Principal, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """E-mails of the tenant's users, to say who did what in a timeline."""
    users = repository.list_users_by_id(
        session, tenant_id=principal.tenant_id, user_ids=set(user_ids)
    )
    return {user.id: user.email for user in users}


def list_users(session: Session, *, principal: Principal) -> Sequence[User]:
    require_admin(principal)
    return repository.list_active_users(session, tenant_id=principal.tenant_id)


def remove_user(
    session: Session, *, principal: Principal, user_id: uuid.UUID, clock: Clock
) -> None:
    """Remove a user and revoke their keys; the last SaaS administrator stays (checked under
    the tenant's lock, so two administrators removing each other cannot both succeed)."""
    _lock_as_admin(session, principal=principal)
    user = repository.get_user(session, tenant_id=principal.tenant_id, user_id=user_id)
    if user is None or user.removed_at is not None:
        raise NotFoundError(f"no user {user_id}", user_id=str(user_id))
    if user.role == Role.SAAS_ADMIN and (
        repository.count_active_with_role(session, tenant_id=user.tenant_id, role=Role.SAAS_ADMIN)
        <= 1
    ):
        raise LastAdministrator(
            "the last SaaS administrator cannot be removed: name another one first",
            user_id=str(user.id),
        )
    now = clock.now()
    user.removed_at = now
    session.add(user)
    for key in repository.list_live_api_keys_of_user(session, user_id=user.id):
        key.revoked_at = now
        session.add(key)
    if Role(user.role).is_admin:
        _record_administrator_change(
            session,
            user=user,
            kind=AdministratorChangeKind.REVOKED,
            by=principal.user_id,
            clock=clock,
        )
    session.flush()


def list_administrator_changes(
    session: Session, *, principal: Principal
) -> Sequence[AdministratorChange]:
    require_admin(principal)
    return repository.list_administrator_changes(session, tenant_id=principal.tenant_id)


# --- API keys ------------------------------------------------------------------------------------


def _issue_api_key(
    session: Session,
    *,
    tenant: Tenant,
    user: User,
    name: str,
    secret: str,
    clock: Clock,
    created_by: uuid.UUID | None = None,
    scopes: Sequence[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    new = apikeys.generate_key(secret=secret)
    now = clock.now()
    if expires_at is not None and expires_at <= now:
        raise InputError(
            "an API key must expire in the future", field="expires_at", expires_at=expires_at
        )
    key = ApiKey(
        tenant_id=tenant.id,
        user_id=user.id,
        created_by_user_id=created_by or user.id,
        name=name,
        prefix=new.prefix,
        key_hash=new.hash,
        created_at=now,
        scopes=sorted(set(scopes)) if scopes is not None else None,
        expires_at=expires_at,
    )
    session.add(key)
    if tenant.activated_at is None:
        # Mise en service: the tenant's first DSN Link API key activates it.
        tenant.activated_at = now
        session.add(tenant)
    session.flush()
    return key, new.plaintext


def create_api_key(
    session: Session,
    *,
    principal: Principal,
    name: str,
    user_id: uuid.UUID | None,
    secret: str,
    clock: Clock,
    scopes: Sequence[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key (returned once in clear) acting as `user_id`, by default the caller, with
    optional scopes (default: all) and expiry (default: never).

    The key records who minted it. A key acting as another administrator is refused: it would
    let one administrator act under another's name.
    """
    require_admin(principal)
    owner = repository.get_user(
        session, tenant_id=principal.tenant_id, user_id=user_id or principal.user_id
    )
    if owner is None or owner.removed_at is not None:
        raise NotFoundError(f"no user {user_id}", user_id=str(user_id))
    if owner.id != principal.user_id and Role(owner.role).is_admin:
        raise ActingAsAnotherAdministrator(
            "an administrator cannot create a key acting as another administrator: each "
            "administrator creates their own",
            user_id=str(owner.id),
        )
    tenant = get_tenant_or_raise(session, tenant_id=principal.tenant_id)
    return _issue_api_key(
        session,
        tenant=tenant,
        user=owner,
        name=name,
        secret=secret,
        clock=clock,
        created_by=principal.user_id,
        scopes=scopes,
        expires_at=expires_at,
    )


def list_api_keys(session: Session, *, principal: Principal) -> Sequence[ApiKey]:
    require_admin(principal)
    return repository.list_api_keys(session, tenant_id=principal.tenant_id)
