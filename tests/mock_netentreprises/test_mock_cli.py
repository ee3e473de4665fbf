"""`python -m mock_netentreprises` flags become a MockConfig; bad input is one line, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from mock_helpers import DECLARANT, identifiants

from mock_netentreprises import create_app
from mock_netentreprises.__main__ import build_parser, config_from_args
from mock_netentreprises.config import DepositThenFail, ForcedOutcome


def test_flags_map_to_the_config(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.json"
    accounts.write_text(
        json.dumps(
            [
                {
                    "siret": "73282932000074",
                    "nom": "DEMO",
                    "prenom": "Tenant",
                    "motdepasse": "pw",
                    "services": ["25"],
                }
            ]
        )
    )
    args = build_parser().parse_args(
        [
            "--fail-rate",
            "0.3",
            "--error-rate",
            "0.1",
            "--latency",
            "0.5",
            "--hang-rate",
            "0.05",
            "--hang-seconds",
            "40",
            "--token-lifetime",
            "7200",
            "--return-delay",
            "11=1",
            "--return-delay",
            "94=3600",
            "--force",
            "BAN",
            "--deposit-then-fail",
            "drop",
            "--deposit-then-fail-count",
            "1",
            "--no-overwrite",
            "--accounts",
            str(accounts),
            "--seed",
            "3",
        ]
    )
    config = config_from_args(args)
    assert (config.fail_rate, config.error_rate, config.latency) == (0.3, 0.1, 0.5)
    assert (config.hang_rate, config.hang_seconds, config.token_lifetime) == (0.05, 40, 7200)
    assert config.return_delay("11") == 1 and config.return_delay("94") == 3600
    assert config.return_delay("61") == 10
    assert config.force is ForcedOutcome.BAN
    assert config.deposit_then_fail is DepositThenFail.DROP
    assert config.deposit_then_fail_count == 1
    assert config.overwrite_after is None
    assert config.seed == 3
    assert config.accounts[0].siret == "73282932000074"
    assert len(config.accounts) == 4


async def test_an_accounts_file_overrides_a_built_in_identity(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.json"
    siret, nom, prenom, old_password = DECLARANT
    changed = {"siret": siret, "nom": nom.upper(), "prenom": prenom, "motdepasse": "Nouveau01"}
    accounts.write_text(json.dumps([{**changed, "services": ["25"]}]))
    config = config_from_args(build_parser().parse_args(["--accounts", str(accounts)]))
    assert len(config.accounts) == 3
    transport = httpx.ASGITransport(app=create_app(config))
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        for password, service, status in [
            (old_password, "25", 401),
            ("Nouveau01", "97", 401),
            ("Nouveau01", "25", 200),
        ]:
            body = identifiants(siret, nom, prenom, password, service)
            response = await http.post("/authentifier/1.0/", content=body)
            assert response.status_code == status, (password, service)


@pytest.mark.parametrize(
    "argv",
    [["--return-delay", "11"], ["--return-delay", "77=1"], ["--fail-rate", "3"]],
    ids=["no-equals", "unknown-nature", "rate>1"],
)
def test_bad_flags_exit_2_with_one_line(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_netentreprises", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("mock_netentreprises: ")
    assert len(result.stderr.strip().splitlines()) == 1
