"""Idempotency keys: a retried request with the same key gets the original answer.

The first request with a key inserts its row (under a savepoint) before doing anything; a
concurrent twin collides on the unique constraint, waits for the first one's transaction and
then reads the answer it stored. A key is kept `KEPT` (24 h); the same key with another request
(another body or query) is refused. Only successful answers are kept: a refused request stores
nothing (its transaction rolls back), so sending it again is simply trying again.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from dsnlink.declarations.errors import IdempotencyKeyReused
from dsnlink.declarations.models import IdempotencyKey
from dsnlink.errors import InputError
from dsnlink.security.keys import Keyring

KEPT = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredAnswer:
    """The answer given to the first request with this key."""

    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class IdempotencyRequest:
    """A request that carries an Idempotency-Key: which route, which key, which request."""

    key: str
    scope: str
    fingerprint: str


def fingerprint(*parts: str | bytes) -> str:
    """SHA-256 over the parts that make a request what it is (body hash, query...)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InputError(
            f"the Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters",
            field="Idempotency-Key",
            max_length=MAX_KEY_LENGTH,
        )
    return key


def _find(
    session: Session, *, tenant_id: uuid.UUID, request: IdempotencyRequest
) -> IdempotencyKey | None:
    return session.exec(
        select(IdempotencyKey).where(
            IdempotencyKey.tenant_id == tenant_id,
            IdempotencyKey.scope == request.scope,
            IdempotencyKey.key == request.key,
        )
    ).first()


def _answer(row: IdempotencyKey, *, request: IdempotencyRequest, keyring: Keyring) -> StoredAnswer:
    if row.fingerprint != request.fingerprint:
        raise IdempotencyKeyReused(
            f"the Idempotency-Key {request.key!r} was already used with another request in the "
            "last 24 hours: use a new key for a new request",
            idempotency_key=request.key,
        )
    body: dict[str, Any] = keyring.open_json(row.response_sealed) if row.response_sealed else {}
    return StoredAnswer(status_code=row.status_code or 200, body=body)


def claim(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    request: IdempotencyRequest,
    keyring: Keyring,
    now: datetime,
) -> tuple[IdempotencyKey | None, StoredAnswer | None]:
    """Either the stored answer of an earlier request with this key (replay), or the new row this
    request owns and must `complete`; raises IdempotencyKeyReused for another request."""
    session.exec(delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) <= now))
    existing = _find(session, tenant_id=tenant_id, request=request)
    if existing is not None:
        return None, _answer(existing, request=request, keyring=keyring)
    row = IdempotencyKey(
        tenant_id=tenant_id,
        scope=request.scope,
        key=request.key,
        fingerprint=request.fingerprint,
        created_at=now,
        expires_at=now + KEPT,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # A concurrent twin inserted it first; its transaction is over now: read its answer.
        winner = _find(session, tenant_id=tenant_id, request=request)
        if winner is None or winner.status_code is None:
            raise IdempotencyKeyReused(
                f"a request with the Idempotency-Key {request.key!r} is being processed: "
                "try again in a moment",
                idempotency_key=request.key,
            ) from None
        return None, _answer(winner, request=request, keyring=keyring)
    return row, None


def complete(
    session: Session,
    row: IdempotencyKey,
    *,
    status_code: int,
    body: dict[str, Any],
    keyring: Keyring,
) -> None:
    """Store the answer of the request that owns `row` (same transaction as its effects)."""
    row.status_code = status_code
    row.response_sealed = keyring.seal_json(body)
    session.add(row)
    session.flush()


def reseal_answers(session: Session, *, keyring: Keyring) -> int:
    """Re-encrypt the kept answers with the newest master key; returns how many."""
    rows = session.exec(
        select(IdempotencyKey).where(col(IdempotencyKey.response_sealed).is_not(None))
    ).all()
    count = keyring.reseal(rows, "response_sealed")
    session.flush()
    return count
