"""Speed and memory of the whole ``imuhinge analyse`` process against pandas' CSV parse.

For two-sensor 200 Hz simulated recordings of several lengths (2 minutes to one hour),
prints: the time pandas needs just to parse the CSV (``pd.read_csv``, in-process, after
import), the wall time of ``python -m imuhinge analyse FILE --json OUT`` from process
start to exit, their ratio, the analysis process's peak resident memory, and the cost
per recorded minute (which should stay flat if cost grows linearly).

Run: ``python benchmarks/speed.py [--minutes 2,10,30,60] [--cache DIR]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_recording(minutes: float, folder: Path) -> Path:
    """A two-sensor 200 Hz deadlift session of the given length (cached by length)."""
    from imuhinge.recording import write_recording
    from imuhinge.simulation import SessionConfig, simulate_session

    path = folder / f"two-sensor-200hz-{minutes:g}min.csv"
    if not path.exists():
        config = SessionConfig.random(
            seed=4242, sensors=("pelvis", "thorax"), rate_hz=200.0, duration_s=minutes * 60.0
        )
        recording, _ = simulate_session(config)
        write_recording(recording, path)
    return path


def pandas_parse_s(path: Path, repeats: int = 3) -> float:
    """Best-of time for pandas alone to parse the CSV (import not counted)."""
    import pandas as pd

    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        pd.read_csv(path, comment="#")
        best = min(best, time.perf_counter() - start)
    return best


def pandas_process_s(path: Path) -> float:
    """Wall time of a whole process that imports pandas and parses the CSV, nothing else."""
    code = f"import pandas; pandas.read_csv({str(path)!r}, comment='#')"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def analyse_process(path: Path, out: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit status) of one whole analyse process."""
    command = [sys.executable, "-m", "imuhinge", "analyse", str(path), "--json", str(out)]
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall_s = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        print(child.stderr.read().decode(errors="replace"), file=sys.stderr)
    return wall_s, usage.ru_maxrss / 1024.0, child.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", default="2,10,30,60", help="recording lengths, comma separated")
    parser.add_argument("--cache", default=str(ROOT / "benchmarks" / ".cache"), help="where recordings are kept")
    args = parser.parse_args()
    folder = Path(args.cache)
    folder.mkdir(parents=True, exist_ok=True)

    rows = []
    for minutes in (float(m) for m in args.minutes.split(",")):
        path = make_recording(minutes, folder)
        parse_s = pandas_parse_s(path)
        process_s = min(pandas_process_s(path) for _ in range(3))
        wall_s, rss_mb, status = min(analyse_process(path, folder / "out.json") for _ in range(3))
        size_mb = path.stat().st_size / 1e6
        rows.append((minutes, size_mb, parse_s, process_s, wall_s, rss_mb, status))

    print(f"{'minutes':>8} {'CSV MB':>7} {'pandas parse s':>15} {'pandas process s':>17} "
          f"{'analyse s':>10} {'÷ parse':>8} {'÷ process':>10} {'peak MB':>8} {'s/minute':>9} {'exit':>5}")
    for minutes, size_mb, parse_s, process_s, wall_s, rss_mb, status in rows:
        print(f"{minutes:8g} {size_mb:7.1f} {parse_s:15.2f} {process_s:17.2f} {wall_s:10.2f} "
              f"{wall_s / parse_s:8.1f} {wall_s / process_s:10.1f} {rss_mb:8.0f} "
              f"{wall_s / minutes:9.3f} {status:5d}")
    if len(rows) >= 3:
        import numpy as np

        minutes_axis = np.array([r[0] for r in rows])
        walls = np.array([r[4] for r in rows])
        slope, intercept = np.polyfit(minutes_axis, walls, 1)
        worst = np.max(np.abs(walls - (intercept + slope * minutes_axis)) / walls)
        print(f"linear fit: {intercept:.2f} s start-up + {slope:.3f} s per recorded minute;"
              f" largest deviation from the line {100 * worst:.0f}%")
    print("pandas parse: pd.read_csv alone, in-process, best of 3; pandas process: a whole"
          " python process importing pandas and parsing; analyse: whole `python -m imuhinge"
          " analyse FILE --json OUT` process, best of 3.")
    print("targets: one hour in < 6x the pandas parse and < 1024 MB; two minutes in < 2 s;"
          " s/minute roughly constant (linear cost)")


if __name__ == "__main__":
    main()
