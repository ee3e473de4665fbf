"""The operator's commands: incidents, maintenances, backup/list/restore, retention purge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from api.cli import main
from dsnlink.config import get_settings


@pytest.fixture
def env(cli_env: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """The CLI's environment, with two backup destinations."""
    cli_env.setenv("DSNLINK_BACKUP_DIRS", f"{tmp_path / 'b1'},{tmp_path / 'b2'}")
    get_settings.cache_clear()
    return cli_env


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("dsnlink: error: ") and err.count("\n") == 1
    return err


def test_incidents_by_command(
    env: pytest.MonkeyPatch, db_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "contract",
        "incident",
        "add",
        "--start",
        "2026-11-02T09:00",
        "--end",
        "2026-11-02T10:00",
        "--cause",
        "outage",
        "--note",
        "panne disque",
    ]
    assert main(argv) == 0
    assert (
        main(
            [
                "contract",
                "incident",
                "add",
                "--start",
                "2026-11-03T09:00:00Z",
                "--cause",
                "third_party",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["contract", "incident", "list", "--month", "2026-11", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    # Without an offset, times are Paris time: 09:00 in November is 08:00 UTC.
    assert [(i["start"], i["end"], i["cause"], i["note"]) for i in listed] == [
        ("2026-11-02T08:00:00+00:00", "2026-11-02T09:00:00+00:00", "outage", "panne disque"),
        ("2026-11-03T09:00:00+00:00", None, "third_party", None),
    ]
    assert (
        main(["contract", "incident", "end", listed[1]["id"], "--end", "2026-11-03T11:00:00Z"]) == 0
    )
    assert (
        main(["contract", "incident", "end", listed[1]["id"], "--end", "2026-11-03T12:00:00Z"]) == 2
    )
    assert "already ended" in _one_line_error(capsys)
    assert main(["contract", "incident", "add", "--start", "yesterday", "--cause", "outage"]) == 2
    _one_line_error(capsys)


def test_maintenance_by_command_is_validated(
    env: pytest.MonkeyPatch, db_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    late = [
        "contract",
        "maintenance",
        "add",
        "--start",
        "2000-01-04T01:00:00Z",
        "--end",
        "2000-01-04T02:00:00Z",
        "--reason",
        "trop tard",
    ]
    assert main(late) == 2
    assert "48 h" in _one_line_error(capsys)
    assert main([*late, "--urgent"]) == 0
    future = [
        "contract",
        "maintenance",
        "add",
        "--start",
        "2099-01-06T01:00:00Z",
        "--end",
        "2099-01-06T02:00:00Z",
        "--reason",
        "montée de version",
    ]
    assert main(future) == 0
    capsys.readouterr()
    assert main(["contract", "maintenance", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(m["kind"], m["reason"]) for m in listed] == [("planned", "montée de version")]


def test_backup_list_restore_and_purge_by_command(
    env: pytest.MonkeyPatch,
    db_engine: Engine,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    assert main(["tenant", "create", "Acme", "--admin", "rh@acme.example", "--no-key"]) == 0
    capsys.readouterr()
    assert main(["backup", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert [Path(b["path"]).parent for b in made] == [tmp_path / "b1", tmp_path / "b2"]
    assert main(["backup", "list"]) == 0
    assert capsys.readouterr().out.count(made[0]["name"]) == 2

    assert main(["restore", made[0]["name"]]) == 2
    assert "--yes" in _one_line_error(capsys)
    assert main(["tenant", "create", "Later", "--admin", "rh@later.example", "--no-key"]) == 0
    assert main(["restore", made[0]["name"], "--yes"]) == 0
    capsys.readouterr()
    assert main(["tenant", "list", "--json"]) == 0
    assert [t["name"] for t in json.loads(capsys.readouterr().out)] == ["Acme"]

    assert main(["retention", "purge", "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] is True and report["deleted"] == {}
    assert report["oldest_kept_month"]["Acme"].endswith("-01")
    assert main(["retention", "purge"]) == 0
    assert "nothing to purge" in capsys.readouterr().out
