"""The deposit point's rules: who may log in, what a token allows, what a deposit produces.

Decisions are taken here and expressed as `ApiError`s (status, realm, body) that the HTTP edge
only has to render. The spec followed is the public API DSN as described for the gateway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from mock_netentreprises import dsnfile, reports
from mock_netentreprises.clock import Clock
from mock_netentreprises.config import (
    CONCENTRATOR_SERVICE,
    Account,
    DepositThenFail,
    ForcedOutcome,
    MockConfig,
)
from mock_netentreprises.dsnfile import Anomaly, DsnFile
from mock_netentreprises.reports import Declarant, FlowFacts
from mock_netentreprises.store import Flow, Return, ReturnStatus, ReturnVersion, Store, Token

REALM_BAD_CREDENTIALS = 'Basic realm="net-entreprises.fr"'
REALM_PASSWORD_EXPIRED = 'Basic realm="Expiration du mot de passe"'
REALM_NOT_REGISTERED = 'DSNLogin realm="Utilisateur non-inscrit au service"'
REALM_BAD_TOKEN = 'DSNLogin realm="Jeton manquant ou invalide"'
REALM_TOKEN_EXPIRED = 'DSNLogin realm="Expiration du jeton"'
REALM_MSA = 'Basic realm="msa.fr"'

DATE_FORMAT = "%Y%m%d%H%M%S"
DECLARANT_WINDOW = 60
CONCENTRATOR_WINDOW = 10
MAX_IDFLUX = 50
MAX_IDRETOUR = 10
FORCED_BAN = Anomaly(
    "MOCK-01", "Anomalie bloquante forcée par la configuration du bouchon (force=BAN)."
)
# As in the reference mock: a deposit containing this word answers 500 (and stores nothing).
KABOOM = b"KABOOM"
# Likewise a flow id (lister-retours-flux) or return id (telecharger-retour) of "kaboom".
KABOOM_ID = "kaboom"
FORCED_ARE = ("B1-105-99", "Dépôt refusé : refus forcé par la configuration du bouchon.")


class ApiError(Exception):
    """An HTTP answer other than 200, decided by the rules."""

    def __init__(
        self,
        status: int,
        *,
        realm: str | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {realm or ''}".strip())
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        if realm is not None:
            self.headers["WWW-Authenticate"] = realm


@dataclass(frozen=True)
class Caller:
    """Who is calling: a declarant, or a concentrator possibly acting for a declarant."""

    token: Token
    declarant: Declarant | None

    @property
    def concentrator_siret(self) -> str | None:
        return self.token.siret if self.token.concentrator else None


@dataclass(frozen=True)
class DepositOutcome:
    flow: Flow
    report: bytes
    accepted: bool
    then_fail: DepositThenFail


@dataclass(frozen=True)
class ListedReturn:
    idflux: str
    item: Return
    version: ReturnVersion


class DepositPoint:
    """The mock's behaviour over a Store, a Clock and a live MockConfig."""

    def __init__(self, config: MockConfig, *, clock: Clock, store: Store) -> None:
        self.initial_config = config
        self.config = config
        self.clock = clock
        self.store = store
        self._config_lock = threading.Lock()
        self.dice = random.Random(config.seed)

    # --- configuration -------------------------------------------------------------------

    def update_config(self, changes: dict[str, object]) -> MockConfig:
        with self._config_lock:
            self.config = self.config.updated(changes)
            if "seed" in changes:
                self.dice = random.Random(self.config.seed)
            return self.config

    def register_account(self, account: Account) -> None:
        with self._config_lock:
            self.config = self.config.with_accounts([account])

    def reset(self) -> None:
        with self._config_lock:
            self.config = self.initial_config
            self.dice = random.Random(self.config.seed)
        self.store.clear()
        self.clock.reset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.dice.random() < rate

    # --- authentication ------------------------------------------------------------------

    def authenticate(
        self, *, siret: str, nom: str, prenom: str, motdepasse: str, service: str
    ) -> Token:
        if nom.casefold() == "kaboom":
            raise ApiError(500)
        account = self._find_account(siret, nom, prenom)
        if account is None:
            raise ApiError(401, realm=REALM_BAD_CREDENTIALS)
        self._check_password(account, motdepasse, realm=REALM_BAD_CREDENTIALS)
        if service not in account.services:
            raise ApiError(401, realm=REALM_NOT_REGISTERED)
        return self._issue_token(account, service)

    def authenticate_msa(self, *, identifiant: str, motdepasse: str) -> Token:
        """The MSA login (`/authentifier/2.0/`): an MSA user name instead of SIRET/nom/prénom."""
        if identifiant.casefold() == "kaboom":
            raise ApiError(500)
        account = next((a for a in self.config.accounts if a.identifiant == identifiant), None)
        if account is None:
            raise ApiError(401, realm=REALM_MSA)
        self._check_password(account, motdepasse, realm=REALM_MSA)
        return self._issue_token(account, account.services[0])

    def _check_password(self, account: Account, motdepasse: str, *, realm: str) -> None:
        """401 on a wrong password, 403 once locked (lock_after failures in a row)."""
        key = (account.siret, account.nom.casefold(), account.prenom.casefold())
        now = self.clock.now()
        with self.store.lock:
            locked_until = self.store.locked_until.get(key)
            if locked_until is not None and now < locked_until:
                raise ApiError(403)
            if account.motdepasse != motdepasse:
                failures = self.store.failed_logins.get(key, 0) + 1
                self.store.failed_logins[key] = failures
                if failures >= self.config.lock_after:
                    self.store.locked_until[key] = now + timedelta(seconds=self.config.lock_seconds)
                    self.store.failed_logins[key] = 0
                raise ApiError(401, realm=realm)
            self.store.failed_logins.pop(key, None)
            self.store.locked_until.pop(key, None)
        if account.password_expired:
            raise ApiError(401, realm=REALM_PASSWORD_EXPIRED)

    def _issue_token(self, account: Account, service: str) -> Token:
        token = Token(
            value=self.store.new_token(),
            siret=account.siret,
            nom=account.nom,
            prenom=account.prenom,
            service=service,
            expires_at=self.clock.now() + timedelta(seconds=self.config.token_lifetime),
        )
        with self.store.lock:
            self.store.tokens[token.value] = token
            self.store.save()
        return token

    def _find_account(self, siret: str, nom: str, prenom: str) -> Account | None:
        for account in self.config.accounts:
            if account.same_person(siret, nom, prenom):
                return account
        return None

    def caller(
        self, authorization: str | None, *, needs_declarant: bool, concentrator_only: bool = False
    ) -> Caller:
        """Resolve the Authorization header; 401 with the spec's realm when it does not do."""
        params = _dsnlogin_params(authorization)
        if params is None:
            raise ApiError(401, realm=REALM_BAD_TOKEN)
        if "jeton" in params:
            if concentrator_only or "concentrateur" in params:
                raise ApiError(401, realm=REALM_BAD_TOKEN)
            token = self._token(params["jeton"], concentrator=False)
            return Caller(token, Declarant(token.siret, token.nom, token.prenom))
        if "concentrateur" not in params:
            raise ApiError(401, realm=REALM_BAD_TOKEN)
        token = self._token(params["concentrateur"], concentrator=True)
        declarant = None
        if "declarant" in params:
            declarant = _decode_declarant(params["declarant"])
            if declarant is None:
                raise ApiError(401, realm=REALM_BAD_TOKEN)
            known = self._find_account(declarant.siret, declarant.nom, declarant.prenom)
            if known is None and not self.config.accept_unknown_declarants:
                raise ApiError(401, realm=REALM_NOT_REGISTERED)
        elif needs_declarant:
            raise ApiError(401, realm=REALM_BAD_TOKEN)
        return Caller(token, declarant)

    def _token(self, value: str, *, concentrator: bool) -> Token:
        with self.store.lock:
            token = self.store.tokens.get(value)
        if token is None or token.concentrator != concentrator:
            raise ApiError(401, realm=REALM_BAD_TOKEN)
        if self.clock.now() >= token.expires_at:
            raise ApiError(401, realm=REALM_TOKEN_EXPIRED)
        return token

    # --- deposit -------------------------------------------------------------------------

    def deposit(self, caller: Caller, raw: bytes) -> DepositOutcome:
        """Store a flow and schedule its returns; the report is the AEE or the ARE."""
        assert caller.declarant is not None
        if KABOOM in raw:
            raise ApiError(500)
        config = self.config
        now = self.clock.now()
        refusal = dsnfile.refusal(raw, max_bytes=config.max_deposit_bytes)
        if refusal is None and config.force is ForcedOutcome.ARE:
            refusal = FORCED_ARE
        dsn = dsnfile.read(raw) if refusal is None else None
        flow = Flow(
            idflux=self.store.new_idflux(),
            declarant=caller.declarant,
            concentrator_siret=caller.concentrator_siret,
            received_at=now,
            sha256=hashlib.sha256(raw).hexdigest(),
            size=len(raw),
            statut="KO" if refusal else "OK",
            nature=dsn.nature if dsn else None,
            essai_reel=dsn.essai_reel if dsn else None,
        )
        facts = FlowFacts(flow.idflux, caller.declarant, now.astimezone(self.zone), dsn)
        report = reports.acknowledgement(facts, refusal)
        flow.returns.append(
            self._return(
                "10",
                None,
                [
                    (
                        now + timedelta(seconds=config.return_delay("10")),
                        ReturnStatus.KO if refusal else ReturnStatus.OK,
                        "ARE" if refusal else "AEE",
                        report,
                    )
                ],
            )
        )
        if dsn is not None:
            flow.returns.extend(self._later_returns(facts, dsn, now, config))
        then_fail = DepositThenFail.OFF
        with self.store.lock:
            self.store.flows[flow.idflux] = flow
            then_fail = self._deposit_then_fail(config)
            self.store.save()
        return DepositOutcome(flow, report, refusal is None, then_fail)

    def _deposit_then_fail(self, config: MockConfig) -> DepositThenFail:
        mode = config.deposit_then_fail
        if mode is DepositThenFail.OFF:
            return mode
        remaining = config.deposit_then_fail_count
        if remaining is not None:
            if remaining <= 0:
                return DepositThenFail.OFF
            self.update_config({"deposit_then_fail_count": remaining - 1})
            return mode
        return mode if self.roll(config.deposit_then_fail_rate) else DepositThenFail.OFF

    def _later_returns(
        self, facts: FlowFacts, dsn: DsnFile, now: datetime, config: MockConfig
    ) -> list[Return]:
        def at(nature: str) -> datetime:
            return now + timedelta(seconds=config.return_delay(nature))

        anomalies = list(dsn.anomalies)
        if config.force is ForcedOutcome.BAN:
            anomalies.append(FORCED_BAN)
        conformity = reports.conformity(facts, anomalies)
        blocking = any(a.categorie == "bloquant" for a in anomalies)
        kind = "BAN" if anomalies else "CCO"
        status = (
            ReturnStatus.KO if blocking else (ReturnStatus.ANO if anomalies else ReturnStatus.OK)
        )
        found = [self._return("11", None, [(at("11"), status, kind, conformity)])]
        if blocking or dsn.nature != "01":
            return found
        crm_versions = [
            (at("61"), ReturnStatus.OK, "CRACOSS", reports.urssaf_crm(facts, enriched=False))
        ]
        if config.overwrite_after is not None:
            crm_versions.append(
                (
                    at("61") + timedelta(seconds=config.overwrite_after),
                    ReturnStatus.ANO,
                    "CRACOSS",
                    reports.urssaf_crm(facts, enriched=True),
                )
            )
        found += [
            self._return(
                "60",
                "URSSAF",
                [(at("60"), ReturnStatus.OK, "60", reports.body_acknowledgement(facts, "60"))],
            ),
            self._return("61", "URSSAF", crm_versions),
            self._return(
                "92",
                "DGFIP",
                [(at("92"), ReturnStatus.OK, "92", reports.body_acknowledgement(facts, "92"))],
            ),
            self._return(
                "94",
                "DGFIP",
                [(at("94"), ReturnStatus.OK, "CRM nominatif", reports.dgfip_crm(facts))],
            ),
        ]
        return found

    def _return(
        self,
        nature: str,
        ops: str | None,
        versions: list[tuple[datetime, ReturnStatus, str, bytes]],
    ) -> Return:
        return Return(
            id=self.store.new_return_id(),
            nature=nature,
            ops=ops,
            versions=[
                ReturnVersion(when, status, kind, body) for when, status, kind, body in versions
            ],
        )

    def attach_return(
        self,
        idflux: str,
        *,
        nature: str,
        ops: str | None,
        statut: ReturnStatus,
        body: bytes,
        media_type: str,
        delay_seconds: float = 0.0,
        replace: bool = False,
    ) -> tuple[Return, ReturnVersion] | None:
        """Publish a scripted return on a flow, keyed by (nature, ops) like the platform's.

        A return of the same key gets a new version under its id (an overwrite); `replace` drops
        that key's other versions first (published or scheduled). None when the flow is unknown.
        """
        when = self.clock.now() + timedelta(seconds=delay_seconds)
        version = ReturnVersion(when, statut, "scripted", body, media_type)
        with self.store.lock:
            flow = self.store.flows.get(idflux)
            if flow is None:
                return None
            item = next((r for r in flow.returns if (r.nature, r.ops) == (nature, ops)), None)
            if item is None:
                item = self._return(nature, ops, [])
                flow.returns.append(item)
            if replace:
                item.versions.clear()
            item.versions.append(version)
            item.versions.sort(key=lambda v: v.published_at)
            self.store.save()
        return item, version

    # --- tracking ------------------------------------------------------------------------

    def dates(self, debut: str, fin: str | None) -> tuple[datetime, datetime]:
        """The search range of a listing path (422 when unreadable), checked before the token
        as the reference does."""
        start = self._parse_date(debut)
        end = self._parse_date(fin) if fin is not None else self.clock.now()
        if end < start:
            raise ApiError(422)
        return start, end

    @staticmethod
    def check_window(start: datetime, end: datetime, *, limit_minutes: int) -> None:
        if end - start > timedelta(minutes=limit_minutes):
            raise ApiError(429, headers={"Accept-Ranges": f"minutes=0-{limit_minutes}"})

    @staticmethod
    def check_ids(idflux: str, idretour: str | None = None) -> None:
        """422 for an over-long flow or return id, before the token is looked at."""
        if len(idflux) > MAX_IDFLUX or (idretour is not None and len(idretour) > MAX_IDRETOUR):
            raise ApiError(422)

    def _parse_date(self, value: str) -> datetime:
        if len(value) != 14 or not value.isdigit():
            raise ApiError(422)
        try:
            naive = datetime.strptime(value, DATE_FORMAT)
        except ValueError as exc:
            raise ApiError(422) from exc
        return naive.replace(tzinfo=self.zone)

    def local(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime(DATE_FORMAT)

    def deposits(self, caller: Caller, start: datetime, end: datetime) -> list[Flow]:
        with self.store.lock:
            flows = list(self.store.flows.values())
        return [
            flow
            for flow in flows
            if start <= flow.received_at <= end and self._owned_by_declarant(caller, flow)
        ]

    def declarant_returns(
        self, caller: Caller, start: datetime, end: datetime
    ) -> list[ListedReturn]:
        return self._returns(lambda flow: self._owned_by_declarant(caller, flow), start, end)

    def concentrator_returns(
        self, caller: Caller, start: datetime, end: datetime
    ) -> list[ListedReturn]:
        siret = caller.concentrator_siret
        return self._returns(lambda flow: flow.concentrator_siret == siret, start, end)

    def flow_returns(self, caller: Caller, idflux: str) -> list[ListedReturn]:
        if idflux == KABOOM_ID:
            raise ApiError(500)
        flow = self.visible_flow(caller, idflux)
        return self._returns(lambda candidate: candidate is flow, None, None)

    def download(self, caller: Caller, idflux: str, idretour: str) -> ReturnVersion:
        if len(idretour) > MAX_IDRETOUR:
            raise ApiError(422)
        if idretour == KABOOM_ID:
            raise ApiError(500)
        flow = self.visible_flow(caller, idflux)
        now = self.clock.now()
        for item in flow.returns:
            if item.id == idretour:
                version = item.visible(now, self._retention)
                if version is not None:
                    return version
        raise ApiError(404)

    def visible_flow(self, caller: Caller, idflux: str) -> Flow:
        if len(idflux) > MAX_IDFLUX:
            raise ApiError(422)
        with self.store.lock:
            flow = self.store.flows.get(idflux)
        if flow is None or self.clock.now() - flow.received_at > self._retention:
            raise ApiError(404)
        if caller.token.concentrator:
            allowed = flow.concentrator_siret == caller.token.siret
        else:
            allowed = caller.declarant is not None and _same(flow.declarant, caller.declarant)
        if not allowed:
            raise ApiError(403)
        return flow

    @property
    def _retention(self) -> timedelta:
        return timedelta(days=self.config.retention_days)

    def _owned_by_declarant(self, caller: Caller, flow: Flow) -> bool:
        if caller.declarant is None or not _same(flow.declarant, caller.declarant):
            return False
        concentrator = caller.concentrator_siret
        return concentrator is None or flow.concentrator_siret == concentrator

    def _returns(
        self, keep: Callable[[Flow], bool], start: datetime | None, end: datetime | None
    ) -> list[ListedReturn]:
        now = self.clock.now()
        with self.store.lock:
            flows = [flow for flow in self.store.flows.values() if keep(flow)]
        listed: list[ListedReturn] = []
        for flow in flows:
            for item in flow.returns:
                version = item.visible(now, self._retention)
                if version is None:
                    continue
                if (
                    start is not None
                    and end is not None
                    and not (start <= version.published_at <= end)
                ):
                    continue
                listed.append(ListedReturn(flow.idflux, item, version))
        return listed


def _same(a: Declarant, b: Declarant) -> bool:
    return (
        a.siret == b.siret
        and a.nom.casefold() == b.nom.casefold()
        and a.prenom.casefold() == b.prenom.casefold()
    )


def _dsnlogin_params(authorization: str | None) -> dict[str, str] | None:
    """`DSNLogin a=x,b=y` as {a: x, b: y}; None when the header is absent or not of that form."""
    if not authorization:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.casefold() != "dsnlogin" or not rest.strip():
        return None
    params: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep or not value.strip():
            return None
        params[name.strip().casefold()] = value.strip()
    return params


def _decode_declarant(value: str) -> Declarant | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("iso-8859-1")
    parts = text.split(";")
    if len(parts) != 3 or len(parts[0]) != 14 or not all(parts):
        return None
    return Declarant(*parts)


__all__ = ["CONCENTRATOR_SERVICE", "ApiError", "Caller", "DepositPoint"]
