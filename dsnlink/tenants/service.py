"""Rules of the tenant model: activation, administrators, API keys, companies, declarants."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from dsnlink.clock import Clock
from dsnlink.contract import service as contract_service
from dsnlink.contract.offerings import DEFAULT_OFFERING_ID, get_offering
from dsnlink.errors import InputError, NotFoundError
from dsnlink.inputs import is_storable
from dsnlink.observability import ratelimit
from dsnlink.security import apikeys
from dsnlink.security.keys import Keyring
from dsnlink.tenants import passwords, repository
from dsnlink.tenants.errors import (
    AdministratorRequired,
    AlreadyExists,
    ApiKeyRevoked,
    AuthenticationRequired,
    CompanyScopeForAdministrator,
    ExternalAdministratorExists,
    InvalidSiren,
    InvalidSiret,
    LastAdministrator,
    TenantNotActivated,
    TooManySignInAttempts,
)
from dsnlink.tenants.models import (
    AdministratorChange,
    AdministratorChangeKind,
    ApiKey,
    Company,
    Declarant,
    Establishment,
    Formula,
    Role,
    Tenant,
    User,
)
from dsnlink.tenants.schemas import (
    CompanyCreate,
    CompanyRead,
    CompanyUpdate,
    DeclarantCreate,
    DeclarantRead,
    EstablishmentCreate,
    EstablishmentRead,
    Principal,
    TenantRead,
    UserRead,
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
    return contract_service.tenant_limit(
        session, tenant=tenant, name=contract_service.PAYSLIP_LIMIT
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


def authenticate(session: Session, *, raw_key: str | None, secret: str, clock: Clock) -> Principal:
    """The principal an API key acts as; records the key's last use."""
    if not raw_key:
        raise AuthenticationRequired("send an API key: Authorization: Bearer <key>")
    prefix = apikeys.parse_prefix(raw_key)
    key = repository.get_api_key_by_prefix(session, prefix) if prefix else None
    if key is None or not apikeys.key_matches(raw_key, key.key_hash, secret=secret):
        raise AuthenticationRequired("unknown API key")
    if key.revoked_at is not None:
        raise AuthenticationRequired("this API key has been revoked", api_key_id=str(key.id))
    user = session.get(User, key.user_id)
    if user is None or user.removed_at is not None:
        raise AuthenticationRequired("the user owning this API key was removed")
    key.last_used_at = clock.now()
    session.add(key)
    return _principal_of(session, user, api_key_id=key.id)


def _principal_of(session: Session, user: User, *, api_key_id: uuid.UUID | None) -> Principal:
    scope = repository.list_user_company_ids(session, user_id=user.id)
    return Principal(
        tenant_id=user.tenant_id,
        user_id=user.id,
        role=Role(user.role),
        api_key_id=api_key_id,
        company_ids=frozenset(scope) if scope else None,
    )


SIGN_IN_ATTEMPTS_PER_MINUTE = 10


def throttle_sign_in(session: Session, *, client: str, email: str | None, clock: Clock) -> None:
    """Count a sign-in attempt from `client` (and for `email`); refuse past the limit.

    Both counters live in the shared rate-limit table, so every replica sees the same figures:
    guessing one account's password from many addresses, or many accounts from one address,
    is slowed down alike.
    """
    subjects = [f"signin:ip:{client}"[:80]]
    if email and is_storable(email):
        subjects.append(f"signin:email:{email.strip().lower()}"[:80])
    for subject in subjects:
        decision = ratelimit.hit(
            session, subject=subject, limit=SIGN_IN_ATTEMPTS_PER_MINUTE, now=clock.now()
        )
        if not decision.allowed:
            raise TooManySignInAttempts(
                f"too many sign-in attempts; retry in {decision.retry_after} s",
                retry_after=decision.retry_after,
            )


