"""The returns inbox: the deposit point's and organisms' returns of our flows, polled, stored
sealed and applied to their declarations' statuses.

One listing of the concentrator covers every flow (in windows the client splits), so the cost does
not grow with the number of flows followed; a cursor remembers how far the listing was read.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from dsnlink.declarations import timeline
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.deposit_point.records import (
    ParsedReturn,
    ReportKind,
    ReturnRecord,
)
from dsnlink.deposit_point.reports import parse_return
from dsnlink.errors import NotFoundError, TransmissionError
from dsnlink.resources import schema_path
from dsnlink.security.keys import Keyring
from dsnlink.transmission import repository
from dsnlink.transmission.context import (
    RECONCILE_LOOKBACK,
    TransmissionContext,
)
from dsnlink.transmission.models import (
    DepositedFlow,
    DepositReturn,
)
from dsnlink.transmission.protocol import MAX_EVENT_ANOMALIES, anomaly_dict

logger = logging.getLogger(__name__)


# Statuses a nature-11 return may move a declaration out of (an overwrite may flip CCO/BAN).
_BILAN_MOVABLE = frozenset(
    {
        DeclarationStatus.DEPOSITED,
        DeclarationStatus.RECONCILING,
        DeclarationStatus.TRANSMITTING,
        DeclarationStatus.CONFORM,
        DeclarationStatus.ANOMALIES,
    }
)


def poll_returns(ctx: TransmissionContext) -> int:
    """Read the concentrator's returns listing up to `now - lag` and store what is new.

    One listing covers every flow (in ≤10-min windows the client splits), so the cost does not
    grow with the number of flows followed. The cursor only moves once everything listed up to
    it is stored: a failed download is fetched again next time. Returns how many were stored.
    """
    stored = 0
    with ctx.sessions() as session:
        now = ctx.clock.now()
        until = now - ctx.policy.returns_lag
        for flow in repository.flows_deposited_before(
            session, before=now - ctx.policy.returns_follow
        ):
            flow.settled_at = now
            session.add(flow)
        flows = {f.idflux: f for f in repository.followed_flows(session)}
        cursor = repository.get_cursor(session)
        if not flows:
            repository.move_cursor(session, cursor, until)
            session.commit()
            return 0
        oldest = min(f.deposited_at for f in flows.values()) - RECONCILE_LOOKBACK
        start = oldest if cursor is None else cursor.listed_until
        # A flow recorded late (reconciled after a crash) may have returns the cursor has passed.
        late = [
            f.idflux
            for f in flows.values()
            if cursor is not None
            and f.deposited_at - RECONCILE_LOOKBACK < cursor.listed_until
            and not repository.has_returns(session, f.idflux)
        ]
        session.commit()
        for idflux in late:
            try:
                stored += refresh_flow_returns(ctx, idflux=idflux)
            except TransmissionError as exc:
                logger.warning("returns of flow %s: %s", idflux, exc)
        if until <= start:
            return stored
        try:
            records = ctx.client.list_returns_for_concentrator(start, until)
        except TransmissionError as exc:
            logger.warning("returns listing failed: %s", exc)
            return stored
        for record in sorted(records, key=lambda r: (r.published_at is None, r.published_at)):
            followed = flows.get(record.idflux)
            if followed is None or not record.return_id or not record.nature:
                continue
            try:
                if store_return(session, ctx, flow=followed, record=record):
                    stored += 1
                session.commit()
            except IntegrityError:
                session.rollback()  # another worker's poller stored this version first
            except TransmissionError as exc:
                session.rollback()
                logger.warning(
                    "return %s of %s not stored yet: %s", record.return_id, record.idflux, exc
                )
                return stored
        repository.move_cursor(session, repository.get_cursor(session), until)
        session.commit()
    return stored


def refresh_flow_returns(ctx: TransmissionContext, *, idflux: str) -> int:
    """On demand: the returns of one flow (lister-retours-flux), stored like the poller does."""
    with ctx.sessions() as session:
        flow = session.get(DepositedFlow, idflux)
        if flow is None:
            raise NotFoundError(f"no deposited flow {idflux}", idflux=idflux)
        stored = 0
        for record in ctx.client.list_flow_returns(idflux):
            try:
                if (
                    record.return_id
                    and record.nature
                    and store_return(session, ctx, flow=flow, record=record)
                ):
                    stored += 1
                session.commit()
            except IntegrityError:
                session.rollback()  # another worker's poller stored this version first
        return stored


def store_return(
    session: Session, ctx: TransmissionContext, *, flow: DepositedFlow, record: ReturnRecord
) -> bool:
    """Download, parse (XSD-checked) and upsert one listed return; move the declaration's status.

    Returns False when the stored version is already this one.
    """
    assert record.nature is not None and record.return_id is not None
    ops = record.ops or ""
    existing = repository.get_return_slot(
        session, idflux=record.idflux, nature=record.nature, ops=ops
    )
    if (
        existing is not None
        and existing.return_id == record.return_id
        and existing.published_at == record.published_at
        and existing.status == record.status
    ):
        return False
    downloaded = ctx.client.download_return(record.idflux, record.return_id, url=record.url)
    parsed = parse_return(downloaded.content, nature=record.nature)
    now = ctx.clock.now()
    row = existing or DepositReturn(
        declaration_id=flow.declaration_id,
        idflux=record.idflux,
        nature=record.nature,
        ops=ops,
        return_id=record.return_id,
        downloaded_at=now,
        xml_sealed=b"",
        parsed_sealed=b"",
        versions=0,
    )
    row.return_id = record.return_id
    row.status = record.status or (parsed.status.value if parsed.status else None)
    row.kind = parsed.kind.value
    row.label = return_label(record.nature, parsed)
    row.published_at = record.published_at
    row.produced_at = record.produced_at
    row.downloaded_at = now
    row.versions += 1
    row.schema_valid = parsed.schema_valid
    # Returns name employees (BAN values, DGFiP NIRs, BIS identifications): sealed at rest.
    row.xml_sealed = ctx.keyring.encrypt(downloaded.content)
    row.parsed_sealed = ctx.keyring.seal_json(_jsonable(parsed))
    session.add(row)
    declaration = session.get(Declaration, flow.declaration_id)
    if declaration is not None:
        _apply_return(session, declaration, flow, row, parsed, now, keyring=ctx.keyring)
    session.flush()
    return True


def _apply_return(
    session: Session,
    declaration: Declaration,
    flow: DepositedFlow,
    row: DepositReturn,
    parsed: ParsedReturn,
    at: datetime,
    *,
    keyring: Keyring,
) -> None:
    current = DeclarationStatus(declaration.status)
    target = current
    if parsed.kind is ReportKind.ARE:
        target = DeclarationStatus.REFUSED_BY_DEPOSIT_POINT
        flow.settled_at = at
        session.add(flow)
    elif parsed.kind is ReportKind.CCO and current in _BILAN_MOVABLE:
        target = DeclarationStatus.CONFORM
    elif parsed.kind is ReportKind.BAN and current in _BILAN_MOVABLE:
        target = DeclarationStatus.ANOMALIES
        if any(a.blocking for a in parsed.all_anomalies):
            flow.settled_at = at  # a blocking bilan: no body will answer
            session.add(flow)
    anomalies = [anomaly_dict(a) for a in parsed.all_anomalies][:MAX_EVENT_ANOMALIES]
    timeline.advance(
        session,
        declaration,
        target,
        at=at,
        detail_sealed=keyring.seal_json({"anomalies": anomalies}) if anomalies else None,
        return_id=row.return_id,
        nature=row.nature,
        label=row.label,
        ops=row.ops or None,
        return_status=row.status,
        idflux=row.idflux,
        version=row.versions,
        crm_code=parsed.crm_code,
    )


@lru_cache(maxsize=1)
def transcodification() -> dict[str, Any]:
    path = schema_path("netentreprises", "transcodification.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def return_label(nature: str, parsed: ParsedReturn | None = None) -> str | None:
    """The human label of a return (from schemas/netentreprises/transcodification.json)."""
    kinds = {
        ReportKind.AEE: "Accusé d'enregistrement électronique (AEE)",
        ReportKind.ARE: "Avis de rejet d'envoi (ARE)",
        ReportKind.CCO: "Certificat de conformité (CCO)",
        ReportKind.BAN: "Bilan d'anomalies (BAN)",
    }
    if parsed is not None and parsed.kind in kinds:
        return kinds[parsed.kind]
    label: str | None = transcodification().get("return_natures", {}).get(nature)
    return label


def _jsonable(parsed: ParsedReturn) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(parsed), default=str))
    return data


def reseal_returns(session: Session, *, keyring: Keyring) -> int:
    """Re-encrypt the sealed returns and refused attempts' anomalies with the newest master key;
    returns how many values were re-encrypted."""
    count = 0
    for row in repository.all_returns(session):
        row.xml_sealed = keyring.rotate(row.xml_sealed)
        row.parsed_sealed = keyring.rotate(row.parsed_sealed)
        session.add(row)
        count += 2
    for attempt in repository.attempts_with_sealed_detail(session):
        assert attempt.detail_sealed is not None
        attempt.detail_sealed = keyring.rotate(attempt.detail_sealed)
        session.add(attempt)
        count += 1
    session.flush()
    return count
