"""Streaming validation of a DSN file against the norm catalogue of its declared version.

The file is read in chunks and split into lines as bytes (ISO-8859-1 is one byte per character,
so lengths and regexps work on bytes without decoding). Memory stays bounded: the open blocks'
stack, the current declaration's NIR/NTT sets and at most `max_anomalies` listed anomalies.
"""

from __future__ import annotations

import calendar
import contextlib
import gzip
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from stdnum import iban as stdnum_iban
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from dsnlink.errors import UnreadableInputError
from dsnlink.norm.anomalies import (
    KEY_CONTROLS,
    PROJECT_ANOMALIES,
    calendar_control_ids,
    not_checked_ids,
)
from dsnlink.norm.catalogue import (
    VERSION_SHAPE,
    Catalogue,
    get_catalogue_or_raise,
    installed_versions,
    version_for_year,
)
from dsnlink.norm.mandatory import MANDATORY
from dsnlink.norm.rules.registry import rules_for
from dsnlink.norm.rules.scans import Scan
from dsnlink.norm.rules.templates import Check
from dsnlink.norm.schemas import Anomaly, Category, DeclarationSummary, ValidationReport
from dsnlink.norm.tree import Env, Node, parse_date

CHUNK_SIZE = 1 << 20
PEEK_SIZE = 1 << 16
MAX_LINE = 256  # characters, end of line included
OVERFLOW_KEEP = 300  # bytes kept of an over-long line (enough to report it)
DEFAULT_MAX_ANOMALIES = 1000
VALUE_SHOWN = 100
DATE_CACHE_SIZE = 4096
MAX_DECLARATIONS = 10_000  # summaries kept; more S20 blocks are still counted and checked
LINE_CACHE_SIZE = 8192  # distinct valid lines remembered: the frequent ones come early
ROOT = b""

ProgressCallback = Callable[[int], None]
Hook = Callable[[str, str, int], None]
Source = IO[bytes] | Iterable[bytes]
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

_ID_SHAPE = re.compile(rb"S\d\d\.G\d\d\.\d\d\.\d\d\d")
_LOT_PREFIXES = (b"S05.", b"S06.")  # the envelope of a lot of envois, not part of an envoi
_VERSION_LINE = re.compile(rb"(?:^|\n)S10\.G00\.00\.006,'([^'\r\n]{0,20})'")
_UTF8_SEQ = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_C1 = re.compile(rb"[\x80-\x9f]")
# Every byte but the control characters (LF excepted): deleting them leaves the controls.
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 0x20 or b == 0x7F) or b == 0x0A)
_CTRL_LINE = re.compile(rb"[\x00-\x1f\x7f]")

SIGNALEMENT_NATURES = frozenset({"04", "05", "07", "08", "10"})
# The event a signalement reports, from which its 5-working-day deadline runs: last day worked
# before a work stoppage (04), the return to work (05), the end of the contract (07).
EVENT_RUBRICS = {"04": "S21.G00.60.002", "05": "S21.G00.60.010", "07": "S21.G00.62.001"}
GZIP_MAGIC = b"\x1f\x8b"


def _has_controls(data: bytes) -> bool:
    """Whether a chunk holds a control character other than LF and the CR of a CRLF."""
    rest = data.translate(None, _NOT_CONTROL)
    if not rest:
        return False
    if rest.strip(b"\r"):
        return True
    return data.count(b"\r") != data.count(b"\r\n")


def _is_calendar_date(v: bytes) -> bool:
    if len(v) != 8 or not v.isdigit():
        return False
    d, m, y = int(v[:2]), int(v[2:4]), int(v[4:])
    return 1 <= m <= 12 and y >= 1 and 1 <= d <= calendar.monthrange(y, m)[1]


