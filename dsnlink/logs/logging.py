"""One logging setup for every dsnlink process: structlog, JSON or console, redacted.

`configure_logging(settings)` routes the standard library's records (ours, uvicorn's, httpx's)
through the same structlog processors, so every line carries the request id, tenant id and
declaration id of its context and passes through `redact_event` last. It is idempotent: the
gateway's factory and the CLI entry points may both call it.

Context fields live in a per-context dict (`log_context`) rather than in structlog's own
contextvars: a field bound inside a dependency that runs in a worker thread (the tenant id found
by authentication) is then seen by the middleware's access line, which runs outside it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

import structlog

from dsnlink.logs.redaction import redact_event

LOG_FORMATS = ("json", "console")
_fields: ContextVar[dict[str, Any] | None] = ContextVar("dsnlink_log_fields", default=None)


@contextmanager
def log_context(**fields: Any) -> Iterator[dict[str, Any]]:
    """Fields added to every log event inside the block (and threads started from it)."""
    parent = _fields.get() or {}
    current = {**parent, **{k: v for k, v in fields.items() if v is not None}}
    token = _fields.set(current)
    try:
        yield current
    finally:
        _fields.reset(token)


def bind_log_fields(**fields: Any) -> None:
    """Add fields to the innermost `log_context` (visible to its whole block), or start one."""
    current = _fields.get()
    if current is None:
        current = {}
        _fields.set(current)
    current.update({k: str(v) for k, v in fields.items() if v is not None})


def current_log_fields() -> dict[str, Any]:
    return dict(_fields.get() or {})


def _drop_message_copy(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    # ExtraAdder copies the stdlib record's formatted `message`, already the `event`.
    if event_dict.get("message") == event_dict.get("event"):
        event_dict.pop("message", None)
    return event_dict


def _merge_fields(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    for key, value in (_fields.get() or {}).items():
        event_dict.setdefault(key, value)
    return event_dict


class _StderrHandler(logging.Handler):
    """Writes to the *current* sys.stderr, so test capture and redirection see the lines."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = self._stream or sys.stderr
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


_HANDLER_NAME = "dsnlink"


def configure_logging(
    *, log_format: str = "json", level: str | int = "INFO", stream: TextIO | None = None
) -> None:
    """Install the dsnlink handler on the root logger (replacing a previous one of ours)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    shared: list[Any] = [
        _merge_fields,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        timestamper,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_message_copy],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.StackInfoRenderer(),
            redact_event,
            renderer,
        ],
    )
    handler = _StderrHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # uvicorn's own handlers would print unredacted lines past ours; let them propagate instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    # httpx logs every request line at INFO (URLs of the deposit point): keep it for debugging.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> Any:
    """A structlog logger writing through the configured handler."""
    return structlog.stdlib.get_logger(name)
