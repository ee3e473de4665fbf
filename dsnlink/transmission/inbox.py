"""The returns inbox: the deposit point's and organisms' returns of our flows, polled, stored
sealed and applied to their declarations.

One listing of the concentrator covers every flow (in windows the client splits), so the cost does
not grow with the number of flows followed; a cursor remembers how far the listing was read.

Nothing stalls it: every listed return is read with `deposit_point.returns.read_return` (all
three official families and plain text; it never raises) and a return that cannot be read — bad
XML, a DTD, an unknown root, purged (404), larger than the limit once decompressed — is stored
raw, **quarantined** with the reason (`readable` false), and an operator alert goes to the log,
the metrics and the status page; the poller moves on. Only a deposit point that does not answer
(5xx, unreachable) stops a cycle, and the cursor waits for it; a return failing that way in
`MAX_TRANSIENT_FAILURES` cycles in a row is quarantined too.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from dsnlink.declarations import timeline
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.deposit_point.records import ReturnRecord
from dsnlink.deposit_point.returns import (
    DeclarationOutcome,
    ReturnDocument,
    ReturnKind,
    declaration_outcome,
    read_return,
    to_dict,
)
from dsnlink.deposit_point.returns.labels import KIND_LABELS, nature_label
from dsnlink.errors import NotFoundError, TransientTransmissionError, TransmissionError
from dsnlink.security.keys import Keyring
from dsnlink.service_status.models import Component
from dsnlink.service_status.service import raise_alert
from dsnlink.transmission import repository
from dsnlink.transmission.context import RECONCILE_LOOKBACK, TransmissionContext
from dsnlink.transmission.models import DepositedFlow, DepositReturn
from dsnlink.transmission.protocol import MAX_EVENT_ANOMALIES, anomaly_dict

logger = logging.getLogger(__name__)

MAX_TRANSIENT_FAILURES = 3

# What a bilan or an ARE does to the declaration (CRMs and the rest leave its status alone).
_OUTCOME_STATUS: dict[DeclarationOutcome, DeclarationStatus] = {
    DeclarationOutcome.REFUSED_BY_DEPOSIT_POINT: DeclarationStatus.REFUSED_BY_DEPOSIT_POINT,
    DeclarationOutcome.CONFORM: DeclarationStatus.CONFORM,
    DeclarationOutcome.REJECTED_BY_DEPOSIT_POINT: DeclarationStatus.REJECTED_BY_DEPOSIT_POINT,
}
# Returns better named by their kind than by their nature (nature 10 is AEE or ARE...).
_KINDS_NAMED = frozenset({ReturnKind.AEE, ReturnKind.ARE, ReturnKind.CCO, ReturnKind.BAN})
_CRM_OUTCOMES = frozenset(
    {DeclarationOutcome.CRM_OK, DeclarationOutcome.CRM_ANOMALIES, DeclarationOutcome.CRM_KO}
)


def poll_returns(ctx: TransmissionContext) -> int:
    """Read the concentrator's returns listing up to `now - lag` and store what is new; returns
    how many were stored (quarantined ones included)."""
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
            except TransientTransmissionError as exc:
                # The deposit point does not answer: stop here, the cursor waits for it.
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
    """Download, read and upsert one listed return (quarantined when it cannot be read); apply
    it to its declaration. Returns False when the stored version is already this one; raises
    only TransientTransmissionError (the deposit point does not answer: try again later)."""
    assert record.nature is not None and record.return_id is not None
    ops, delegataire = record.ops or "", record.delegataire or ""
    existing = repository.get_return_slot(
        session, idflux=record.idflux, nature=record.nature, ops=ops, delegataire=delegataire
    )
    if (
        existing is not None
        and existing.return_id == record.return_id
        and existing.published_at == record.published_at
        and existing.status == record.status
    ):
        return False
    content, failure = _download(ctx, record)
    document = (
        read_return(content, nature=record.nature, name=record.return_id)
        if failure is None
        else ReturnDocument(readable=False, error=failure, nature=record.nature)
    )
    now = ctx.clock.now()
    row = existing or DepositReturn(
        declaration_id=flow.declaration_id,
        idflux=record.idflux,
        nature=record.nature,
        ops=ops,
        delegataire=delegataire,
        return_id=record.return_id,
        downloaded_at=now,
        xml_sealed=b"",
        parsed_sealed=b"",
        versions=0,
    )
    row.return_id = record.return_id
    row.status = record.status or (document.status.value if document.status else None)
    row.kind = document.kind.value
    row.label = return_label(record.nature, document)
    row.organism = document.organism
    row.crm_code = document.crm_code
    row.published_at = record.published_at
    row.produced_at = record.produced_at
    row.downloaded_at = now
    row.versions += 1
    row.schema_valid = document.schema_valid
    row.readable = document.readable
    row.error = document.error
    # Returns name employees (BAN values, DGFiP NIRs, BIS identifications): sealed at rest.
    row.xml_sealed = ctx.keyring.encrypt(content)
    row.parsed_sealed = ctx.keyring.seal_json(_jsonable(document))
    session.add(row)
    declaration = session.get(Declaration, flow.declaration_id)
    if not document.readable:
        _quarantined(session, ctx, row, now)
    if declaration is not None:
        _apply_return(session, declaration, flow, row, document, now, keyring=ctx.keyring)
    session.flush()
    return True


def _download(ctx: TransmissionContext, record: ReturnRecord) -> tuple[bytes, str | None]:
    """The return's bytes, or why they cannot be had. A permanent failure (purged, refused, too
    large) is a reason; a transient one is raised, unless it keeps failing."""
    assert record.return_id is not None
    key = (record.idflux, record.return_id)
    try:
        downloaded = ctx.client.download_return(record.idflux, record.return_id, url=record.url)
    except TransientTransmissionError as exc:
        ctx.return_failures[key] = ctx.return_failures.get(key, 0) + 1
        if ctx.return_failures[key] < MAX_TRANSIENT_FAILURES:
            raise
        return b"", f"téléchargement impossible après {MAX_TRANSIENT_FAILURES} cycles : {exc}"
    except TransmissionError as exc:
        return b"", f"téléchargement refusé par le point de dépôt : {exc}"
    ctx.return_failures.pop(key, None)
    return downloaded.content, None


def _quarantined(
    session: Session, ctx: TransmissionContext, row: DepositReturn, at: datetime
) -> None:
    """The operator's alert: an error log line, the metric of quarantined returns (counted from
    the table), and the status page's "Collecte des retours" component."""
    logger.error(
        "return %s (nature %s) of flow %s quarantined: %s",
        row.return_id,
        row.nature,
        row.idflux,
        row.error,
        extra={"idflux": row.idflux, "return_id": row.return_id},
    )
    raise_alert(
        session,
        component=Component.RETURNS,
        at=at,
        detail=f"retour {row.return_id} (nature {row.nature}) illisible, mis en quarantaine",
    )


