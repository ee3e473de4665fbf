"""Capture what dsnlink's configured logging writes, as parsed JSON lines."""

from __future__ import annotations

import io
import json
from typing import Any

from dsnlink.logs.logging import configure_logging

# A shorter needle could appear in any log by chance (a one-letter "secret" did): refuse it.
MIN_LEAK_NEEDLE = 8


class CapturedLogs:
    """Installs dsnlink's handler on a buffer; `events()` parses what was written."""

    def __init__(self, log_format: str = "json", level: str = "DEBUG") -> None:
        self.buffer = io.StringIO()
        configure_logging(log_format=log_format, level=level, stream=self.buffer)

    @property
    def text(self) -> str:
        return self.buffer.getvalue()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def close(self) -> None:
        configure_logging()

    def assert_free_of(self, *secrets: str) -> None:
        assert self.text, "nothing was logged: the check would prove nothing"
        assert secrets, "no value to look for: the check would prove nothing"
        short = [secret for secret in secrets if len(secret) < MIN_LEAK_NEEDLE]
        assert short == [], f"needles under {MIN_LEAK_NEEDLE} characters prove nothing: {short}"
        leaked = [secret for secret in secrets if secret in self.text]
        assert leaked == [], f"leaked into the logs: {leaked}"