def _is_birth_date(v: bytes) -> bool:
    """DDMMYYYY where day or month may be 00 or 99 when unknown (the norm's tolerance)."""
    if len(v) != 8 or not v.isdigit() or v[4:6] not in (b"18", b"19", b"20"):
        return False
    d, m = int(v[:2]), int(v[2:4])
    if d in (0, 99) or m in (0, 99):
        return (d in (0, 99) or 1 <= d <= 31) and (m in (0, 99) or 1 <= m <= 12)
    return _is_calendar_date(v)


def _nir_key(nir: str) -> int:
    """A NIR (13 characters, digits or 2A/2B, already checked by its regexp) as an int."""
    return int(nir, 36)


def _trailing_nines(nir: str) -> int:
    return len(nir) - len(nir.rstrip("9"))


def _nir_department_forbidden(dept: str, birth_year: int) -> bool:
    return (
        (dept in ("2A", "2B") and birth_year < 1976)
        or (dept == "20" and birth_year >= 1976)
        or (dept == "96" and birth_year >= 1968)
    )


def _key_ok(check: str, value: str, context_siren: str | None) -> bool | None:
    """Key check of an identifier; None when it cannot be checked (no SIREN in context)."""
    if check == "siren":
        return value.isascii() and value.isdigit() and stdnum_siren.is_valid(value)
    if check == "siret":
        return value.isascii() and value.isdigit() and stdnum_siret.is_valid(value)
    if check == "siret_siren":
        return value[:9].isascii() and value[:9].isdigit() and stdnum_siren.is_valid(value[:9])
    if check == "nic":
        if not context_siren or not stdnum_siren.is_valid(context_siren):
            return None
        return value.isascii() and value.isdigit() and stdnum_siret.is_valid(context_siren + value)
    if check == "iban":
        return stdnum_iban.is_valid(value)
    if check == "bban":
        return _french_rib_key_ok(value)
    return None


_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")


def _french_rib_key_ok(iban: str) -> bool | None:
    """The RIB key of a French BBAN (bank 5, branch 5, account 11, key 2; letters of the account
    count as the RIB table says); None for other countries, whose BBAN keys differ."""
    if not iban.startswith("FR") or len(iban) != 27:
        return None
    bban = iban[4:].upper().translate(_RIB_LETTERS)
    if not bban.isdigit():
        return False
    bank, branch, account, key = int(bban[:5]), int(bban[5:10]), int(bban[10:21]), int(bban[21:])
    return (89 * bank + 15 * branch + 3 * account + key) % 97 == 0


@dataclass(slots=True)
class _Individual:
    line: int
    nir: str | None = None
    nir_line: int | None = None
    birth: str | None = None
    birth_line: int | None = None
    ntt: str | None = None


@dataclass(slots=True)
class _Declaration:
    summary: DeclarationSummary
    lines: dict[str, int] = field(default_factory=dict)
    # NIRs seen, as base-36 integers: half the memory of strings on big declarations.
    nirs: set[int] = field(default_factory=set)
    ntts: set[str] = field(default_factory=set)
    non_salaried: int = 0


