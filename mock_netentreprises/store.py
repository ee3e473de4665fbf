"""In-memory state of the deposit point (thread-safe), optionally mirrored to a JSON file."""

from __future__ import annotations

import base64
import json
import os
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from mock_netentreprises.reports import Declarant

IDFLUX_ALPHABET = string.ascii_letters + string.digits + "."
IDFLUX_LENGTH = 23


class ReturnStatus(StrEnum):
    OK = "OK"
    ANO = "ANO"
    KO = "KO"


@dataclass
class ReturnVersion:
    """One publication of a return; a later version overwrites it under the same id."""

    published_at: datetime
    statut: ReturnStatus
    kind: str
    body: bytes
    media_type: str = "application/xml"


@dataclass
class Return:
    """A return (retour) of one flow, keyed by (nature, ops), possibly overwritten over time."""

    id: str
    nature: str
    ops: str | None
    versions: list[ReturnVersion]

    def visible(self, now: datetime, retention: timedelta) -> ReturnVersion | None:
        """The latest version published by `now`, or None if none yet or it has been purged."""
        published = [v for v in self.versions if v.published_at <= now]
        if not published or now - published[0].published_at > retention:
            return None
        return published[-1]


@dataclass
class Flow:
    """One deposit (flux), accepted (statut OK, AEE) or refused (KO, ARE)."""

    idflux: str
    declarant: Declarant
    concentrator_siret: str | None
    received_at: datetime
    sha256: str
    size: int
    statut: str
    nature: str | None
    essai_reel: str | None
    returns: list[Return] = field(default_factory=list)


@dataclass
class Token:
    value: str
    siret: str
    nom: str
    prenom: str
    service: str
    expires_at: datetime

    @property
    def concentrator(self) -> bool:
        return self.service == "98"


class Store:
    """Everything the mock remembers; every access goes through one lock."""

    def __init__(self, state_file: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.state_file = state_file
        self.flows: dict[str, Flow] = {}
        self.tokens: dict[str, Token] = {}
        self.failed_logins: dict[tuple[str, str, str], int] = {}
        self.locked_until: dict[tuple[str, str, str], datetime] = {}
        self._next_return_id = 1
        if state_file is not None and state_file.exists():
            self._load(state_file)

    def clear(self) -> None:
        with self.lock:
            self.flows.clear()
            self.tokens.clear()
            self.failed_logins.clear()
            self.locked_until.clear()
            self._next_return_id = 1
            self.save()

    def new_idflux(self) -> str:
        with self.lock:
            while True:
                candidate = "".join(secrets.choice(IDFLUX_ALPHABET) for _ in range(IDFLUX_LENGTH))
                if candidate not in self.flows:
                    return candidate

    def new_return_id(self) -> str:
        with self.lock:
            value = str(self._next_return_id)
            self._next_return_id += 1
            return value

    def new_token(self) -> str:
        with self.lock:
            while True:
                candidate = base64.b64encode(secrets.token_bytes(48)).decode("ascii")
                if candidate not in self.tokens:
                    return candidate

    def save(self) -> None:
        """Mirror the state to the state file, if any (atomic replace)."""
        if self.state_file is None:
            return
        with self.lock:
            payload = {
                "next_return_id": self._next_return_id,
                "flows": [_flow_to_json(flow) for flow in self.flows.values()],
                "tokens": [
                    {**token.__dict__, "expires_at": token.expires_at.isoformat()}
                    for token in self.tokens.values()
                ],
            }
            temporary = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
            temporary.write_text(json.dumps(payload), encoding="utf-8")
            os.replace(temporary, self.state_file)

    def _load(self, path: Path) -> None:
        payload = json.loads(path.read_text(encoding="utf-8"))
        self._next_return_id = int(payload.get("next_return_id", 1))
        for raw in payload.get("flows", []):
            flow = _flow_from_json(raw)
            self.flows[flow.idflux] = flow
        for raw in payload.get("tokens", []):
            token = Token(**{**raw, "expires_at": datetime.fromisoformat(raw["expires_at"])})
            self.tokens[token.value] = token


def _flow_to_json(flow: Flow) -> dict[str, Any]:
    return {
        "idflux": flow.idflux,
        "declarant": flow.declarant.__dict__,
        "concentrator_siret": flow.concentrator_siret,
        "received_at": flow.received_at.isoformat(),
        "sha256": flow.sha256,
        "size": flow.size,
        "statut": flow.statut,
        "nature": flow.nature,
        "essai_reel": flow.essai_reel,
        "returns": [
            {
                "id": item.id,
                "nature": item.nature,
                "ops": item.ops,
                "versions": [
                    {
                        "published_at": v.published_at.isoformat(),
                        "statut": str(v.statut),
                        "kind": v.kind,
                        "body": base64.b64encode(v.body).decode("ascii"),
                        "media_type": v.media_type,
                    }
                    for v in item.versions
                ],
            }
            for item in flow.returns
        ],
    }


def _flow_from_json(raw: dict[str, Any]) -> Flow:
    return Flow(
        idflux=raw["idflux"],
        declarant=Declarant(**raw["declarant"]),
        concentrator_siret=raw["concentrator_siret"],
        received_at=datetime.fromisoformat(raw["received_at"]),
        sha256=raw["sha256"],
        size=raw["size"],
        statut=raw["statut"],
        nature=raw["nature"],
        essai_reel=raw["essai_reel"],
        returns=[
            Return(
                id=item["id"],
                nature=item["nature"],
                ops=item["ops"],
                versions=[
                    ReturnVersion(
                        published_at=datetime.fromisoformat(v["published_at"]),
                        statut=ReturnStatus(v["statut"]),
                        kind=v["kind"],
                        body=base64.b64decode(v["body"]),
                        media_type=v.get("media_type", "application/xml"),
                    )
                    for v in item["versions"]
                ],
            )
            for item in raw["returns"]
        ],
    )