def _apply_return(
    session: Session,
    declaration: Declaration,
    flow: DepositedFlow,
    row: DepositReturn,
    document: ReturnDocument,
    at: datetime,
    *,
    keyring: Keyring,
) -> None:
    """One timeline event per stored version: the status moves for an ARE or a bilan, stays for
    the rest (the event says what arrived); a CRM's verdict is kept per organism."""
    current = DeclarationStatus(declaration.status)
    outcome = declaration_outcome(document)
    target = _OUTCOME_STATUS.get(outcome, current) if outcome else current
    if outcome is DeclarationOutcome.CONFORM and document.anomalies:
        target = DeclarationStatus.ANOMALIES  # a CCO listing non-blocking anomalies
    if not timeline.may_advance(current, target):
        target = current
    if target in {
        DeclarationStatus.REFUSED_BY_DEPOSIT_POINT,
        DeclarationStatus.REJECTED_BY_DEPOSIT_POINT,
    }:
        flow.settled_at = at  # refused or rejected: no organism will answer
        session.add(flow)
    if outcome in _CRM_OUTCOMES:
        organisms = dict(declaration.organisms or {})
        organisms[row.organism or row.ops or f"nature {row.nature}"] = {
            "status": str(outcome).removeprefix("crm_").upper().replace("ANOMALIES", "ANO"),
            "crm_code": row.crm_code,
            "nature": row.nature,
            "label": row.label,
            "return_id": row.return_id,
            "at": at.isoformat(),
        }
        declaration.organisms = organisms
    anomalies = [anomaly_dict(a) for a in document.anomalies][:MAX_EVENT_ANOMALIES]
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
        delegataire=row.delegataire or None,
        organism=row.organism,
        return_status=row.status,
        idflux=row.idflux,
        version=row.versions,
        crm_code=row.crm_code,
        quarantined=None if row.readable else row.error,
    )


def return_label(nature: str, document: ReturnDocument | None = None) -> str | None:
    """The French label of a return: its kind when the document says (AEE, BAN...), else its
    nature's official label."""
    if document is not None and document.readable and document.kind in _KINDS_NAMED:
        label = KIND_LABELS[document.kind]
        return label[0].upper() + label[1:]
    return nature_label(nature)


def _jsonable(document: ReturnDocument) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(to_dict(document), default=str))
    return data


def reseal_returns(session: Session, *, keyring: Keyring) -> int:
    """Re-encrypt the sealed returns and refused attempts' anomalies with the newest master key;
    returns how many values were re-encrypted."""
    count = keyring.reseal(repository.all_returns(session), "xml_sealed", "parsed_sealed")
    count += keyring.reseal(repository.attempts_with_sealed_detail(session), "detail_sealed")
    session.flush()
    return count