class _Validator:
    """State of one validation; `feed` is the hot loop, everything else the slow paths."""

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
        self.decl: _Declaration | None = None
        self.declaration_count = 0
        self.all_without_individual = True  # every declaration so far: nature 01, type 02/05
        self.indiv: _Individual | None = None
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
        self._build_specs()

    # -- catalogue compiled for the hot loop ---------------------------------------------------

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
                block, rid[11:].encode(), r.min, r.max, r.pattern, values, kind, hook, rid,
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

    def _with_keys(self, rid: str, hook: Hook | None) -> Hook:
        checks = self.key_checks[rid]

        def run(rid: str, value: str, lineno: int) -> None:
            for cid, check, ctx in checks:
                if _key_ok(check, value, self.context.get(ctx) if ctx else None) is False:
                    self.add(cid, lineno, rid, value)
            if hook is not None:
                hook(rid, value, lineno)

        return run

    # -- anomalies -----------------------------------------------------------------------------

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

    # -- the hot loop --------------------------------------------------------------------------

    def feed(self, lines: list[bytes], non_ascii: bool, controls: bool, crlf: bool) -> None:
        """Validate complete lines (without LF).

        The flags say what the chunk may hold (found by one C-speed scan of the whole chunk):
        bytes above 0x7F, control characters, CR before LF.
        """
        specs = self.specs
        cur_block = self.cur_block
        cur_field = self.cur_field
        first = self.lineno + 1
        date_cache = self.date_cache
        known_line = self.line_cache.get
        remember = self.line_cache.__setitem__
        add = self.add
        place = self._place
        stack = self.stack
        vals = stack[-1].values
        for lineno, raw in enumerate(lines, first):
            known = known_line(raw)
            if known is not None:
                # Byte-identical to a line already found valid: only its place in the tree is new.
                block, fld, value = known
                if block is cur_block and fld > cur_field:
                    cur_field = fld
                else:
                    self.cur_field = cur_field
                    cur_block, cur_field = place(block, fld, lineno)
                    vals = stack[-1].values
                vals[fld] = value
                continue
            line = raw
            n = len(raw)
            if crlf and raw[-1:] == b"\r":
                raw = raw[:-1]
                n -= 1
                if n > MAX_LINE - 2:
                    self._too_long(raw, lineno)
                    continue
            elif n > MAX_LINE - 1:
                self._too_long(raw, lineno)
                continue
            bad_encoding = False
            if (non_ascii and not raw.isascii()) or (controls and _CTRL_LINE.search(raw)):
                bad_encoding = self._encoding(raw, lineno)
            if n < 17 or raw[14] != 44 or raw[15] != 39 or raw[-1] != 39:
                self.non_rubric += 1
                if n == 0:
                    add("DSNLINK-FMT-02", lineno, None, None)
                elif not bad_encoding:
                    add("DSNLINK-FMT-03", lineno, None, raw)
                continue
            spec = specs.get(raw[:14])
            if spec is None:
                rid = raw[:14]
                if rid.startswith(_LOT_PREFIXES) and _ID_SHAPE.fullmatch(rid):
                    self.non_rubric += 1
                    if self.lot_line is None:
                        self.lot_line = lineno
                elif _ID_SHAPE.fullmatch(rid):
                    add("DSNLINK-FMT-06", lineno, rid.decode("latin-1"), raw[16:-1],
                        version=self.cat.version)
                else:
                    self.non_rubric += 1
                    if not bad_encoding:
                        add("DSNLINK-FMT-03", lineno, None, raw)
                continue
            block, fld, mn, mx, pattern, values, kind, hook, rid = spec
            if block is cur_block and fld > cur_field:
                cur_field = fld
            else:
                self.cur_field = cur_field
                cur_block, cur_field = place(block, fld, lineno)
                vals = stack[-1].values
            value = vals[fld] = raw[16:-1]
            if bad_encoding:
                continue
            lv = n - 17
            if lv < mn or lv > mx:
                if lv == 0:
                    add("DSNLINK-FMT-04", lineno, rid, b"")
                elif lv > mx:
                    add("CSL-01", lineno, rid, value, name=rid,
                        comparison="plus longue que la longueur maximale autorisée", bound=mx)
                else:
                    add("CSL-01", lineno, rid, value, name=rid,
                        comparison="plus courte que la longueur minimale autorisée", bound=mn)
                continue
            if pattern is not None and pattern.fullmatch(raw, 16, n - 1) is None:
                self._format_error(rid, raw[16:-1], lineno)
                continue
            if values is not None or kind:
                if values is not None and value not in values:
                    add("DSNLINK-VAL-03", lineno, rid, value)
                    continue
                if kind:
                    ok = date_cache.get(value)
                    if ok is None:
                        ok = _is_calendar_date(value) if kind == 1 else _is_birth_date(value)
                        if len(date_cache) < DATE_CACHE_SIZE:
                            date_cache[value] = ok
                    if not ok:
                        add(self.calendar_ids.get(rid, "DSNLINK-VAL-04"), lineno, rid, value)
                        continue
            if hook is not None:
                self.lineno = lineno
                hook(rid, value.decode("latin-1"), lineno)
            elif len(self.line_cache) < LINE_CACHE_SIZE:
                remember(line, (block, fld, value))
        self.cur_block = cur_block
        self.cur_field = cur_field
        self.lineno = first - 1 + len(lines)

    def _too_long(self, raw: bytes, lineno: int) -> None:
        """A line over 256 characters: reported once; still counted as a rubric line when it
        starts like one, as the deposit point counts it in S90.G00.90.001."""
        if not (len(raw) > 16 and raw[14:16] == b",'" and _ID_SHAPE.fullmatch(raw[:14])):
            self.non_rubric += 1
        elif raw[:10] == self.stack[-1].block:
            # Present, though unreadable: not also "mandatory rubric missing".
            self.stack[-1].values.setdefault(raw[11:14], raw[16:80])
        self.add("DSNLINK-FMT-01", lineno, None, raw[:80])

    def _encoding(self, raw: bytes, lineno: int) -> bool:
        if _UTF8_SEQ.search(raw):
            self.add("DSNLINK-ENC-01", lineno, None, raw[:80])
        elif _C1.search(raw):
            self.add("DSNLINK-ENC-02", lineno, None, raw[:80])
        elif _CTRL_LINE.search(raw):
            self.add("DSNLINK-ENC-03", lineno, None, raw[:80].decode("latin-1").encode(
                "ascii", "backslashreplace"))
        else:
            return False
        return True

    def _format_error(self, rid: str, value: bytes, lineno: int) -> None:
        rubric = self.cat.rubrics[rid]
        regex = rubric.regex or ""
        if rubric.kind == "numeric" and "\\." in regex:
            decimals = value.rsplit(b".", 1)[1] if b"." in value else b""
            if (
                b"," in value
                or b"." not in value
                or len(decimals) != 2
                or (value.startswith(b"-") and not rubric.signed)
            ):
                self.add("DSNLINK-VAL-05", lineno, rid, value)
                return
        self.add("DSNLINK-VAL-02", lineno, rid, value, regex=regex)

    # -- structure -----------------------------------------------------------------------------

    def _place(self, block: bytes, fld: bytes, lineno: int) -> tuple[bytes, bytes]:
        """Open the occurrence of `block` that this line starts; returns the new (block, field)."""
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
                self.add("DSNLINK-STR-01", lineno, None, None, block=block.decode(),
                         parent=parent_block.decode() or "(racine)")
                stack.append(Node(block, lineno, orphan=True))
                return block, fld
        parent = stack[-1]
        counts = parent.counts
        if counts is None:
            counts = parent.counts = {}
        count = counts.get(block, 0) + 1
        counts[block] = count
        if upper is not None and count == upper + 1:
            self.add("DSNLINK-STR-02", lineno, None, None, block=block.decode(), max=upper)
        if rank < parent.last_rank:
            self.add("DSNLINK-STR-04", lineno, None, None, block=block.decode(),
                     previous=parent.last_child.decode())
        else:
            parent.last_rank = rank
            parent.last_child = block
        stack.append(Node(block, lineno))
        if block in self.openers:
            self._opened(block, count, lineno)
        return block, fld

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
            self.decl = _Declaration(DeclarationSummary(line=lineno))
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
            self.indiv = _Individual(lineno)
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
        if block not in self.dropped and self.stack:
            parent = self.stack[-1]
            if parent.children is None:
                parent.children = [frame]
            else:
                parent.children.append(frame)
        if block not in self.closers:
            return
        required = self.required.get(block)
        if required is not None:
            values = frame.values
            nature = self.env.nature
            for fld, rid, natures in required:
                if fld not in values and (natures is None or nature in natures):
                    self.add("DSNLINK-STR-08", frame.line or None, rid, None, name=rid,
                             block=block.decode())
        rules = self.rules.get(block)
        if rules is not None:
            self._run_rules(frame, rules)
        counts = frame.counts or {}
        for child, minimum in self.mandatory.get(frame.block, ()):
            if counts.get(child, 0) < minimum:
                if child == b"S90.G00.90":
                    self.add("DSNLINK-STR-05", self.lineno, None, None)
                elif child == b"S10.G00.00":
                    continue  # already reported as DSNLINK-STR-07
                else:
                    self.add("DSNLINK-STR-03", frame.line or None, None, None,
                             block=child.decode(), min=minimum,
                             parent=frame.block.decode() or "l'envoi")
        if frame.block == b"S21.G00.30":
            self._close_individual()
        elif frame.block == b"S20.G00.05":
            self._close_declaration()

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

    def _rule_anomaly(self, cid: str, node: Node) -> None:
        rubric = cid.split("/", 1)[0]
        fld = rubric[11:]
        if node.block == rubric[:10].encode() and fld.encode() in node.values:
            self.add(cid, node.line_of(fld), rubric, node.get(fld))
        else:
            self.add(cid, node.line or None, rubric, None)

    # -- value hooks ---------------------------------------------------------------------------

    def _h_envoi(self, rid: str, value: str, lineno: int) -> None:
        self.envoi_lines[rid] = lineno
        if rid == "S10.G00.00.005":
            self.report.test_or_real = value
        else:
            self.report.envoi_type = value

    def _h_version(self, rid: str, value: str, lineno: int) -> None:
        self.declared_version = value
        self.envoi_lines["S10.G00.00.006"] = lineno
        if value in self.versions:
            return
        if VERSION_SHAPE.fullmatch(value):
            self.missing_norm = (value, lineno)
        else:
            self.add("DSNLINK-NORM-02", lineno, "S10.G00.00.006", value, found=value,
                     used=self.cat.version)

    def _h_context(self, rid: str, value: str, lineno: int) -> None:
        self.context[rid] = value

    def _h_decl(self, rid: str, value: str, lineno: int) -> None:
        decl = self.decl
        if decl is None:
            return
        decl.lines[rid] = lineno
        s = decl.summary
        if rid.endswith("001"):
            s.nature = value
        elif rid.endswith("002"):
            s.type = value
        elif rid.endswith("003"):
            s.fraction = value
        elif rid.endswith("004"):
            s.order_number = value
        elif rid.endswith("005"):
            s.month = f"{value[4:8]}-{value[2:4]}"
            self.env.set_month(parse_date(value))
        elif rid.endswith("006"):
            s.replaced_id = value
        else:
            self.env.built = parse_date(value)
        self.env.nature, self.env.type = s.nature, s.type

    def _h_event(self, rid: str, value: str, lineno: int) -> None:
        decl = self.decl
        if decl is None or EVENT_RUBRICS.get(decl.summary.nature or "") != rid:
            return
        try:
            event = date(int(value[4:8]), int(value[2:4]), int(value[0:2])).isoformat()
        except ValueError:
            return  # the date control reports it
        if decl.summary.event_date is None or event < decl.summary.event_date:
            decl.summary.event_date = event

    def _h_siren(self, rid: str, value: str, lineno: int) -> None:
        self.context["S21.G00.06.001"] = value
        self.env.siren = value
        if self.decl is not None:
            self.decl.summary.siren = value

    def _h_nic(self, rid: str, value: str, lineno: int) -> None:
        if self.decl is not None:
            self.decl.summary.nic = value

    def _h_nir(self, rid: str, value: str, lineno: int) -> None:
        if self.indiv is not None:
            self.indiv.nir = value
            self.indiv.nir_line = lineno

    def _h_birth(self, rid: str, value: str, lineno: int) -> None:
        if self.indiv is not None:
            self.indiv.birth = value
            self.indiv.birth_line = lineno

    def _h_ntt(self, rid: str, value: str, lineno: int) -> None:
        if value[:1] not in ("1", "2"):
            self.add(f"{rid}/CSL-11", lineno, rid, value)
        if " " in value:
            self.add(f"{rid}/CSL-12", lineno, rid, value)
        siren = self.decl.summary.siren if self.decl is not None else None
        if siren and value[1:10] != siren:
            self.add(f"{rid}/CCH-13", lineno, rid, value)
        if self.indiv is not None:
            self.indiv.ntt = value
        if self.decl is not None:
            if value in self.decl.ntts:
                self.add(f"{rid}/CCH-14", lineno, rid, value)
            self.decl.ntts.add(value)

    def _h_total(self, rid: str, value: str, lineno: int) -> None:
        self.s90[rid[-3:]] = (value, lineno)

    # -- closing rules -------------------------------------------------------------------------

    def _reference_year(self) -> int:
        month = self.decl.summary.month if self.decl is not None else None
        if month and month[:4].isdigit():
            return int(month[:4])
        return self.today.year

    def _close_individual(self) -> None:
        ind, self.indiv = self.indiv, None
        if ind is None:
            return
        decl = self.decl
        nir = ind.nir
        birth_year = int(ind.birth[4:8]) if ind.birth else None
        if nir is not None:
            rid = "S21.G00.30.001"
            if nir in ("1999999999999", "2999999999999"):
                self.add(f"{rid}/CCH-13", ind.nir_line, rid, nir)
            elif _trailing_nines(nir) > 5:
                self.add(f"{rid}/CCH-16", ind.nir_line, rid, nir)
            if decl is not None:
                key = _nir_key(nir)
                if key in decl.nirs:
                    self.add(f"{rid}/CCH-14", ind.nir_line, rid, nir)
                decl.nirs.add(key)
            if birth_year is not None and ind.birth is not None and nir[1:] != "9" * 12:
                if _nir_department_forbidden(nir[5:7], birth_year):
                    self.add(f"{rid}/CCH-11", ind.nir_line, rid, nir)
                if nir[1:3] != ind.birth[6:8]:
                    self.add("S21.G00.30.006/CCH-11", ind.birth_line, "S21.G00.30.006", ind.birth)
        elif ind.ntt is None:
            self.add("S21.G00.30.020/CCH-12", ind.line, "S21.G00.30.020", None)
        if birth_year is not None:
            # Official: birth year <= current year and > current year - 120.
            age = self._reference_year() - birth_year
            if not 0 <= age < 120:
                self.add("S21.G00.30.006/CCH-12", ind.birth_line, "S21.G00.30.006", ind.birth)

    def _close_declaration(self) -> None:
        if self.indiv is not None:
            self._close_individual()
        decl, self.decl = self.decl, None
        if decl is None:
            return
        s = decl.summary
        line = decl.lines.get
        if not (s.nature == "01" and s.type in ("02", "05")):
            self.all_without_individual = False
        individuals = s.individuals + decl.non_salaried
        t, nature = s.type, s.nature
        type_line = line("S20.G00.05.002", s.line)
        if t == "04" and nature not in (None, "07", "08", "09"):
            self.add("S20.G00.05.002/CCH-13", type_line, "S20.G00.05.002", t)
        if t in ("02", "05") and nature not in (None, "01"):
            self.add("S20.G00.05.002/CCH-14", type_line, "S20.G00.05.002", t)
        if t == "03" and nature == "08":
            self.add("S20.G00.05.002/CCH-15", type_line, "S20.G00.05.002", t)
        if t in ("01", "03") and individuals == 0:
            self.add("S20.G00.05.002/CCH-16", type_line, "S20.G00.05.002", t)
        if nature == "08" and individuals != 1:
            self.add("S20.G00.05.001/CCH-11", line("S20.G00.05.001", s.line), "S20.G00.05.001",
                     nature)
        if nature in self.signalements and s.fraction is not None and s.fraction != "11":
            self.add("S20.G00.05.003/CCH-11", line("S20.G00.05.003", s.line), "S20.G00.05.003",
                     s.fraction)
        if s.replaced_id is not None and t not in (None, "03", "04"):
            self.add("S20.G00.05.006/CCH-12", line("S20.G00.05.006", s.line), "S20.G00.05.006",
                     s.replaced_id)
        if (
            s.month is not None
            and self.declared_version is not None
            and s.month[:4].isdigit()
            and self.missing_norm is None
        ):
            expected = version_for_year(int(s.month[:4]), self.versions)
            if expected != self.declared_version:
                self.add("DSNLINK-NORM-01", line("S20.G00.05.005"), "S20.G00.05.005",
                         s.month, version=self.declared_version, month=s.month,
                         expected=expected or "aucune version installée")

    def finish(self) -> None:
        report = self.report
        report.line_count = self.lineno
        if self.lineno == 0:
            self.add("DSNLINK-FMT-05", None, None, None)
            return
        if self.declared_version is None:
            self.add("DSNLINK-NORM-02", None, "S10.G00.00.006", None, found="absente",
                     used=self.cat.version)
        while self.stack:
            self._close(self.stack.pop())
        if "001" in self.s90:
            declared, lineno = self.s90["001"]
            actual = self.rubric_lines_at_s90
            if actual is None:
                actual = self.lineno - self.non_rubric
            if declared.isdigit() and int(declared) != actual:
                self.add("DSNLINK-TOT-01", lineno, "S90.G00.90.001", declared,
                         declared=declared, actual=actual)
        elif self.after_s90:
            self.add("DSNLINK-STR-08", None, "S90.G00.90.001", None,
                     name="S90.G00.90.001", block="S90.G00.90")
        if "002" in self.s90:
            declared, lineno = self.s90["002"]
            if declared.isdigit() and int(declared) != self.declaration_count:
                self.add("DSNLINK-TOT-02", lineno, "S90.G00.90.002", declared,
                         declared=declared, actual=self.declaration_count)
        elif self.after_s90:
            self.add("DSNLINK-STR-08", None, "S90.G00.90.002", None,
                     name="S90.G00.90.002", block="S90.G00.90")
        if (
            report.envoi_type is not None
            and self.declaration_count
            and (report.envoi_type == "02") != self.all_without_individual
        ):
            self.add("S10.G00.00.008/CCH-11", self.envoi_lines.get("S10.G00.00.008"),
                     "S10.G00.00.008", report.envoi_type)
        self._single_cause()
        report.anomalies.sort(key=lambda a: a.line if a.line is not None else 1 << 62)
        if report.truncated:
            listed = len(report.anomalies)
            more = report.anomaly_count - listed
            category, message = PROJECT_ANOMALIES["DSNLINK-CAP-01"]
            report.anomalies.append(Anomaly("DSNLINK-CAP-01", category,
                                            message.format(cap=listed, more=more), None, None,
                                            None))
            report.non_blocking_count += 1


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


