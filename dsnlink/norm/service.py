"""Streaming validation of a DSN file against the norm catalogue of its declared version.

The file is read in chunks and split into lines as bytes (ISO-8859-1 is one byte per character,
so lengths and regexps work on bytes without decoding). Memory stays bounded: the open blocks'
stack, the current declaration's NIR/NTT sets and at most `max_anomalies` listed anomalies.
"""

from __future__ import annotations

import calendar
import gzip
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

from dsnlink.errors import UnreadableInputError
from dsnlink.norm.anomalies import (
    PROJECT_ANOMALIES,
    not_checked_ids,
)
from dsnlink.norm.catalogue import (
    Catalogue,
    get_catalogue_or_raise,
    installed_versions,
)
from dsnlink.norm.schemas import Anomaly, ValidationReport
from dsnlink.norm.structure import BlockTree

CHUNK_SIZE = 1 << 20
PEEK_SIZE = 1 << 16
MAX_LINE = 256  # characters, end of line included
OVERFLOW_KEEP = 300  # bytes kept of an over-long line (enough to report it)
DEFAULT_MAX_ANOMALIES = 1000
DATE_CACHE_SIZE = 4096
LINE_CACHE_SIZE = 8192  # distinct valid lines remembered: the frequent ones come early
ProgressCallback = Callable[[int], None]
Source = IO[bytes] | Iterable[bytes]
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


class _Validator(BlockTree):
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
        super().__init__(
            catalogue,
            report,
            machine_to_machine=machine_to_machine,
            max_anomalies=max_anomalies,
            today=today,
            versions=versions,
        )
        self._build_specs()

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
        # Room left in the line cache, counted here rather than measured on every line.
        room = LINE_CACHE_SIZE - len(self.line_cache)
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
                    place(block, lineno)
                    cur_block, cur_field = block, fld
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
                    add(
                        "DSNLINK-FMT-06",
                        lineno,
                        rid.decode("latin-1"),
                        raw[16:-1],
                        version=self.cat.version,
                    )
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
                place(block, lineno)
                cur_block, cur_field = block, fld
                vals = stack[-1].values
            value = vals[fld] = raw[16:-1]
            if bad_encoding:
                continue
            lv = n - 17
            if lv < mn or lv > mx:
                if lv == 0:
                    add("DSNLINK-FMT-04", lineno, rid, b"")
                elif lv > mx:
                    add(
                        "CSL-01",
                        lineno,
                        rid,
                        value,
                        name=rid,
                        comparison="plus longue que la longueur maximale autorisée",
                        bound=mx,
                    )
                else:
                    add(
                        "CSL-01",
                        lineno,
                        rid,
                        value,
                        name=rid,
                        comparison="plus courte que la longueur minimale autorisée",
                        bound=mn,
                    )
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
            elif room > 0:
                remember(line, (block, fld, value))
                room -= 1
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
            self.add(
                "DSNLINK-ENC-03",
                lineno,
                None,
                raw[:80].decode("latin-1").encode("ascii", "backslashreplace"),
            )
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

    def finish(self) -> None:
        report = self.report
        report.line_count = self.lineno
        if self.lineno == 0:
            self.add("DSNLINK-FMT-05", None, None, None)
            return
        if self.declared_version is None:
            self.add(
                "DSNLINK-NORM-02",
                None,
                "S10.G00.00.006",
                None,
                found="absente",
                used=self.cat.version,
            )
        while self.stack:
            self._close(self.stack.pop())
        if "001" in self.s90:
            declared, lineno = self.s90["001"]
            actual = self.rubric_lines_at_s90
            if actual is None:
                actual = self.lineno - self.non_rubric
            if declared.isdigit() and int(declared) != actual:
                self.add(
                    "DSNLINK-TOT-01",
                    lineno,
                    "S90.G00.90.001",
                    declared,
                    declared=declared,
                    actual=actual,
                )
        elif self.after_s90:
            self.add(
                "DSNLINK-STR-08",
                None,
                "S90.G00.90.001",
                None,
                name="S90.G00.90.001",
                block="S90.G00.90",
            )
        if "002" in self.s90:
            declared, lineno = self.s90["002"]
            if declared.isdigit() and int(declared) != self.declaration_count:
                self.add(
                    "DSNLINK-TOT-02",
                    lineno,
                    "S90.G00.90.002",
                    declared,
                    declared=declared,
                    actual=self.declaration_count,
                )
        elif self.after_s90:
            self.add(
                "DSNLINK-STR-08",
                None,
                "S90.G00.90.002",
                None,
                name="S90.G00.90.002",
                block="S90.G00.90",
            )
        if (
            report.envoi_type is not None
            and self.declaration_count
            and (report.envoi_type == "02") != self.all_without_individual
        ):
            self.add(
                "S10.G00.00.008/CCH-11",
                self.envoi_lines.get("S10.G00.00.008"),
                "S10.G00.00.008",
                report.envoi_type,
            )
        self._single_cause()
        report.anomalies.sort(key=lambda a: a.line if a.line is not None else 1 << 62)
        if report.truncated:
            listed = len(report.anomalies)
            more = report.anomaly_count - listed
            category, message = PROJECT_ANOMALIES["DSNLINK-CAP-01"]
            report.anomalies.append(
                Anomaly(
                    "DSNLINK-CAP-01",
                    category,
                    message.format(cap=listed, more=more),
                    None,
                    None,
                    None,
                )
            )
            report.non_blocking_count += 1


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
