"""Workers probing at the same moment: one probe row, one incident, no error."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from dsnlink.service_status import service as service_status
from dsnlink.service_status.models import Component, ComponentProbe, IncidentRecord

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
WORKERS = 4


def test_simultaneous_failed_probes_open_a_single_incident(db_engine: Engine) -> None:
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def probe() -> None:
        try:
            start.wait()
            with Session(db_engine) as session:
                service_status.record_probe(
                    session, component=Component.DEPOSIT_POINT, ok=False, at=T0, detail="503"
                )
                session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=probe) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    with Session(db_engine) as session:
        probes = session.exec(select(ComponentProbe)).all()
        incidents = session.exec(select(IncidentRecord)).all()
    assert errors == []
    assert [(p.component, p.ok) for p in probes] == [("deposit_point", False)]
    assert [(i.cause, i.end) for i in incidents] == [("third_party", None)]