def sign_in_with_password(
    session: Session, *, email: str, password: str, tenant_name: str | None = None
) -> tuple[Principal, str]:
    """The principal of the active user with this e-mail and password, and its session stamp.

    An e-mail is unique per tenant only: when it signs in to several tenants with the same
    password, the tenant's name must be given.
    """
    if not is_storable(email) or (tenant_name and not is_storable(tenant_name)):
        raise AuthenticationRequired("unknown e-mail address or wrong password")
    candidates = [
        user
        for user in repository.list_active_users_by_email(session, email=email.strip())
        if user.password_hash is not None
    ]
    if tenant_name:
        tenant = repository.get_tenant_by_name(session, tenant_name.strip())
        candidates = [u for u in candidates if tenant is not None and u.tenant_id == tenant.id]
    if not candidates:
        passwords.verify_password(password, None)
    matching = [u for u in candidates if passwords.verify_password(password, u.password_hash)]
    if not matching:
        raise AuthenticationRequired("unknown e-mail address or wrong password")
    if len(matching) > 1:
        raise AuthenticationRequired(
            "this e-mail address signs in to several clients: give the client's name",
            tenant_required=True,
        )
    user = matching[0]
    return _principal_of(session, user, api_key_id=None), passwords.session_stamp(
        user.password_hash
    )


def resume_session(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    api_key_id: uuid.UUID | None,
    stamp: str | None,
) -> Principal:
    """The principal of a dashboard session, checked again on every request: a removed user, a
    revoked key or a changed password ends the session."""
    user = repository.get_user(session, tenant_id=tenant_id, user_id=user_id)
    if user is None or user.removed_at is not None:
        raise AuthenticationRequired("this session's user was removed")
    if api_key_id is not None:
        key = repository.get_api_key(session, tenant_id=tenant_id, key_id=api_key_id)
        if key is None or key.revoked_at is not None or key.user_id != user.id:
            raise AuthenticationRequired("this session's API key was revoked")
    elif stamp != passwords.session_stamp(user.password_hash) or user.password_hash is None:
        raise AuthenticationRequired("the password changed since this session began")
    return _principal_of(session, user, api_key_id=api_key_id)


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
        get_company_or_raise(session, tenant_id=tenant_id, company_id=company_id)
    return unique


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
    require_admin(principal)
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
    contract_service.check_limit(
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
    """Change a user's company scope (an empty list lifts it) and/or dashboard password."""
    require_admin(principal)
    user = repository.get_user(session, tenant_id=principal.tenant_id, user_id=user_id)
    if user is None or user.removed_at is not None:
        raise NotFoundError(f"no user {user_id}", user_id=str(user_id))
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
    """Remove a user and revoke their keys; the last SaaS administrator stays."""
    require_admin(principal)
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
    session: Session, *, tenant: Tenant, user: User, name: str, secret: str, clock: Clock
) -> tuple[ApiKey, str]:
    new = apikeys.generate_key(secret=secret)
    now = clock.now()
    key = ApiKey(
        tenant_id=tenant.id,
        user_id=user.id,
        name=name,
        prefix=new.prefix,
        key_hash=new.hash,
        created_at=now,
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
) -> tuple[ApiKey, str]:
    """A new key (returned once in clear) acting as `user_id`, by default the caller."""
    require_admin(principal)
    owner = repository.get_user(
        session, tenant_id=principal.tenant_id, user_id=user_id or principal.user_id
    )
    if owner is None or owner.removed_at is not None:
        raise NotFoundError(f"no user {user_id}", user_id=str(user_id))
    tenant = get_tenant_or_raise(session, tenant_id=principal.tenant_id)
    return _issue_api_key(session, tenant=tenant, user=owner, name=name, secret=secret, clock=clock)


def list_api_keys(session: Session, *, principal: Principal) -> Sequence[ApiKey]:
    require_admin(principal)
    return repository.list_api_keys(session, tenant_id=principal.tenant_id)


def revoke_api_key(
    session: Session, *, principal: Principal, key_id: uuid.UUID, clock: Clock
) -> ApiKey:
    require_admin(principal)
    key = repository.get_api_key(session, tenant_id=principal.tenant_id, key_id=key_id)
    if key is None:
        raise NotFoundError(f"no API key {key_id}", api_key_id=str(key_id))
    if key.revoked_at is not None:
        raise ApiKeyRevoked(f"API key {key_id} is already revoked", api_key_id=str(key_id))
    key.revoked_at = clock.now()
    session.add(key)
    session.flush()
    return key


