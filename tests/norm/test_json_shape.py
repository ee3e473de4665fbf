"""`dsnlink validate --json` keeps the shape other tools read: no key more, no key less."""

from __future__ import annotations

import json

import pytest

from dsnlink.cli import main
from dsnlink.norm.sample import write_sample


def test_json_report_has_exactly_the_documented_keys(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.dsn"
    write_sample(good, employees=3, month="2026-10", seed=4)
    bad = tmp_path / "bad.dsn"
    bad.write_bytes(good.read_bytes().replace(b"S21.G00.30.001,'", b"S21.G00.30.001,'X", 1))

    exit_code = main(["validate", "--json", str(good), str(bad)])

    reports = json.loads(capsys.readouterr().out)
    assert exit_code == 1
    assert [set(r) for r in reports] == [
        {"file", "norm_version", "valid", "declarations", "anomalies", "not_checked"}
    ] * 2
    not_checked = reports[0]["not_checked"]
    assert set(not_checked) == {"count", "by_family", "ids"}
    assert not_checked["count"] == len(not_checked["ids"]) == sum(
        not_checked["by_family"].values()
    )
    assert not_checked["by_family"]["CRE"] == 48  # P26V01: no referential is shipped
    assert "S21.G00.40.001/CCH-15" not in not_checked["ids"]  # implemented
    assert [r["valid"] for r in reports] == [True, False]
    assert set(reports[0]["declarations"][0]) == {
        "nature", "type", "month", "siren", "nic", "individuals"
    }
    assert reports[0]["declarations"][0]["individuals"] == 3
    assert reports[1]["anomalies"]
    assert all(
        set(a) == {"id", "category", "message", "line", "rubric", "value"}
        for a in reports[1]["anomalies"]
    )
