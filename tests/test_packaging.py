"""A normal (non-editable) install carries everything the product reads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_the_schemas_migrations_and_dashboard_assets(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("dsnlink-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    shipped = {
        "schemas/norm/P24V01.json",
        "schemas/norm/P25V01.json",
        "schemas/norm/P26V01.json",
        "schemas/offerings/hr-sprint.json",
        "schemas/xsd/dsn_bilans_v02r03.xsd",
        "schemas/netentreprises/transcodification.json",
        "dsnlink/migrations/alembic.ini",
        "dsnlink/migrations/script.py.mako",
        "api/dashboard/static/htmx.min.js",
        "api/templates/status.html",
        "mock_netentreprises/data/dsn_bilans_v02r03.xsd",
    }
    assert shipped <= names, sorted(shipped - names)
    expected_migrations = {
        f"dsnlink/migrations/versions/{p.name}"
        for p in (ROOT / "dsnlink/migrations/versions").glob("0*.py")
    }
    assert expected_migrations <= names