# --- companies and establishments ----------------------------------------------------------------


def check_siren(siren: str) -> str:
    if not (re.fullmatch(r"\d{9}", siren) and stdnum_siren.is_valid(siren)):
        raise InvalidSiren(f"SIREN {siren} is not valid (wrong check digit)", siren=siren)
    return siren


def check_siret(siret: str) -> str:
    """A SIRET's key, La Poste's (SIREN 356000000: digit sum a multiple of 5) included."""
    if not (re.fullmatch(r"\d{14}", siret) and stdnum_siret.is_valid(siret)):
        raise InvalidSiret(f"SIRET {siret} is not valid (wrong check digit)", siret=siret)
    return siret


def _describe_company(company: Company, establishments: Sequence[Establishment]) -> CompanyRead:
    return CompanyRead(
        id=company.id,
        siren=company.siren,
        name=company.name,
        due_day=company.due_day,
        declarant_id=company.declarant_id,
        establishments=[
            EstablishmentRead(id=e.id, nic=e.nic, siret=e.siret, name=e.name)
            for e in establishments
            if e.company_id == company.id
        ],
        created_at=company.created_at,
    )


def _add_establishments(
    session: Session, *, company: Company, items: Sequence[EstablishmentCreate], clock: Clock
) -> None:
    seen: set[str] = set()
    for item in items:
        siret = check_siret(company.siren + item.nic)
        if siret in seen or repository.get_establishment_by_siret(
            session, tenant_id=company.tenant_id, siret=siret
        ):
            raise AlreadyExists(f"establishment {siret} is already registered", siret=siret)
        seen.add(siret)
        session.add(
            Establishment(
                tenant_id=company.tenant_id,
                company_id=company.id,
                nic=item.nic,
                siret=siret,
                name=item.name,
                created_at=clock.now(),
            )
        )


def _check_declarant(
    session: Session, *, tenant_id: uuid.UUID, declarant_id: uuid.UUID | None
) -> None:
    if declarant_id is not None and not repository.get_declarant(
        session, tenant_id=tenant_id, declarant_id=declarant_id
    ):
        raise NotFoundError(f"no declarant {declarant_id}", declarant_id=str(declarant_id))


def register_company(
    session: Session, *, principal: Principal, data: CompanyCreate, clock: Clock
) -> CompanyRead:
    require_admin(principal)
    check_siren(data.siren)
    existing = repository.get_company_by_siren(
        session, tenant_id=principal.tenant_id, siren=data.siren
    )
    if existing is not None:
        raise AlreadyExists(
            f"company {data.siren} is already registered",
            siren=data.siren,
            company_id=str(existing.id),
        )
    contract_service.check_limit(
        session,
        tenant_id=principal.tenant_id,
        name="companies",
        count_after=len(repository.list_companies(session, tenant_id=principal.tenant_id)) + 1,
    )
    _check_declarant(session, tenant_id=principal.tenant_id, declarant_id=data.declarant_id)
    company = Company(
        tenant_id=principal.tenant_id,
        siren=data.siren,
        name=data.name,
        due_day=data.due_day,
        declarant_id=data.declarant_id,
        created_at=clock.now(),
    )
    session.add(company)
    session.flush()
    _add_establishments(session, company=company, items=data.establishments, clock=clock)
    session.flush()
    return _describe_company(
        company, repository.list_establishments(session, company_ids=[company.id])
    )


def list_companies(session: Session, *, principal: Principal) -> list[CompanyRead]:
    """The companies the principal may see (every company of the tenant unless restricted)."""
    companies = repository.list_companies(
        session, tenant_id=principal.tenant_id, company_ids=principal.company_ids
    )
    establishments = repository.list_establishments(session, company_ids=[c.id for c in companies])
    return [_describe_company(c, establishments) for c in companies]


def get_company_or_raise(
    session: Session, *, tenant_id: uuid.UUID, company_id: uuid.UUID
) -> Company:
    company = repository.get_company(session, tenant_id=tenant_id, company_id=company_id)
    if company is None:
        raise NotFoundError(f"no company {company_id}", company_id=str(company_id))
    return company


