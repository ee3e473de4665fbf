"""scripts/gen_transcodification.py: the committed JSON is what the script makes of the source."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "schemas" / "netentreprises" / "transcodification.json"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_transcodification", ROOT / "scripts" / "gen_transcodification.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_json_is_up_to_date(tmp_path: Path) -> None:
    output = tmp_path / "transcodification.json"
    assert _script().main(["--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")


def test_tables_hold_codes_and_labels() -> None:
    content = json.loads(COMMITTED.read_text(encoding="utf-8"))
    tables = content["tables"]
    assert tables["point_de_depot"] == {"01": "Net-entreprises", "02": "MSA"}
    assert tables["nature_declaration"]["01"] == "DSN mensuelle"
    assert tables["RO_B003_R002"]["KO"].startswith("KO - Ecarts")
    assert len(tables) == 22
    assert set(content["return_natures"]) >= {"10", "11", "60", "61", "92", "94"}
    assert set(content["return_statuses"]) == {"OK", "ANO", "KO"}


def test_bad_source_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    source = tmp_path / "broken.xml"
    source.write_text("<balises><t><transco>no code</transco></t></balises>")
    assert _script().main(["--source", str(source), "--output", str(tmp_path / "o.json")]) == 2
    assert "has no code" in capsys.readouterr().err
