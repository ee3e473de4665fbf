"""`dsnlink validate`: exit codes, readable and JSON output, plain and gzip files."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest

from dsnlink.cli import main
from dsnlink.norm import cli

from .builder import build, build_lines, line_of, render, replace


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    good = tmp_path / "good.dsn"
    good.write_bytes(build())
    bad_lines = replace(build_lines(), "S21.G00.06.001", "732829321")
    bad = tmp_path / "bad.dsn"
    bad.write_bytes(render(bad_lines))
    packed = tmp_path / "good.dsn.gz"
    packed.write_bytes(gzip.compress(build()))
    binary = tmp_path / "binary.bin"
    binary.write_bytes(bytes(range(256)) * 50)
    return {"good": good, "bad": bad, "gz": packed, "binary": binary}


def test_valid_files_exit_0(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(files["good"]), str(files["gz"])]) == 0
    out = capsys.readouterr().out
    assert out.count("VALID") == 2
    assert "0 bloquant" in out


def test_blocking_anomaly_exits_1_with_line_numbers(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(files["good"]), str(files["bad"])]) == 1
    out = capsys.readouterr().out
    line = line_of(build_lines(), "S21.G00.06.001")
    assert "INVALID" in out
    assert f"line {line}: bloquant S21.G00.06.001/CSL-11" in out
    assert "  S21.G00.06.001\n" in out  # grouped by rubric


def test_json_is_a_list_of_to_dict_objects(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--json", str(files["bad"]), str(files["gz"])]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [d["valid"] for d in data] == [False, True]
    first = data[0]
    assert {"file", "norm_version", "valid", "declarations", "anomalies"} <= set(first)
    assert set(first["declarations"][0]) == {
        "nature", "type", "month", "siren", "nic", "individuals",
    }
    assert set(first["anomalies"][0]) == {"id", "category", "message", "line", "rubric", "value"}
    assert first["anomalies"][0]["id"] == "S21.G00.06.001/CSL-11"


def test_binary_file_is_reported_not_crashed(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(files["binary"])]) == 1
    assert "DSNLINK-ENC" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["missing", "directory", "bad-gzip"])
def test_unreadable_input_exits_2_with_one_line(
    tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    target = tmp_path / "nope"
    if kind == "directory":
        target = tmp_path
    elif kind == "bad-gzip":
        target.write_bytes(gzip.compress(build())[:50])
    assert main(["validate", str(files["good"]), str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("dsnlink: error:")
    assert "Traceback" not in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    assert exc.value.code == 2


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_tty_for_large_files(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "PROGRESS_MIN_BYTES", 0)
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["validate", str(files["gz"])]) == 0
    assert "good.dsn.gz: 100%" in tty.getvalue()


def test_no_progress_when_stderr_is_not_a_tty(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "PROGRESS_MIN_BYTES", 0)
    assert main(["validate", str(files["good"])]) == 0
    assert capsys.readouterr().err == ""
