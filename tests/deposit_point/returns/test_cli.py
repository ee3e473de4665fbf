"""`dsnlink returns inspect`: registered on a parser of our own, as the dispatcher will do."""

from __future__ import annotations

import argparse
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dsnlink.deposit_point.returns import cli

from .samples import FIXTURES, sample_bytes

BAN = str(FIXTURES / "exemple_retour_11_BAN.xml")
NEORES = str(FIXTURES / "exemple_retour_119_CRM_ACOSS_ANO.xml")
OC = str(FIXTURES / "CRM-DSN-OC-P3-V1.1.4-Exemple-CRC.xml")


def run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="dsnlink")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    code = cli.run_inspect(args, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_inspect_prints_french_text_by_default() -> None:
    code, out, err = run("returns", "inspect", BAN, NEORES)

    assert code == 0 and err == ""
    assert "bilan d'anomalies (BAN) (famille bilan)" in out
    assert "compte rendu métier (CRM) (famille neores)" in out
    assert "statut : ANO, anomalies non bloquantes" in out


def test_inspect_json_lists_one_object_per_file() -> None:
    code, out, _ = run("returns", "inspect", "--json", BAN, NEORES, OC)

    entries = json.loads(out)
    assert code == 0
    assert [(e["format"], e["nature"], e["status"], e["readable"]) for e in entries] == [
        ("bilan", "11", "KO", True),
        ("neores", "119", "ANO", True),
        ("crm-oc", "51", "KO", True),
    ]
    assert list(entries[0])[:5] == ["file", "format", "nature", "status", "readable"]
    assert entries[0]["file"] == BAN
    assert "error" not in entries[0]
    assert [a["code"] for a in entries[1]["anomalies"]] == [
        "UR_ANO_ASS_DIPA01a",
        "UR_ANO_ASS_CAM_DIDAPA15a",
    ]


def test_an_unreadable_file_exits_1_with_its_reason(tmp_path: Path) -> None:
    bomb = tmp_path / "retour.xml.gz"
    bomb.write_bytes(b"<!DOCTYPE r [<!ENTITY e 'x'>]><r>&e;</r>")
    good = tmp_path / "aee.xml.gz"
    good.write_bytes(gzip.compress(sample_bytes("exemple_retour_10_AEE.xml")))

    code, out, _ = run("returns", "inspect", "--json", str(good), str(bomb))

    first, second = json.loads(out)
    assert code == 1
    assert (first["readable"], first["format"], first["status"]) == (True, "bilan", "OK")
    assert second["readable"] is False and second["format"] is None
    assert second["error"].startswith("le document déclare une DTD")
    code, out, _ = run("returns", "inspect", str(bomb))
    assert code == 1 and "illisible — le document déclare une DTD" in out


def test_the_listing_nature_can_be_given() -> None:
    code, out, _ = run(
        "returns", "inspect", "--json", "--nature", "118",
        str(FIXTURES / "exemple_retour_118_CRM_Effectifs_MSA.xml"),
    )  # fmt: skip

    (entry,) = json.loads(out)
    assert code == 0
    assert (entry["nature"], entry["document_nature"]) == ("118", "22")


def test_a_missing_file_is_bad_usage_with_one_plain_line(tmp_path: Path) -> None:
    missing = tmp_path / "absent.xml"

    code, out, err = run("returns", "inspect", BAN, str(missing))

    assert code == 2 and out == ""
    assert err == f"fichier introuvable : {missing}\n"


def test_a_too_large_file_is_bad_usage(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024 + 1)  # sparse: nothing is written

    code, _, err = run("returns", "inspect", str(big))

    assert code == 2 and err.startswith("fichier trop volumineux")


def test_no_file_is_an_argparse_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["returns", "inspect"])

    assert exited.value.code == 2
    assert "FILE" in capsys.readouterr().err


def test_main_runs_the_command_on_real_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["returns", "inspect", "--json", BAN]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "KO"


def test_as_a_process_a_missing_file_prints_no_traceback(tmp_path: Path) -> None:
    script = "import sys; from dsnlink.deposit_point.returns.cli import main; sys.exit(main())"
    result = subprocess.run(
        [sys.executable, "-c", script, "returns", "inspect", str(tmp_path / "nope.xml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr == f"fichier introuvable : {tmp_path / 'nope.xml'}\n"
    assert result.stdout == ""
