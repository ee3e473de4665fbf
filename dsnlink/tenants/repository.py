"""Queries of the tenant model; every query that reads a tenant's data filters on its tenant_id."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from dsnlink.tenants.models import (
    AdministratorChange,
    ApiKey,
    Company,
    Declarant,
    Establishment,
    Tenant,
    TenantLimit,
    User,
    UserCompany,
)


def get_tenant(session: Session, tenant_id: uuid.UUID) -> Tenant | None:
    return session.get(Tenant, tenant_id)


def get_tenant_by_name(session: Session, name: str) -> Tenant | None:
    return session.exec(select(Tenant).where(Tenant.name == name)).first()


def list_tenants(session: Session) -> Sequence[Tenant]:
    return session.exec(select(Tenant).order_by(col(Tenant.created_at), col(Tenant.name))).all()


def get_user(session: Session, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.tenant_id == tenant_id else None


def get_user_by_email(session: Session, *, tenant_id: uuid.UUID, email: str) -> User | None:
    return session.exec(
        select(User).where(User.tenant_id == tenant_id, func.lower(User.email) == email.lower())
    ).first()


def list_active_users(session: Session, *, tenant_id: uuid.UUID) -> Sequence[User]:
    return session.exec(
        select(User)
        .where(User.tenant_id == tenant_id, col(User.removed_at).is_(None))
        .order_by(col(User.created_at), col(User.email))
    ).all()


def count_active_with_role(session: Session, *, tenant_id: uuid.UUID, role: str) -> int:
    return session.exec(
        select(func.count())
        .select_from(User)
        .where(User.tenant_id == tenant_id, User.role == role, col(User.removed_at).is_(None))
    ).one()


def list_administrator_changes(
    session: Session, *, tenant_id: uuid.UUID
) -> Sequence[AdministratorChange]:
    return session.exec(
        select(AdministratorChange)
        .where(AdministratorChange.tenant_id == tenant_id)
        .order_by(col(AdministratorChange.changed_at))
    ).all()


def get_api_key_by_prefix(session: Session, prefix: str) -> ApiKey | None:
    return session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()


def get_api_key(session: Session, *, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    key = session.get(ApiKey, key_id)
    return key if key is not None and key.tenant_id == tenant_id else None


def list_api_keys(session: Session, *, tenant_id: uuid.UUID) -> Sequence[ApiKey]:
    return session.exec(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(col(ApiKey.created_at))
    ).all()


def list_live_api_keys_of_user(session: Session, *, user_id: uuid.UUID) -> Sequence[ApiKey]:
    return session.exec(
        select(ApiKey).where(ApiKey.user_id == user_id, col(ApiKey.revoked_at).is_(None))
    ).all()


def get_company(session: Session, *, tenant_id: uuid.UUID, company_id: uuid.UUID) -> Company | None:
    company = session.get(Company, company_id)
    return company if company is not None and company.tenant_id == tenant_id else None


def get_company_by_siren(session: Session, *, tenant_id: uuid.UUID, siren: str) -> Company | None:
    return session.exec(
        select(Company).where(Company.tenant_id == tenant_id, Company.siren == siren)
    ).first()


def list_companies(
    session: Session, *, tenant_id: uuid.UUID, company_ids: Collection[uuid.UUID] | None = None
) -> Sequence[Company]:
    """The tenant's companies; only those in `company_ids` when given (a restricted user)."""
    query = select(Company).where(Company.tenant_id == tenant_id)
    if company_ids is not None:
        query = query.where(col(Company.id).in_(list(company_ids)))
    return session.exec(query.order_by(col(Company.name), col(Company.siren))).all()


def list_user_company_ids(session: Session, *, user_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.exec(select(UserCompany.company_id).where(UserCompany.user_id == user_id)).all()
    )


def replace_user_companies(
    session: Session, *, user_id: uuid.UUID, company_ids: Collection[uuid.UUID]
) -> None:
    for row in session.exec(select(UserCompany).where(UserCompany.user_id == user_id)).all():
        session.delete(row)
    session.flush()
    for company_id in company_ids:
        session.add(UserCompany(user_id=user_id, company_id=company_id))
    session.flush()


def list_active_users_by_email(session: Session, *, email: str) -> Sequence[User]:
    """Active users with this e-mail, in every tenant (the dashboard's sign-in)."""
    return session.exec(
        select(User)
        .where(func.lower(User.email) == email.lower(), col(User.removed_at).is_(None))
        .order_by(col(User.created_at))
    ).all()


def list_users_by_id(
    session: Session, *, tenant_id: uuid.UUID, user_ids: Collection[uuid.UUID]
) -> Sequence[User]:
    if not user_ids:
        return []
    return session.exec(
        select(User).where(User.tenant_id == tenant_id, col(User.id).in_(list(user_ids)))
    ).all()


def list_establishments(
    session: Session, *, company_ids: Sequence[uuid.UUID]
) -> Sequence[Establishment]:
    if not company_ids:
        return []
    return session.exec(
        select(Establishment)
        .where(col(Establishment.company_id).in_(company_ids))
        .order_by(col(Establishment.siret))
    ).all()


def get_establishment(
    session: Session, *, tenant_id: uuid.UUID, establishment_id: uuid.UUID
) -> Establishment | None:
    found = session.get(Establishment, establishment_id)
    return found if found is not None and found.tenant_id == tenant_id else None


def get_establishment_by_siret(
    session: Session, *, tenant_id: uuid.UUID, siret: str
) -> Establishment | None:
    return session.exec(
        select(Establishment).where(
            Establishment.tenant_id == tenant_id, Establishment.siret == siret
        )
    ).first()


def get_declarant(
    session: Session, *, tenant_id: uuid.UUID, declarant_id: uuid.UUID
) -> Declarant | None:
    declarant = session.get(Declarant, declarant_id)
    return declarant if declarant is not None and declarant.tenant_id == tenant_id else None


def list_declarants(session: Session, *, tenant_id: uuid.UUID) -> Sequence[Declarant]:
    return session.exec(
        select(Declarant)
        .where(Declarant.tenant_id == tenant_id)
        .order_by(col(Declarant.created_at))
    ).all()


def all_declarants(session: Session) -> Sequence[Declarant]:
    return session.exec(select(Declarant).order_by(col(Declarant.id))).all()


# --- limits --------------------------------------------------------------------------------------


def get_tenant_limit(session: Session, *, tenant_id: uuid.UUID, name: str) -> TenantLimit | None:
    return session.get(TenantLimit, (tenant_id, name))


def lock_tenant(session: Session, *, tenant_id: uuid.UUID) -> None:
    """Hold the tenant's row until the transaction ends (a no-op write: a row lock on
    PostgreSQL, the write lock on SQLite), so checks across its rows are serialised."""
    session.exec(sa.update(Tenant).where(col(Tenant.id) == tenant_id).values(name=Tenant.name))
