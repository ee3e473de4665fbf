"""`python -m mock_netentreprises --port 8081 [...]`: serve the mock deposit point."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mock_netentreprises.config import (
    DEFAULT_RETURN_DELAYS,
    DepositThenFail,
    ForcedOutcome,
    MockConfig,
    load_accounts,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mock_netentreprises",
        description="Mock of the net-entreprises.fr API DSN deposit point (/1.0/ XML, /2.0/ JSON).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--config", type=Path, help="JSON file of MockConfig fields")
    parser.add_argument("--accounts", type=Path, help="JSON list of extra accounts")
    parser.add_argument("--state-file", type=Path, help="mirror the state to this JSON file")
    parser.add_argument("--fail-rate", type=float, help="share of API calls answered 503")
    parser.add_argument("--error-rate", type=float, help="share of API calls answered 500")
    parser.add_argument("--latency", type=float, help="seconds added to every API call")
    parser.add_argument("--hang-rate", type=float, help="share of API calls that hang")
    parser.add_argument("--hang-seconds", type=float, help="how long a hanging call sleeps")
    parser.add_argument(
        "--token-lifetime",
        type=float,
        help="seconds a token stays valid (the login's Expires header stays 2 min)",
    )
    parser.add_argument("--lock-after", type=int, help="failed logins that lock an account")
    parser.add_argument(
        "--return-delay",
        action="append",
        default=[],
        metavar="NATURE=SECONDS",
        help=f"delay before a return nature is published ({', '.join(DEFAULT_RETURN_DELAYS)})",
    )
    parser.add_argument("--overwrite-after", type=float, help="seconds before the 61 is rewritten")
    parser.add_argument("--no-overwrite", action="store_true", help="never overwrite a return")
    parser.add_argument("--force", choices=[f.value for f in ForcedOutcome])
    parser.add_argument("--deposit-then-fail", choices=[m.value for m in DepositThenFail])
    parser.add_argument("--deposit-then-fail-rate", type=float)
    parser.add_argument("--deposit-then-fail-count", type=int)
    parser.add_argument("--accept-unknown-declarants", action="store_true", default=None)
    parser.add_argument("--timezone", help="zone of dates in paths and listings")
    parser.add_argument("--seed", type=int, help="seed of the failure-injection dice")
    parser.add_argument("--log-level", default="info")
    return parser


def config_from_args(args: argparse.Namespace) -> MockConfig:
    """The MockConfig the flags describe: --config file first, then each flag given."""
    values: dict[str, Any] = {}
    if args.config is not None:
        values.update(json.loads(args.config.read_text(encoding="utf-8")))
    for name in (
        "fail_rate",
        "error_rate",
        "latency",
        "hang_rate",
        "hang_seconds",
        "token_lifetime",
        "lock_after",
        "overwrite_after",
        "force",
        "deposit_then_fail",
        "deposit_then_fail_rate",
        "deposit_then_fail_count",
        "accept_unknown_declarants",
        "timezone",
        "seed",
    ):
        value = getattr(args, name)
        if value is not None:
            values[name] = value
    if args.no_overwrite:
        values["overwrite_after"] = None
    delays = dict(values.get("return_delays", {}))
    for item in args.return_delay:
        nature, sep, seconds = item.partition("=")
        if not sep:
            raise ValueError(f"--return-delay expects NATURE=SECONDS, got {item!r}")
        delays[nature.strip()] = float(seconds)
    if delays:
        values["return_delays"] = delays
    config = MockConfig.model_validate(values)
    if args.accounts is not None:
        config = config.with_accounts(load_accounts(args.accounts))
    return config


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except (OSError, ValueError, ValidationError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"mock_netentreprises: {message}", file=sys.stderr)
        return 2
    import uvicorn

    from mock_netentreprises.app import create_app

    app = create_app(config, state_file=args.state_file)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
