"""PostgreSQL wake-ups of the workers through pgqueuer, enqueued inside the caller's transaction.

`SessionSyncDriver` runs pgqueuer's enqueue on the SQLAlchemy session's own psycopg connection,
so the order, the job row and the wake-up commit or vanish together (pgqueuer's own
`SyncPsycopgDriver` insists on autocommit, which would commit the wake-up on its own). The
consumers are in dsnlink.transmission.pgqueue.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

ENTRYPOINT = "transmit"


class SessionSyncDriver:
    """pgqueuer's SyncDriver over the psycopg connection of a SQLAlchemy session (no autocommit)."""

    def __init__(self, session: Session) -> None:
        self._connection: Any = session.connection().connection.driver_connection

    def fetch(self, query: str, *args: object) -> list[dict[str, object]]:
        from psycopg import RawCursor
        from psycopg.rows import dict_row

        with RawCursor(self._connection, row_factory=dict_row) as cursor:
            cursor.execute(query, args or None)
            return cursor.fetchall()


def enqueue_wakeup(session: Session, *, job_id: uuid.UUID, order: str = "first") -> None:
    """Wake a worker for this transmission job when the session's transaction commits."""
    from pgqueuer.queries import SyncQueries

    SyncQueries(SessionSyncDriver(session)).enqueue(
        ENTRYPOINT, job_id.bytes, dedupe_key=f"transmit:{job_id}:{order}"
    )
