"""Validator throughput and memory benchmark on generated DSN samples.

    python benchmarks/validate.py                      # 10,000 employees: speed, RSS, ratio
    python benchmarks/validate.py --employees 50000
    python benchmarks/validate.py --memory             # peak RSS, 1,000 vs 100,000 employees

Every measurement runs in a fresh subprocess, so the interpreter, the generator and earlier runs
never inflate the peak RSS. Speed is compared with a bare line-reading pass over the same file in
the same process, which factors out the machine's disk and CPU. Targets (issue 13, 2-core
machine): >= 1,000,000 lines/s, validation <= 3x the decode-and-split pass (decoding ISO-8859-1
and cutting each line into rubric and value: the floor of any checking), RSS(100k) / RSS(1k)
<= 1.5. The bare binary read is printed for reference.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_LINES_PER_SECOND = 1_000_000
TARGET_SPLIT_RATIO = 3.0
TARGET_RSS_RATIO = 1.5


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best_of(runs: int, measure: Callable[[], int]) -> tuple[int, float]:
    """Lines and best wall time of `runs` runs (the passes are short, hence noisy)."""
    lines, wall, _ = _best_of_both(runs, measure)
    return lines, wall


def _best_of_both(runs: int, measure: Callable[[], int]) -> tuple[int, float, float]:
    """Lines, best wall time and best CPU time of this process over `runs` runs: on a shared
    machine the CPU time says what the code costs, the wall time what a user waits."""
    best_wall = best_cpu = float("inf")
    lines = 0
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        lines = measure()
        best_wall = min(best_wall, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return lines, best_wall, best_cpu


def _read_binary(path: Path) -> int:
    """The bare line-reading pass: binary line iteration, nothing else."""
    lines = 0
    with path.open("rb") as handle:
        for _ in handle:
            lines += 1
    return lines


def _read_decoded(path: Path) -> int:
    """Line iteration decoding ISO-8859-1, which any validator must do."""
    lines = 0
    with path.open(encoding="iso-8859-1", newline="") as handle:
        for _ in handle:
            lines += 1
    return lines


def _read_split(path: Path) -> int:
    """Decoding plus cutting each line into rubric and value: the floor of any checking."""
    lines = 0
    with path.open(encoding="iso-8859-1", newline="") as handle:
        for line in handle:
            _rubric, _, quoted = line.rstrip("\r\n").partition(",")
            _value = quoted[1:-1]
            lines += 1
    return lines


def child(path: Path, *, bare: bool) -> None:
    """Measure in this (fresh) process and print one JSON object."""
    from dsnlink.norm import validate_path

    baseline_rss = _peak_rss_mb()
    result: dict[str, float | int | bool] = {}
    if bare:
        lines, seconds = _best_of(3, lambda: _read_binary(path))
        result.update(lines=lines, read_seconds=seconds)
        result.update(decoded_seconds=_best_of(3, lambda: _read_decoded(path))[1])
        _, split_wall, split_cpu = _best_of_both(3, lambda: _read_split(path))
        result.update(split_seconds=split_wall, split_cpu_seconds=split_cpu)
    reports = []

    def validate() -> int:
        reports.append(validate_path(path))
        return 0

    # Best of 3 like the reference passes when comparing; once for the memory run.
    _, seconds, cpu_seconds = _best_of_both(3 if bare else 1, validate)
    report = reports[-1]
    result.update(
        validate_seconds=seconds,
        validate_cpu_seconds=cpu_seconds,
        valid=bool(report.valid),
        anomalies=len(report.anomalies),
        baseline_rss_mb=baseline_rss,
        peak_rss_mb=_peak_rss_mb(),
    )
    print(json.dumps(result))


def _measure(path: Path, *, bare: bool) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", str(path)]
    if bare:
        command.append("--bare")
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if completed.returncode != 0:
        raise SystemExit(f"measurement failed:\n{completed.stderr}")
    measured: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return measured


def _generate(directory: Path, employees: int, month: str, seed: int) -> tuple[Path, float]:
    from dsnlink.norm.sample import write_sample

    path = directory / f"sample-{employees}.dsn"
    started = time.perf_counter()
    write_sample(path, employees=employees, month=month, seed=seed)
    return path, time.perf_counter() - started


def _verdict(ok: bool) -> str:
    return "target met" if ok else "target MISSED"


def speed(employees: int, month: str, seed: int) -> None:
    with tempfile.TemporaryDirectory(prefix="dsnlink-bench-") as tmp:
        path, generated_in = _generate(Path(tmp), employees, month, seed)
        size_mb = path.stat().st_size / 1_000_000
        m = _measure(path, bare=True)
    lines = int(m["lines"])
    rate = lines / m["validate_seconds"]
    ratio = m["validate_seconds"] / m["split_seconds"]
    print(f"input            {employees:,} employees, month {month}, seed {seed}")
    print(f"generated in     {generated_in:.2f} s")
    print(f"lines            {lines:,}")
    print(f"size             {size_mb:.1f} MB")
    print(f"valid            {m['valid']} ({int(m['anomalies'])} anomalies)")
    print(f"validation       {m['validate_seconds']:.2f} s")
    print(f"throughput       {rate:,.0f} lines/s  "
          f"({_verdict(rate >= TARGET_LINES_PER_SECOND)}: >= {TARGET_LINES_PER_SECOND:,})")
    print(f"bare read pass   {m['read_seconds']:.3f} s ({lines / m['read_seconds']:,.0f} lines/s, "
          "binary line iteration, best of 3)")
    print(f"decode + split   {m['split_seconds']:.3f} s (best of 3)")
    print(f"ratio            {ratio:.1f}x the decode-and-split pass  "
          f"({_verdict(ratio <= TARGET_SPLIT_RATIO)}: <= {TARGET_SPLIT_RATIO})")
    cpu_rate = lines / m["validate_cpu_seconds"]
    cpu_ratio = m["validate_cpu_seconds"] / m["split_cpu_seconds"]
    print(f"CPU time         {m['validate_cpu_seconds']:.2f} s -> {cpu_rate:,.0f} lines/s, "
          f"{cpu_ratio:.1f}x the decode-and-split pass's CPU time "
          f"({m['split_cpu_seconds']:.3f} s)")
    for label, key in (("bare read", "read_seconds"), ("decoded read", "decoded_seconds")):
        print(f"  vs {label:<15}{m[key]:.3f} s -> ratio {m['validate_seconds'] / m[key]:.1f}x")
    print(f"peak RSS         {m['peak_rss_mb']:.1f} MB "
          f"(interpreter + imports before validating: {m['baseline_rss_mb']:.1f} MB)")


def memory(small: int, large: int, month: str, seed: int) -> None:
    results = {}
    with tempfile.TemporaryDirectory(prefix="dsnlink-bench-") as tmp:
        for employees in (small, large):
            path, _ = _generate(Path(tmp), employees, month, seed)
            size_mb = path.stat().st_size / 1_000_000
            m = _measure(path, bare=False)
            path.unlink()
            results[employees] = m
            print(f"{employees:>9,} employees  {size_mb:8.1f} MB  "
                  f"validated in {m['validate_seconds']:7.2f} s  "
                  f"peak RSS {m['peak_rss_mb']:7.1f} MB  valid={m['valid']}")
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ratio = results[large]["peak_rss_mb"] / results[small]["peak_rss_mb"]
    print(f"largest child peak RSS (RUSAGE_CHILDREN): {children_peak:.1f} MB")
    print(f"RSS ratio {large:,} / {small:,}: {ratio:.2f}  "
          f"({_verdict(ratio <= TARGET_RSS_RATIO)}: <= {TARGET_RSS_RATIO})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--month", default="2025-06")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory", action="store_true",
                        help="compare peak RSS for --small and --large employees")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, bare=args.bare)
    elif args.memory:
        memory(args.small, args.large, args.month, args.seed)
    else:
        speed(args.employees, args.month, args.seed)


if __name__ == "__main__":
    main()
