"""The block tree of a DSN: the catalogue compiled into per-rubric specs (hooks and key checks
attached), where each rubric may go, blocks opened and closed (cardinality, order, envelope),
and the rules run at a block's close."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dsnlink.norm.anomalies import (
    KEY_CONTROLS,
)
from dsnlink.norm.hooks import EVENT_RUBRICS, Hook, RubricHooks, key_ok
from dsnlink.norm.mandatory import MANDATORY
from dsnlink.norm.report import ROOT, DeclarationState, IndividualState
from dsnlink.norm.rules.registry import rules_for
from dsnlink.norm.rules.scans import Scan
from dsnlink.norm.rules.templates import Check
from dsnlink.norm.schemas import DeclarationSummary
from dsnlink.norm.tree import Node

MAX_DECLARATIONS = 10_000  # summaries kept; more S20 blocks are still counted and checked
# (needs, needs_any, check, scan, control id): a rule as the block close runs it.
_CompiledRule = tuple[
    frozenset[bytes] | None,
    frozenset[bytes] | None,
    Check | None,
    Scan | None,
    str,
]


@dataclass(slots=True)
class _RuleIndex:
    """The rules of one block: those that always run, and those a field (or a field's value)
    sets off: field -> ({value: rules}, rules that only need the field)."""

    always: list[_CompiledRule] = field(default_factory=list)
    by_child: dict[bytes, list[_CompiledRule]] = field(default_factory=dict)
    triggers: dict[bytes, tuple[dict[bytes, list[_CompiledRule]], list[_CompiledRule]]] = field(
        default_factory=dict
    )
    fields: tuple[
        tuple[bytes, dict[bytes, list[_CompiledRule]] | None, list[_CompiledRule] | None], ...
    ] = ()


class BlockTree(RubricHooks):
    """The catalogue compiled for the hot loop, and the block tree: where a rubric may go, blocks
    opened and closed, the rules run at a block's close."""

    def _build_specs(self) -> None:
        hooks: dict[str, Hook] = {
            "S10.G00.00.005": self._h_envoi,
            "S10.G00.00.006": self._h_version,
            "S10.G00.00.008": self._h_envoi,
            "S10.G00.01.001": self._h_context,
            "S20.G00.05.001": self._h_decl,
            "S20.G00.05.002": self._h_decl,
            "S20.G00.05.003": self._h_decl,
            "S20.G00.05.004": self._h_decl,
            "S20.G00.05.005": self._h_decl,
            "S20.G00.05.006": self._h_decl,
            "S20.G00.05.007": self._h_decl,
            "S21.G00.06.001": self._h_siren,
            "S21.G00.11.001": self._h_nic,
            "S21.G00.30.001": self._h_nir,
            "S21.G00.30.006": self._h_birth,
            "S21.G00.30.020": self._h_ntt,
            **{rubric: self._h_event for rubric in EVENT_RUBRICS.values()},
            "S89.G00.32.004": self._h_context,
            "S90.G00.90.001": self._h_total,
            "S90.G00.90.002": self._h_total,
        }
        self.key_checks: dict[str, list[tuple[str, str, str]]] = {}
        for cid, (check, ctx) in KEY_CONTROLS.items():
            if cid in self.cat.messages:
                self.key_checks.setdefault(cid.split("/")[0], []).append((cid, check, ctx))
        self.specs: dict[bytes, tuple[Any, ...]] = {}
        self.block_ids: dict[bytes, bytes] = {}
        for rid, r in self.cat.rubrics.items():
            block = self.block_ids.setdefault(rid[:10].encode(), rid[:10].encode())
            kind = 1 if r.kind == "date" else 2 if r.kind == "birthdate" else 0
            hook = hooks.get(rid)
            if rid in self.key_checks:
                hook = self._with_keys(rid, hook)
            values = None if rid == "S10.G00.00.006" else r.values
            self.specs[rid.encode()] = (
                block,
                rid[11:].encode(),
                r.min,
                r.max,
                r.pattern,
                values,
                kind,
                hook,
                rid,
            )
        self.block_parent: dict[bytes, bytes] = {}
        self.block_rank: dict[bytes, int] = {}
        self.block_max: dict[bytes, int | None] = {}
        self.mandatory: dict[bytes, tuple[tuple[bytes, int], ...]] = {}
        for bid, b in self.cat.blocks.items():
            key = self.block_ids.setdefault(bid.encode(), bid.encode())
            parent = b.parent.encode() if b.parent else ROOT
            self.block_parent[key] = self.block_ids.setdefault(parent, parent)
            self.block_rank[key] = b.rank
            self.block_max[key] = b.max
        for bid, b in self.cat.blocks.items():
            parent = self.block_parent[bid.encode()]
            if b.min > 0:
                self.mandatory[parent] = (*self.mandatory.get(parent, ()), (bid.encode(), b.min))
        self.block_info: dict[bytes, tuple[bytes, int | None, int]] = {
            key: (self.block_parent[key], self.block_max[key], self.block_rank[key])
            for key in self.block_parent
        }
        self.openers = frozenset({b"S20.G00.05", b"S21.G00.30", b"S89.G00.91", b"S90.G00.90"})
        self.required: dict[bytes, list[tuple[bytes, str, frozenset[str] | None]]] = {}
        for rid, natures in MANDATORY.items():
            if rid in self.cat.rubrics:
                self.required.setdefault(rid[:10].encode(), []).append(
                    (rid[11:].encode(), rid, natures)
                )
        # Per block, the rules indexed by the field (and value) that can set them off, so that
        # the close of a block looks only at the rules its rubrics concern.
        self.rules: dict[bytes, _RuleIndex] = {}
        for rule in rules_for(self.cat):
            index = self.rules.setdefault(rule.block, _RuleIndex())
            compiled = (rule.needs or None, rule.needs_any or None, rule.check, rule.scan, rule.id)
            if rule.child is not None and rule.gate is None:
                index.by_child.setdefault(rule.child, []).append(compiled)
            elif rule.gate is not None:
                fld, wanted = rule.gate
                by_value = index.triggers.setdefault(fld, ({}, []))[0]
                for v in wanted:
                    by_value.setdefault(v, []).append(compiled)
            elif rule.needs:
                index.triggers.setdefault(max(rule.needs), ({}, []))[1].append(compiled)
            else:
                index.always.append(compiled)
        for index in self.rules.values():
            index.fields = tuple(
                (fld, by_value or None, by_field or None)
                for fld, (by_value, by_field) in index.triggers.items()
            )
        self.closers = frozenset(
            {*self.mandatory, *self.required, *self.rules, b"S21.G00.30", b"S20.G00.05"}
        )
        # Closed blocks are kept under their parent for the rules, except those that would
        # make memory grow with the file: individuals and declarations.
        self.dropped = frozenset({b"S20.G00.05", b"S21.G00.30", b"S89.G00.91", ROOT})
        # What a block's close does, looked up once per close (the hot path of `_close`):
        # required rubrics, rules, mandatory children.
        self.on_close: dict[bytes, tuple[Any, _RuleIndex | None, tuple[Any, ...]]] = {
            block: (self.required.get(block), self.rules.get(block), self.mandatory.get(block, ()))
            for block in self.closers
        }

    def _with_keys(self, rid: str, hook: Hook | None) -> Hook:
        checks = self.key_checks[rid]

        def run(rid: str, value: str, lineno: int) -> None:
            for cid, check, ctx in checks:
                if key_ok(check, value, self.context.get(ctx) if ctx else None) is False:
                    self.add(cid, lineno, rid, value)
            if hook is not None:
                hook(rid, value, lineno)

        return run

    def _place(self, block: bytes, lineno: int) -> None:
        """Open the occurrence of `block` that this line starts."""
        stack = self.stack
        if self.watch_envelope:
            self._envelope(block, lineno)
        parent_block, upper, rank = self.block_info[block]
        top = stack[-1]
        if top.block is block:
            self._close(stack.pop())
        elif top.block is not parent_block:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i].block == parent_block:
                    while len(stack) > i + 1:
                        self._close(stack.pop())
                    break
            else:
                self.add(
                    "DSNLINK-STR-01",
                    lineno,
                    None,
                    None,
                    block=block.decode(),
                    parent=parent_block.decode() or "(racine)",
                )
                stack.append(Node(block, lineno, orphan=True))
                return
        parent = stack[-1]
        counts = parent.counts
        if counts is None:
            counts = parent.counts = {}
        count = counts.get(block, 0) + 1
        counts[block] = count
        if upper is not None and count == upper + 1:
            self.add("DSNLINK-STR-02", lineno, None, None, block=block.decode(), max=upper)
        if rank < parent.last_rank:
            self.add(
                "DSNLINK-STR-04",
                lineno,
                None,
                None,
                block=block.decode(),
                previous=parent.last_child.decode(),
            )
        else:
            parent.last_rank = rank
            parent.last_child = block
        stack.append(Node(block, lineno))
        if block in self.openers:
            self._opened(block, count, lineno)

    def _envelope(self, block: bytes, lineno: int) -> None:
        """Checks that only matter on the first block and after S90."""
        if not self.seen_first:
            self.seen_first = True
            if block != b"S10.G00.00":
                self.add("DSNLINK-STR-07", lineno, None, None)
        if self.after_s90 and block != b"S90.G00.90":
            self.rubric_lines_at_s90 = lineno - 1 - self.non_rubric
            self.add("DSNLINK-STR-06", lineno, None, None)
        self.watch_envelope = False

    def _opened(self, block: bytes, count: int, lineno: int) -> None:
        if block == b"S20.G00.05":
            self.decl = DeclarationState(DeclarationSummary(line=lineno))
            env = self.env
            env.nature = env.type = None
            env.built = None
            env.siren = None
            env.set_month(None)
            self.declaration_count += 1
            if len(self.report.declarations) < MAX_DECLARATIONS:
                self.report.declarations.append(self.decl.summary)
            if count == 2 and self.m2m:
                self.add("S20.G00.05.001/CST-11", lineno, "S20.G00.05.001", None)
        elif block == b"S21.G00.30":
            self.indiv = IndividualState(lineno)
            if self.decl is not None:
                self.decl.summary.individuals += 1
        elif block == b"S89.G00.91":
            if self.decl is not None:
                self.decl.non_salaried += 1
        elif block == b"S90.G00.90" and not self.after_s90:
            self.after_s90 = True
            self.watch_envelope = True

    def _close(self, frame: Node) -> None:
        block = frame.block
        stack = self.stack
        if stack and block not in self.dropped:
            parent = stack[-1]
            if parent.children is None:
                parent.children = [frame]
            else:
                parent.children.append(frame)
            parent.kids = None  # its children by block, cached by `Node.kids_of`, changed
        plan = self.on_close.get(block)
        if plan is None:
            return
        required, rules, mandatory = plan
        if required is not None:
            values = frame.values
            nature = self.env.nature
            for fld, rid, natures in required:
                if fld not in values and (natures is None or nature in natures):
                    self.add(
                        "DSNLINK-STR-08",
                        frame.line or None,
                        rid,
                        None,
                        name=rid,
                        block=block.decode(),
                    )
        if rules is not None:
            self._run_rules(frame, rules)
        if mandatory:
            self._check_mandatory(frame, mandatory)
        if block == b"S21.G00.30":
            self._close_individual()
        elif block == b"S20.G00.05":
            self._close_declaration()

    def _check_mandatory(self, frame: Node, mandatory: tuple[tuple[bytes, int], ...]) -> None:
        counts = frame.counts or {}
        for child, minimum in mandatory:
            if counts.get(child, 0) < minimum:
                if child == b"S90.G00.90":
                    self.add("DSNLINK-STR-05", self.lineno, None, None)
                elif child == b"S10.G00.00":
                    continue  # already reported as DSNLINK-STR-07
                else:
                    self.add(
                        "DSNLINK-STR-03",
                        frame.line or None,
                        None,
                        None,
                        block=child.decode(),
                        min=minimum,
                        parent=frame.block.decode() or "l'envoi",
                    )

    def _run_rules(self, node: Node, index: _RuleIndex) -> None:
        values = node.values
        if index.always:
            self._run(node, index.always)
        if index.by_child and node.counts:
            for child, rules in index.by_child.items():
                if child in node.counts:
                    self._run(node, rules)
        for fld, by_value, by_field in index.fields:
            value = values.get(fld)
            if value is None:
                continue
            if by_value is not None:
                gated = by_value.get(value)
                if gated is not None:
                    self._run(node, gated)
            if by_field is not None:
                self._run(node, by_field)

    def _run(self, node: Node, rules: list[_CompiledRule]) -> None:
        env = self.env
        present = node.values.keys()
        for needs, needs_any, check, scan, cid in rules:
            if needs is not None and not present >= needs:
                continue
            if needs_any is not None and present.isdisjoint(needs_any):
                continue
            if check is not None:
                if check(node, env):
                    self._rule_anomaly(cid, node)
            elif scan is not None:
                for bad in scan(node, env):
                    self._rule_anomaly(cid, bad)