def _chunks(source: Source) -> Iterator[bytes]:
    read = getattr(source, "read", None)
    chunks: Iterable[Any] = iter(lambda: read(CHUNK_SIZE), b"") if read is not None else source
    for chunk in chunks:
        if isinstance(chunk, str):
            raise UnreadableInputError("a DSN is read as bytes, not text (open it in binary mode)")
        if chunk:
            yield bytes(chunk)


def _peek_version(head: bytes) -> str | None:
    match = _VERSION_LINE.search(head)
    return match.group(1).decode("latin-1") if match else None


def validate_stream(
    source: Source,
    *,
    filename: str = "-",
    on_progress: ProgressCallback | None = None,
    machine_to_machine: bool = True,
    max_anomalies: int = DEFAULT_MAX_ANOMALIES,
    today: date | None = None,
    data_dir: Path | str | None = None,
) -> ValidationReport:
    """Validate a DSN read from a binary file object or an iterable of (decompressed) chunks.

    `machine_to_machine` enables CST-11 (one declaration per envoi); `today` is the reference
    date for ages when no declared month is known; `on_progress(bytes_read)` is called per chunk;
    `data_dir` is where `dsnlink norm import` put imported catalogues (settings.data_dir).
    """
    chunks = _chunks(source)
    head = b""
    pending: list[bytes] = []
    for chunk in chunks:
        pending.append(chunk)
        head += chunk[: PEEK_SIZE - len(head)]
        if len(head) >= PEEK_SIZE:
            break
    found = _peek_version(head)
    versions = installed_versions(data_dir)
    version = found if found in versions else versions[-1]
    catalogue = get_catalogue_or_raise(version, data_dir)
    report = ValidationReport(file=filename, norm_version=found or None)
    report.not_checked = not_checked_ids(catalogue)
    validator = _Validator(
        catalogue,
        report,
        machine_to_machine=machine_to_machine,
        max_anomalies=max_anomalies,
        today=today or date.today(),
        versions=versions,
    )
    carry = b""
    bytes_read = 0

    def all_chunks() -> Iterator[bytes]:
        yield from pending
        yield from chunks

    for chunk in all_chunks():
        bytes_read += len(chunk)
        data = carry + chunk if carry else chunk
        lines = data.split(b"\n")
        carry = lines.pop()
        if len(carry) > OVERFLOW_KEEP * 4:
            carry = carry[:OVERFLOW_KEEP]  # an over-long line: its head is enough to report it
        validator.feed(lines, not data.isascii(), _has_controls(data), b"\r" in data)
        if on_progress is not None:
            on_progress(bytes_read)
    if carry:
        validator.feed([carry], True, True, True)
    report.bytes_read = bytes_read
    validator.finish()
    return report


