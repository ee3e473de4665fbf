"""Signing in to the dashboard and its sessions: password check, throttle and back-off,
session stamps and the server-side session version that sign-out moves on."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.inputs import is_storable
from dsnlink.security import ratelimit
from dsnlink.tenants import passwords, repository
from dsnlink.tenants.errors import AuthenticationRequired, TooManySignInAttempts
from dsnlink.tenants.models import Role, User
from dsnlink.tenants.schemas import Principal


def principal_of(session: Session, user: User, *, api_key_id: uuid.UUID | None) -> Principal:
    scope = repository.list_user_company_ids(session, user_id=user.id)
    return Principal(
        tenant_id=user.tenant_id,
        user_id=user.id,
        role=Role(user.role),
        api_key_id=api_key_id,
        company_ids=frozenset(scope) if scope else None,
    )


SIGN_IN_ATTEMPTS_PER_MINUTE = 10


def _sign_in_pair(*, client: str, email: str, secret: str) -> str:
    return ratelimit.subject_digest(
        "signin-pair", f"{client}\0{email.strip().lower()}", secret=secret
    )


def throttle_sign_in(
    session: Session, *, client: str, email: str | None, secret: str, clock: Clock
) -> None:
    """Count a sign-in attempt from `client`; refuse past the address's limit or while this
    (address, e-mail) pair is backing off after repeated failures.

    There is no lock-out per e-mail: wrong passwords sent from one address slow down that
    address only, so a guesser cannot keep the account's owner out. Counters live in the
    database, so every replica sees the same figures.
    """
    now = clock.now()
    decision = ratelimit.hit(
        session,
        subject=ratelimit.subject_digest("signin-ip", client, secret=secret),
        limit=SIGN_IN_ATTEMPTS_PER_MINUTE,
        now=now,
    )
    if not decision.allowed:
        raise TooManySignInAttempts(
            f"too many sign-in attempts; retry in {decision.retry_after} s",
            retry_after=decision.retry_after,
        )
    if email and is_storable(email):
        wait = ratelimit.backoff_wait(
            session, subject=_sign_in_pair(client=client, email=email, secret=secret), now=now
        )
        if wait:
            raise TooManySignInAttempts(
                f"too many failed sign-ins; retry in {wait} s", retry_after=wait
            )


def record_sign_in(
    session: Session, *, client: str, email: str, succeeded: bool, secret: str, clock: Clock
) -> None:
    """A password sign-in's outcome: a failure lengthens the pair's back-off, a success ends it."""
    if not is_storable(email):
        return
    subject = _sign_in_pair(client=client, email=email, secret=secret)
    if succeeded:
        ratelimit.backoff_clear(session, subject=subject)
    else:
        ratelimit.backoff_failure(session, subject=subject, now=clock.now())


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
    return principal_of(session, user, api_key_id=None), session_stamp(user)


def session_stamp(user: User) -> str:
    """What a dashboard session remembers of its user: a new password or a sign-out changes it."""
    return f"{passwords.session_stamp(user.password_hash)}.{user.session_version}"


def key_session_stamp(session: Session, *, principal: Principal) -> str:
    """What a dashboard session opened with an API key remembers: the user's session version."""
    user = repository.get_user(session, tenant_id=principal.tenant_id, user_id=principal.user_id)
    return str(user.session_version if user is not None else 0)


def end_sessions(session: Session, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Sign-out: every dashboard session of this user stops working (server-side version)."""
    user = repository.get_user(session, tenant_id=tenant_id, user_id=user_id)
    if user is None:
        return
    user.session_version += 1
    session.add(user)
    session.flush()


def resume_session(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    api_key_id: uuid.UUID | None,
    stamp: str | None,
) -> Principal:
    """The principal of a dashboard session, checked again on every request: a removed user, a
    revoked key, a changed password or a sign-out (the user's session version) ends it."""
    user = repository.get_user(session, tenant_id=tenant_id, user_id=user_id)
    if user is None or user.removed_at is not None:
        raise AuthenticationRequired("this session's user was removed")
    if api_key_id is not None:
        key = repository.get_api_key(session, tenant_id=tenant_id, key_id=api_key_id)
        if key is None or key.revoked_at is not None or key.user_id != user.id:
            raise AuthenticationRequired("this session's API key was revoked")
        if stamp != str(user.session_version):
            raise AuthenticationRequired("this session was ended by a sign-out")
    elif stamp != session_stamp(user) or user.password_hash is None:
        raise AuthenticationRequired("the password changed or the session was signed out")
    return principal_of(session, user, api_key_id=api_key_id)
