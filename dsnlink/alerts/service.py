"""Alert rules: who is told, of what, when; and the sending of what was decided.

Deciding and sending are separate steps. `collect_*` write `alert` rows (once per dedupe key,
enforced by a unique constraint, so any number of workers may run them); `send_pending` claims
each row with a guarded UPDATE, talks to the SMTP server outside any transaction, and records the
outcome. A mail is never sent twice by two workers, and a failed one is tried again later.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlmodel import Session

from dsnlink.alerts import repository
from dsnlink.alerts.mailer import Mailer, MailNotSent
from dsnlink.alerts.models import Alert, AlertKind, AlertSettings, Delivery
from dsnlink.clock import Clock
from dsnlink.config import Settings
from dsnlink.db import SessionFactory, unit_of_work
from dsnlink.declarations import monthly
from dsnlink.declarations.models import Declaration, DeclarationEvent, DeclarationStatus
from dsnlink.errors import InputError
from dsnlink.tenants import repository as tenants_repository
from dsnlink.tenants.models import Role
from dsnlink.tenants.schemas import Principal
from dsnlink.tenants.service import require_admin

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
MAX_RECIPIENTS = 20
MAX_CUTOFF_WARNINGS = 4
# An event older than this when first seen (alerts switched on later) is not mailed about.
STALE_EVENT = timedelta(hours=24)
CLAIM_FOR = timedelta(minutes=5)
MAX_EVENT_BATCHES = 20
EMAIL_RE = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
# A declaration's status as the e-mail says it (the dashboard has the same words).
STATUS_WORDS = {
    DeclarationStatus.RECEIVED: "reçue, en cours de contrôle",
    DeclarationStatus.VALIDATED: "validée mais pas encore transmise (ordonnez la transmission)",
    DeclarationStatus.REJECTED: "rejetée par les contrôles de la norme",
    DeclarationStatus.ORDERED: "transmission ordonnée",
    DeclarationStatus.TRANSMITTING: "transmission en cours",
    DeclarationStatus.WAITING_FOR_DEPOSIT_POINT: "en attente du point de dépôt",
    DeclarationStatus.RECONCILING: "vérification du dépôt en cours",
    DeclarationStatus.REFUSED_BY_DEPOSIT_POINT: "refusée par le point de dépôt (ARE)",
    DeclarationStatus.REJECTED_BY_DEPOSIT_POINT: "rejetée par le point de dépôt (BAN)",
    DeclarationStatus.TRANSMISSION_FAILED: "échec de transmission",
}
KIND_LABELS = {
    AlertKind.CUTOFF: "Heure limite proche",
    AlertKind.ARE: "Refus du point de dépôt (ARE)",
    AlertKind.BAN: "Rejet par le point de dépôt (BAN)",
    AlertKind.CRM_KO: "Compte rendu d'organisme KO",
    AlertKind.TRANSMISSION_FAILED: "Échec de transmission",
}
DELIVERY_LABELS = {
    Delivery.PENDING: "en attente d'envoi",
    Delivery.SENDING: "envoi en cours",
    Delivery.SENT: "envoyée",
    Delivery.FAILED: "échec d'envoi",
}


class AlertSettingsRead(BaseModel):
    recipients: list[str]
    cutoff_hours: list[int]
    on_events: bool
    configured: bool


class AlertRead(BaseModel):
    id: uuid.UUID
    kind: str
    subject: str
    recipients: list[str]
    declaration_id: uuid.UUID | None
    month: str | None
    created_at: datetime
    delivery: str
    attempts: int
    sent_at: datetime | None
    error: str | None


class AlertPage(BaseModel):
    items: list[AlertRead]
    total: int
    limit: int
    offset: int


def parse_hours(text: str) -> list[int]:
    """'48, 12' → [48, 12] (distinct, largest first); raises InputError in French."""
    hours: set[int] = set()
    for part in re.split(r"[\s,;]+", text.strip()):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 24 * 15:
            raise InputError(
                f"« {part[:20]} » n'est pas un nombre d'heures entre 1 et 360.", field="heures"
            )
        hours.add(int(part))
    if len(hours) > MAX_CUTOFF_WARNINGS:
        raise InputError(
            f"Au plus {MAX_CUTOFF_WARNINGS} rappels avant l'heure limite.", field="heures"
        )
    return sorted(hours, reverse=True)


def parse_recipients(text: str) -> list[str]:
    """Addresses separated by commas, semicolons or new lines; raises InputError in French."""
    found: list[str] = []
    for part in re.split(r"[\s,;]+", text.strip()):
        if not part:
            continue
        if len(part) > 254 or not EMAIL_RE.match(part):
            raise InputError(f"« {part[:60]} » n'est pas une adresse e-mail.", field="adresses")
        if part.lower() not in {f.lower() for f in found}:
            found.append(part)
    if len(found) > MAX_RECIPIENTS:
        raise InputError(f"Au plus {MAX_RECIPIENTS} adresses.", field="adresses")
    return found


def read_settings(
    session: Session, *, principal: Principal, default_hours: Sequence[int]
) -> AlertSettingsRead:
    found = repository.get_settings(session, tenant_id=principal.tenant_id)
    if found is None:
        return AlertSettingsRead(
            recipients=[], cutoff_hours=list(default_hours), on_events=True, configured=False
        )
    return AlertSettingsRead(
        recipients=list(found.recipients),
        cutoff_hours=list(found.cutoff_hours),
        on_events=found.on_events,
        configured=True,
    )


def update_settings(
    session: Session,
    *,
    principal: Principal,
    recipients: str,
    cutoff_hours: str,
    on_events: bool,
    clock: Clock,
) -> AlertSettingsRead:
    """An administrator chooses the addresses and the warnings before the cut-off."""
    require_admin(principal)
    parsed_recipients = parse_recipients(recipients)
    parsed_hours = parse_hours(cutoff_hours)
    found = repository.get_settings(session, tenant_id=principal.tenant_id)
    if found is None:
        found = AlertSettings(tenant_id=principal.tenant_id, updated_at=clock.now())
    found.recipients = parsed_recipients
    found.cutoff_hours = parsed_hours
    found.on_events = on_events
    found.updated_at = clock.now()
    found.updated_by_user_id = principal.user_id
    session.add(found)
    session.flush()
    return read_settings(session, principal=principal, default_hours=parsed_hours)


def list_alerts(
    session: Session, *, principal: Principal, limit: int = 50, offset: int = 0
) -> AlertPage:
    # A client company's user sees only the alerts about its companies (never the cut-off
    # warnings, which list the whole portfolio).
    rows, total = repository.list_alerts(
        session,
        tenant_id=principal.tenant_id,
        limit=limit,
        offset=offset,
        company_ids=principal.company_ids,
    )
    return AlertPage(
        items=[AlertRead.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


# --- deciding ------------------------------------------------------------------------------------


def paris(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M (heure de Paris)")


def event_kind(event: DeclarationEvent) -> AlertKind | None:
    """Which alert a timeline event calls for, if any."""
    status = DeclarationStatus(event.status)
    detail = event.detail or {}
    if status is DeclarationStatus.TRANSMISSION_FAILED:
        return AlertKind.TRANSMISSION_FAILED
    if status is DeclarationStatus.REFUSED_BY_DEPOSIT_POINT:
        return AlertKind.ARE
    if status is DeclarationStatus.REJECTED_BY_DEPOSIT_POINT:
        return AlertKind.BAN
    if detail.get("return_status") == "KO":
        nature = str(detail.get("nature") or "")
        if nature == "10":
            return AlertKind.ARE
        if nature == "11":
            return AlertKind.BAN
        return AlertKind.CRM_KO
    return None


def _event_dedupe(kind: AlertKind, event: DeclarationEvent) -> str:
    detail = event.detail or {}
    if kind in {AlertKind.ARE, AlertKind.BAN}:
        return f"{kind}:{event.declaration_id}"
    if kind is AlertKind.CRM_KO:
        return f"{kind}:{event.declaration_id}:{detail.get('return_id') or event.id}"
    return f"{kind}:{event.id}"


def _event_text(
    kind: AlertKind,
    event: DeclarationEvent,
    declaration: Declaration,
    *,
    company: str,
    siret: str,
    link: str,
) -> tuple[str, str]:
    detail = event.detail or {}
    what = {
        AlertKind.TRANSMISSION_FAILED: "La transmission a échoué : la déclaration n'est pas "
        "déposée. Ordonnez-la de nouveau depuis sa page.",
        AlertKind.ARE: "Le point de dépôt a refusé le fichier (avis de rejet d'envoi) : la "
        "déclaration n'est pas déposée. Corrigez le fichier et déposez-le de nouveau.",
        AlertKind.BAN: "Le point de dépôt a rejeté la déclaration (bilan d'anomalies bloquantes) :"
        " elle n'est pas déposée. Corrigez-la et envoyez-la de nouveau comme une déclaration "
        "normale.",
        AlertKind.CRM_KO: "Un organisme signale des anomalies bloquantes (compte rendu métier KO)."
        " Consultez le retour et corrigez dans la prochaine DSN ou par une déclaration annule et "
        "remplace.",
    }[kind]
    month = monthly_label(declaration.month)
    subject = f"[DSN Link] {KIND_LABELS[kind]} — {company} — {month}"
    lines = [
        "Bonjour,",
        "",
        f"{KIND_LABELS[kind]} pour la DSN de {month} de {company} (SIRET {siret}).",
        what,
        "",
        f"Événement du {paris(event.at)}.",
    ]
    if detail.get("label"):
        lines.append(f"Retour : {detail['label']}.")
    if declaration.cutoff is not None and declaration.cutoff > event.at:
        lines.append(
            f"Heure limite DSN Link (transmission garantie) : {paris(declaration.cutoff)}."
        )
    lines += ["", f"Voir la déclaration : {link}", "", "— DSN Link (message automatique)"]
    return subject, "\n".join(lines)


MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def monthly_label(month: str) -> str:
    return f"{MONTHS[int(month[5:7]) - 1]} {month[:4]}" if len(month) == 7 else month


def collect_event_alerts(session: Session, *, now: datetime, dashboard_url: str) -> int:
    """Alerts for the timeline events past the cursor (ARE, BAN, KO CRM, failed transmission);
    moves the cursor, locked, so each event is looked at once. Returns how many were created."""
    cursor = repository.cursor_for_update(session)
    created = 0
    subscribed = {s.tenant_id: s for s in repository.tenants_with_recipients(session)}
    # A bounded step: a long backlog (alerts switched on over a big history) takes several runs.
    for _ in range(MAX_EVENT_BATCHES):
        batch = repository.events_after(session, after=cursor.last_event_id)
        if not batch:
            break
        for event, declaration in batch:
            cursor.last_event_id = max(cursor.last_event_id, event.id or 0)
            wanted = subscribed.get(declaration.tenant_id)
            kind = event_kind(event)
            if wanted is None or not wanted.on_events or kind is None:
                continue
            if now - event.at > STALE_EVENT:
                continue
            created += _event_alert(
                session, kind, event, declaration, wanted.recipients, now, dashboard_url
            )
    session.add(cursor)
    return created


def _event_alert(
    session: Session,
    kind: AlertKind,
    event: DeclarationEvent,
    declaration: Declaration,
    recipients: Sequence[str],
    now: datetime,
    dashboard_url: str,
) -> int:
    company = tenants_repository.get_company(
        session, tenant_id=declaration.tenant_id, company_id=declaration.company_id
    )
    establishment = tenants_repository.get_establishment(
        session, tenant_id=declaration.tenant_id, establishment_id=declaration.establishment_id
    )
    subject, body = _event_text(
        kind,
        event,
        declaration,
        company=company.name if company else "?",
        siret=establishment.siret if establishment else "?",
        link=f"{dashboard_url.rstrip('/')}/app/declarations/{declaration.id}",
    )
    return int(
        repository.add_once(
            session,
            Alert(
                tenant_id=declaration.tenant_id,
                kind=kind,
                dedupe_key=_event_dedupe(kind, event),
                declaration_id=declaration.id,
                company_id=declaration.company_id,
                month=declaration.month,
                recipients=list(recipients),
                subject=subject[:300],
                body=body,
                created_at=now,
            ),
        )
    )


def collect_cutoff_alerts(
    session: Session, *, now: datetime, default_hours: Sequence[int], dashboard_url: str
) -> int:
    """For each subscribed tenant and cut-off of the declaring month: once the smallest warning
    delay reached, one mail listing every company still to file before that cut-off."""
    month = monthly.declaring_month(now=now)
    created = 0
    for wanted in repository.tenants_with_recipients(session):
        hours = list(wanted.cutoff_hours) or list(default_hours)
        if not hours:
            continue
        principal = Principal(
            tenant_id=wanted.tenant_id,
            user_id=wanted.updated_by_user_id or uuid.UUID(int=0),
            role=Role.SAAS_ADMIN,
        )
        page = monthly.month_deadlines_page(
            session, principal=principal, month=month, pending_only=True, limit=100_000
        )
        by_cutoff: dict[datetime, list[monthly.CompanyDeadlineRow]] = {}
        for row in page.companies:
            if row.cutoff is not None and row.cutoff > now:
                by_cutoff.setdefault(row.cutoff, []).append(row)
        for cutoff, rows in by_cutoff.items():
            crossed = [h for h in hours if now >= cutoff - timedelta(hours=h)]
            if not crossed:
                continue
            warning = min(crossed)
            subject, body = _cutoff_text(month, cutoff, warning, rows, now, dashboard_url)
            created += int(
                repository.add_once(
                    session,
                    Alert(
                        tenant_id=wanted.tenant_id,
                        kind=AlertKind.CUTOFF,
                        dedupe_key=f"cutoff:{month}:{cutoff.isoformat()}:{warning}",
                        month=month,
                        recipients=list(wanted.recipients),
                        subject=subject[:300],
                        body=body,
                        created_at=now,
                    ),
                )
            )
    return created


def _cutoff_text(
    month: str,
    cutoff: datetime,
    warning: int,
    rows: Iterable[monthly.CompanyDeadlineRow],
    now: datetime,
    dashboard_url: str,
) -> tuple[str, str]:
    rows = list(rows)
    left = cutoff - now
    hours_left = int(left.total_seconds() // 3600)
    label = monthly_label(month)
    subject = (
        f"[DSN Link] {len(rows)} entreprise{'s' if len(rows) > 1 else ''} à déposer avant "
        f"{paris(cutoff)} — DSN de {label}"
    )
    lines = [
        "Bonjour,",
        "",
        f"Il reste environ {hours_left} h avant l'heure limite DSN Link ({paris(cutoff)}), "
        f"au-delà de laquelle la transmission des DSN de {label} n'est plus garantie "
        f"(rappel {warning} h avant).",
        "",
        "Entreprises dont au moins un établissement n'a pas déposé :",
    ]
    for row in rows[:200]:
        lines.append(
            f"- {row.company.name} (SIREN {row.company.siren}) : "
            f"{row.establishments_filed}/{row.establishments} établissement(s) déposé(s)"
        )
        latest = {d.siret: d for d in row.declarations if d.nature == "01"}
        for siret in row.pending_sirets[:20]:
            found = latest.get(siret)
            state = STATUS_WORDS.get(found.status, found.status) if found else "aucun fichier reçu"
            lines.append(f"    SIRET {siret} : {state}")
    if len(rows) > 200:
        lines.append(f"… et {len(rows) - 200} autres.")
    lines += [
        "",
        f"Voir les échéances : {dashboard_url.rstrip('/')}/app/echeances?mois={month}&a_faire=oui",
        "",
        "— DSN Link (message automatique)",
    ]
    return subject, "\n".join(lines)


# --- sending -------------------------------------------------------------------------------------


def send_pending(
    sessions: SessionFactory, *, mailer: Mailer, clock: Clock, max_attempts: int
) -> int:
    """Send every alert waiting (one claim, one SMTP conversation, one recorded outcome each);
    returns how many were delivered."""
    with unit_of_work(sessions) as session:
        ids = repository.sendable_ids(session, now=clock.now(), max_attempts=max_attempts)
    delivered = 0
    for alert_id in ids:
        now = clock.now()
        with unit_of_work(sessions) as session:
            if not repository.claim(session, alert_id=alert_id, now=now, until=now + CLAIM_FOR):
                continue
            alert = repository.get_alert(session, alert_id)
            assert alert is not None
            message = mailer.build(
                recipients=alert.recipients, subject=alert.subject, body=alert.body, at=now
            )
            attempts = alert.attempts
        error = None
        try:
            mailer.send(message)
        except MailNotSent as exc:
            error = str(exc)
        with unit_of_work(sessions) as session:
            alert = repository.get_alert(session, alert_id)
            assert alert is not None
            if error is None:
                alert.delivery = Delivery.SENT
                alert.sent_at = clock.now()
                alert.error = None
                delivered += 1
            else:
                # Tried again at the next round until the attempts run out.
                alert.delivery = Delivery.FAILED if attempts >= max_attempts else Delivery.PENDING
                alert.error = error[:500]
                logger.warning("alert %s not delivered (attempt %d): %s", alert_id, attempts, error)
            alert.claimed_until = None
            session.add(alert)
    return delivered


@dataclass
class AlertDispatcher:
    """What the worker loop calls: decide the alerts due, then send them, at most every
    `every`; never raises (an SMTP outage must not stop transmissions)."""

    sessions: SessionFactory
    mailer: Mailer
    clock: Clock
    every: timedelta
    default_hours: tuple[int, ...]
    dashboard_url: str
    max_attempts: int
    _next_run: datetime | None = None

    def run(self) -> int:
        now = self.clock.now()
        with unit_of_work(self.sessions) as session:
            collect_event_alerts(session, now=now, dashboard_url=self.dashboard_url)
        with unit_of_work(self.sessions) as session:
            collect_cutoff_alerts(
                session, now=now, default_hours=self.default_hours, dashboard_url=self.dashboard_url
            )
        return send_pending(
            self.sessions, mailer=self.mailer, clock=self.clock, max_attempts=self.max_attempts
        )

    def run_if_due(self) -> int:
        now = self.clock.now()
        if self._next_run is not None and now < self._next_run:
            return 0
        self._next_run = now + self.every
        try:
            return self.run()
        except Exception:
            logger.exception("alert dispatch failed")
            return 0


def dispatcher_from_settings(
    settings: Settings, *, sessions: SessionFactory, clock: Clock
) -> AlertDispatcher:
    return AlertDispatcher(
        sessions=sessions,
        mailer=Mailer.from_settings(settings),
        clock=clock,
        every=timedelta(seconds=settings.alerts_every_seconds),
        default_hours=tuple(parse_hours(settings.alert_cutoff_hours)),
        dashboard_url=settings.dashboard_url,
        max_attempts=settings.alert_max_attempts,
    )