def validate_path(
    path: str | Path,
    *,
    on_progress: ProgressCallback | None = None,
    machine_to_machine: bool = True,
    max_anomalies: int = DEFAULT_MAX_ANOMALIES,
    today: date | None = None,
    data_dir: Path | str | None = None,
) -> ValidationReport:
    """Validate a DSN file, plain or gzip (recognised by its magic bytes).

    Raises UnreadableInputError for a missing file, a directory or a corrupt gzip stream.
    `on_progress` receives the number of bytes read from the file on disk.
    """
    p = Path(path)
    try:
        raw = p.open("rb")
    except (FileNotFoundError, IsADirectoryError, PermissionError, OSError) as exc:
        reason = exc.strerror or type(exc).__name__
        raise UnreadableInputError(f"{p}: {reason}", path=str(p)) from exc
    with raw:
        try:
            magic = raw.read(2)
            raw.seek(0)
        except OSError as exc:
            raise UnreadableInputError(f"{p}: {exc.strerror or exc}", path=str(p)) from exc
        stream: IO[bytes] = raw
        progress = on_progress
        if magic == GZIP_MAGIC:
            stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
            if on_progress is not None:
                def progress(_: int) -> None:
                    on_progress(raw.tell())
        try:
            return validate_stream(
                stream,
                filename=str(path),
                on_progress=progress,
                machine_to_machine=machine_to_machine,
                max_anomalies=max_anomalies,
                today=today,
                data_dir=data_dir,
            )
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise UnreadableInputError(f"{p}: corrupt gzip data ({exc})", path=str(p)) from exc
        except IsADirectoryError as exc:
            raise UnreadableInputError(f"{p}: is a directory", path=str(p)) from exc
        except OSError as exc:
            raise UnreadableInputError(f"{p}: {exc.strerror or exc}", path=str(p)) from exc


__all__ = ["validate_path", "validate_stream"]
