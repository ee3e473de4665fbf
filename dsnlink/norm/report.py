"""The report of one validation as it is built: the validator's state, anomalies recorded
(resolved against the catalogue, capped at `max_anomalies`), the single-cause summary."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date

from dsnlink.norm.anomalies import (
    PROJECT_ANOMALIES,
    calendar_control_ids,
)
from dsnlink.norm.catalogue import (
    Catalogue,
)
from dsnlink.norm.schemas import Anomaly, Category, DeclarationSummary, ValidationReport
from dsnlink.norm.tree import Env, Node

VALUE_SHOWN = 100
ROOT = b""
SIGNALEMENT_NATURES = frozenset({"04", "05", "07", "08", "10"})


@dataclass(slots=True)
class IndividualState:
    line: int
    nir: str | None = None
    nir_line: int | None = None
    birth: str | None = None
    birth_line: int | None = None
    ntt: str | None = None


@dataclass(slots=True)
class DeclarationState:
    summary: DeclarationSummary
    lines: dict[str, int] = field(default_factory=dict)
    # NIRs seen, as base-36 integers: half the memory of strings on big declarations.
    nirs: set[int] = field(default_factory=set)
    ntts: set[str] = field(default_factory=set)
    non_salaried: int = 0


class Reporting:
    """State of one validation and how it records anomalies in its report."""

    def __init__(
        self,
        catalogue: Catalogue,
        report: ValidationReport,
        *,
        machine_to_machine: bool,
        max_anomalies: int,
        today: date,
        versions: tuple[str, ...],
    ) -> None:
        self.cat = catalogue
        self.versions = versions
        self.lot_line: int | None = None
        self.missing_norm: tuple[str, int] | None = None  # declared version not installed
        self.report = report
        self.m2m = machine_to_machine
        self.max_anomalies = max_anomalies
        self.today = today
        self.lineno = 0
        self.non_rubric = 0  # lines that are not rubric lines (empty, malformed, too long)
        self.rubric_lines_at_s90: int | None = None
        self.stack: list[Node] = [Node(ROOT, 0)]
        self.env = Env(self.stack)
        self.cur_block: bytes | None = None
        self.cur_field = b""
        self.seen_first = False
        self.after_s90 = False
        self.watch_envelope = True  # first block, or first block after S90: see _envelope
        self.decl: DeclarationState | None = None
        self.declaration_count = 0
        self.all_without_individual = True  # every declaration so far: nature 01, type 02/05
        self.indiv: IndividualState | None = None
        self.context: dict[str, str] = {}
        self.envoi_lines: dict[str, int] = {}
        self.s90: dict[str, tuple[str, int]] = {}
        self.declared_version: str | None = None
        self.resolved: dict[str, tuple[str, str]] = {}
        self.date_cache: dict[bytes, bool] = {}
        self.line_cache: dict[bytes, tuple[bytes, bytes, bytes]] = {}
        self.calendar_ids = calendar_control_ids(catalogue)
        self.signalements = SIGNALEMENT_NATURES
        nature = catalogue.rubrics.get("S20.G00.05.001")
        if nature is not None and nature.values is not None:
            self.signalements = frozenset(
                n for n in SIGNALEMENT_NATURES if n.encode() in nature.values
            )

    def _resolve(self, aid: str) -> tuple[str, str]:
        found = self.resolved.get(aid)
        if found is None:
            if aid in PROJECT_ANOMALIES:
                found = PROJECT_ANOMALIES[aid]
            else:
                family = aid.split("/", 1)[-1][:3]
                category = Category.NON_BLOQUANT if family == "SIG" else Category.BLOQUANT
                msg = self.cat.messages.get(aid)
                text = (msg.message or msg.rule) if msg else aid
                found = (category.value, text)
            self.resolved[aid] = found
        return found

    def add(
        self,
        aid: str,
        lineno: int | None,
        rubric: str | None,
        value: str | bytes | None,
        **details: object,
    ) -> None:
        category, message = self._resolve(aid)
        report = self.report
        if category == Category.BLOQUANT:
            report.blocking_count += 1
        else:
            report.non_blocking_count += 1
        if len(report.anomalies) >= self.max_anomalies:
            report.truncated = True
            return
        if details:
            with contextlib.suppress(KeyError, IndexError, ValueError):
                message = message.format(**details)
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if value is not None and len(value) > VALUE_SHOWN:
            value = value[:VALUE_SHOWN] + "…"
        report.anomalies.append(Anomaly(aid, category, message, lineno, rubric, value))

    def _rule_anomaly(self, cid: str, node: Node) -> None:
        rubric = cid.split("/", 1)[0]
        fld = rubric[11:]
        if node.block == rubric[:10].encode() and fld.encode() in node.values:
            self.add(cid, node.line_of(fld), rubric, node.get(fld))
        else:
            self.add(cid, node.line or None, rubric, None)

    def _single_cause(self) -> None:
        """A lot, or a norm not installed: one clear anomaly instead of the consequences."""
        report = self.report
        details: dict[str, object] = {}
        if self.lot_line is not None:
            aid, line, rubric, value = "DSNLINK-STR-09", self.lot_line, None, None
        elif self.missing_norm is not None:
            version, line = self.missing_norm
            aid, rubric, value = "DSNLINK-NORM-03", "S10.G00.00.006", version
            details["version"] = version
        else:
            return
        report.anomalies.clear()
        report.blocking_count = report.non_blocking_count = 0
        report.truncated = False
        self.add(aid, line, rubric, value, **details)