def read_company(session: Session, *, principal: Principal, company_id: uuid.UUID) -> CompanyRead:
    company = get_company_or_raise(session, tenant_id=principal.tenant_id, company_id=company_id)
    if not principal.may_see(company.id):
        # Outside a restricted user's scope: answered exactly like another tenant's company.
        raise NotFoundError(f"no company {company_id}", company_id=str(company_id))
    return _describe_company(
        company, repository.list_establishments(session, company_ids=[company.id])
    )


def update_company(
    session: Session,
    *,
    principal: Principal,
    company_id: uuid.UUID,
    data: CompanyUpdate,
    clock: Clock,
) -> CompanyRead:
    require_admin(principal)
    company = get_company_or_raise(session, tenant_id=principal.tenant_id, company_id=company_id)
    if data.name is not None:
        company.name = data.name
    if data.due_day is not None:
        company.due_day = data.due_day
    if "declarant_id" in data.model_fields_set:
        _check_declarant(session, tenant_id=principal.tenant_id, declarant_id=data.declarant_id)
        company.declarant_id = data.declarant_id
    session.add(company)
    _add_establishments(session, company=company, items=data.establishments, clock=clock)
    session.flush()
    return _describe_company(
        company, repository.list_establishments(session, company_ids=[company.id])
    )


def find_establishment(
    session: Session, *, tenant_id: uuid.UUID, siret: str
) -> Establishment | None:
    return repository.get_establishment_by_siret(session, tenant_id=tenant_id, siret=siret)


# --- declarants ----------------------------------------------------------------------------------


def create_declarant(
    session: Session,
    *,
    principal: Principal,
    data: DeclarantCreate,
    keyring: Keyring,
    clock: Clock,
) -> DeclarantRead:
    """A net-entreprises identity; its names and password are kept encrypted with the master
    keys."""
    require_admin(principal)
    check_siret(data.siret)
    declarant = Declarant(
        tenant_id=principal.tenant_id,
        siret=data.siret,
        nom_encrypted=keyring.encrypt_text(data.nom),
        prenom_encrypted=keyring.encrypt_text(data.prenom),
        password_encrypted=keyring.encrypt_text(data.password.get_secret_value()),
        created_at=clock.now(),
    )
    session.add(declarant)
    session.flush()
    return describe_declarant(declarant, keyring=keyring)


def list_declarants(
    session: Session, *, principal: Principal, keyring: Keyring
) -> list[DeclarantRead]:
    require_admin(principal)
    return [
        describe_declarant(d, keyring=keyring)
        for d in repository.list_declarants(session, tenant_id=principal.tenant_id)
    ]


def declarant_names(declarant: Declarant, *, keyring: Keyring) -> tuple[str, str]:
    """The declarant's nom and prénom in clear."""
    return (
        keyring.decrypt_text(declarant.nom_encrypted),
        keyring.decrypt_text(declarant.prenom_encrypted),
    )


def describe_declarant(declarant: Declarant, *, keyring: Keyring) -> DeclarantRead:
    nom, prenom = declarant_names(declarant, keyring=keyring)
    return DeclarantRead(
        id=declarant.id,
        siret=declarant.siret,
        nom=nom,
        prenom=prenom,
        created_at=declarant.created_at,
    )


def declarant_password(declarant: Declarant, *, keyring: Keyring) -> str:
    """The declarant's net-entreprises password in clear, for the transmission client only."""
    return keyring.decrypt_text(declarant.password_encrypted)


def reencrypt_declarant_passwords(session: Session, *, keyring: Keyring) -> int:
    """Re-encrypt every declarant's password and names with the newest master key; returns how
    many declarants."""

    def rotated(token: str) -> str:
        return keyring.rotate(token.encode("ascii")).decode("ascii")

    count = 0
    for declarant in repository.all_declarants(session):
        declarant.password_encrypted = rotated(declarant.password_encrypted)
        declarant.nom_encrypted = rotated(declarant.nom_encrypted)
        declarant.prenom_encrypted = rotated(declarant.prenom_encrypted)
        session.add(declarant)
        count += 1
    session.flush()
    return count
