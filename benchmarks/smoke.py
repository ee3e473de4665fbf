"""Run every benchmark once on a tiny input, so none can rot (CI runs this after the tests).

Figures are printed, not asserted: a tiny input says nothing about speed. What fails the run is a
benchmark that no longer starts or finishes, or a benchmark script this table does not know.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Not benchmarks: this runner, the process harness, the package marker.
NOT_BENCHMARKS = {"smoke.py", "harness.py", "__init__.py"}

TINY: dict[str, list[list[str]]] = {
    "validate.py": [["--employees", "200"], ["--memory", "--small", "50", "--large", "500"]],
    "transmit.py": [["--declarations", "6", "--declarants", "2", "--workers", "1"]],
    "load.py": [
        ["--self-host", "--seconds", "3", "--clients", "2", "--api-processes", "1",
         "--employees", "2"],
    ],
    "faults.py": [
        ["--declarations", "6", "--declarants", "2", "--workers", "1", "--api-processes", "1",
         "--no-pg-restart", "--kill-every", "1:2", "--timeout", "240"],
        ["--declarations", "4", "--declarants", "2", "--workers", "2", "--api-processes", "1",
         "--no-pg-restart", "--kill-every", "2:4", "--timeout", "240", "--shared-identity"],
    ],
}


def main() -> int:
    scripts = sorted(p.name for p in HERE.glob("*.py") if p.name not in NOT_BENCHMARKS)
    unknown = [name for name in scripts if name not in TINY]
    if unknown:
        print(f"benchmarks without a tiny run in smoke.py: {unknown}", file=sys.stderr)
        return 1
    failed = []
    for name in scripts:
        for args in TINY[name]:
            command = [sys.executable, str(HERE / name), *args]
            print(f"== {name} {' '.join(args)}", flush=True)
            began = time.monotonic()
            result = subprocess.run(command, timeout=600, check=False)
            print(f"   exit {result.returncode} in {time.monotonic() - began:.1f} s", flush=True)
            if result.returncode != 0:
                failed.append(f"{name} {' '.join(args)}")
    if failed:
        print(f"benchmarks that failed: {failed}", file=sys.stderr)
        return 1
    print(f"benchmark smoke: {sum(len(v) for v in TINY.values())} runs, all finished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
