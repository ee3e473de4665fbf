"""The one owner of a declaration's status: every change goes through `advance`, which checks the
transition against `TRANSITIONS` (docs/statuses.md) and writes the timeline event with it.

An event may also be recorded without a change (`to` equal to the current status: a new return
of the deposit point for a declaration already `conform`, for instance); any other move that the
table does not list raises `IllegalTransition` and changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from dsnlink.declarations.errors import IllegalTransition
from dsnlink.declarations.models import Declaration, DeclarationEvent, DeclarationStatus

S = DeclarationStatus

# Where each status may go next (docs/statuses.md, "next" column).
TRANSITIONS: dict[DeclarationStatus, frozenset[DeclarationStatus]] = {
    S.RECEIVED: frozenset({S.VALIDATED, S.REJECTED}),
    S.VALIDATED: frozenset({S.ORDERED}),
    S.REJECTED: frozenset(),
    S.ORDERED: frozenset(
        {S.TRANSMITTING, S.WAITING_FOR_DEPOSIT_POINT, S.RECONCILING, S.TRANSMISSION_FAILED}
    ),
    S.TRANSMITTING: frozenset(
        {
            S.DEPOSITED,
            S.REFUSED_BY_DEPOSIT_POINT,
            S.WAITING_FOR_DEPOSIT_POINT,
            S.RECONCILING,
            S.TRANSMISSION_FAILED,
            S.CONFORM,
            S.ANOMALIES,
            S.REJECTED_BY_DEPOSIT_POINT,
        }
    ),
    S.WAITING_FOR_DEPOSIT_POINT: frozenset(
        {
            S.TRANSMITTING,
            S.RECONCILING,
            S.DEPOSITED,
            S.REFUSED_BY_DEPOSIT_POINT,
            S.TRANSMISSION_FAILED,
        }
    ),
    S.RECONCILING: frozenset(
        {
            S.DEPOSITED,
            S.REFUSED_BY_DEPOSIT_POINT,
            S.TRANSMITTING,
            S.TRANSMISSION_FAILED,
            S.CONFORM,
            S.ANOMALIES,
            S.REJECTED_BY_DEPOSIT_POINT,
        }
    ),
    # A later version of the bilan may flip CCO and BAN; an ARE ends everything; a flow adopted
    # by reconciliation that the deposit point answered to another declaration sends this one
    # back to reconciling.
    S.DEPOSITED: frozenset(
        {
            S.CONFORM,
            S.ANOMALIES,
            S.REJECTED_BY_DEPOSIT_POINT,
            S.REFUSED_BY_DEPOSIT_POINT,
            S.RECONCILING,
        }
    ),
    S.CONFORM: frozenset(
        {S.ANOMALIES, S.REJECTED_BY_DEPOSIT_POINT, S.REFUSED_BY_DEPOSIT_POINT, S.RECONCILING}
    ),
    S.ANOMALIES: frozenset(
        {S.CONFORM, S.REJECTED_BY_DEPOSIT_POINT, S.REFUSED_BY_DEPOSIT_POINT, S.RECONCILING}
    ),
    S.REJECTED_BY_DEPOSIT_POINT: frozenset(
        {S.CONFORM, S.ANOMALIES, S.REFUSED_BY_DEPOSIT_POINT, S.RECONCILING}
    ),
    S.REFUSED_BY_DEPOSIT_POINT: frozenset(),
    # Only a new order (a user's or the operator's) follows a failed transmission.
    S.TRANSMISSION_FAILED: frozenset({S.ORDERED}),
}


class Actor(Protocol):
    """Who caused a step (a signed-in user, through an API key or not); None for the worker."""

    @property
    def user_id(self) -> uuid.UUID: ...

    @property
    def api_key_id(self) -> uuid.UUID | None: ...


def may_advance(current: DeclarationStatus | str, to: DeclarationStatus) -> bool:
    """Whether `advance` would accept this move (staying put records an event, and is allowed)."""
    current = DeclarationStatus(current)
    return to is current or to in TRANSITIONS[current]


def begin(
    session: Session, declaration: Declaration, *, at: datetime, by: Actor | None, **detail: Any
) -> None:
    """The first event of a new declaration: it was received."""
    declaration.status = DeclarationStatus.RECEIVED
    declaration.status_changed_at = at
    session.add(declaration)
    _record(session, declaration, DeclarationStatus.RECEIVED, at=at, by=by, detail=detail)


def advance(
    session: Session,
    declaration: Declaration,
    to: DeclarationStatus,
    *,
    at: datetime,
    by: Actor | None = None,
    detail_sealed: bytes | None = None,
    **detail: Any,
) -> None:
    """Move the declaration to `to` and add its timeline event (`detail_sealed`: the detail's
    personal part, already sealed); raises IllegalTransition for a move the table forbids."""
    current = DeclarationStatus(declaration.status)
    if not may_advance(current, to):
        raise IllegalTransition(
            f"a declaration {current} cannot become {to}",
            declaration_id=str(declaration.id),
            current_status=str(current),
            requested_status=str(to),
        )
    if to is not current:
        declaration.status_changed_at = at
    declaration.status = to
    session.add(declaration)
    _record(session, declaration, to, at=at, by=by, detail=detail, detail_sealed=detail_sealed)


def _record(
    session: Session,
    declaration: Declaration,
    status: DeclarationStatus,
    *,
    at: datetime,
    by: Actor | None,
    detail: dict[str, Any],
    detail_sealed: bytes | None = None,
) -> None:
    session.add(
        DeclarationEvent(
            declaration_id=declaration.id,
            status=status,
            at=at,
            user_id=by.user_id if by else None,
            api_key_id=by.api_key_id if by else None,
            detail={k: v for k, v in detail.items() if v is not None},
            detail_sealed=detail_sealed,
        )
    )
