"""Accuracy of the analysis on simulator TRAINING sessions (seeds 1000–1199), for tuning.

Seeds 1–999 are the held-out benchmark: never tune on them. For each seed and scenario,
simulates a session, analyses it in two-sensor mode and in one-sensor mode (a pelvis-only
session, with and without a reference recording of the same person's good hinges), scores
it against the truth (``benchmarks/scoring.py``) and prints one table per mode.

Run: ``python benchmarks/tune.py [--seeds 1000-1199] [--scenarios deadlift,swing,hinge]
[--modes two,one,one-ref] [--jobs 2] [--worst 5]``.
"""

from __future__ import annotations

import argparse
import sys
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from scoring import failures, score_session, summarise  # noqa: E402

TRAINING_SEEDS = range(1000, 1200)
MODES = {"two": "two-sensor", "one": "one-sensor", "one-ref": "one-sensor"}


def settings_with(overrides: list[str]):
    """``PipelineSettings`` with ``step.name=value`` overrides (e.g. ``fusion.gain=0.2``)."""
    import ast
    from dataclasses import replace

    from imuhinge.pipeline.settings import PipelineSettings

    settings = PipelineSettings()
    for item in overrides:
        path, _, text = item.partition("=")
        step, name = path.split(".")
        part = replace(getattr(settings, step), **{name: ast.literal_eval(text)})
        settings = replace(settings, **{step: part})
    return settings


def run_one(job: tuple[int, str, str, tuple[str, ...]]):
    """Score one (seed, scenario, mode, overrides); returns (mode, scenario, SessionScore)."""
    from imuhinge.pipeline.analyse import analyse_recording
    from imuhinge.simulation import SessionConfig, simulate_session

    seed, scenario, mode, overrides = job
    if seed < 1000:
        raise SystemExit("seeds below 1000 are the held-out benchmark; tune on 1000-1199")
    sensors = ("pelvis", "thorax") if mode == "two" else ("pelvis",)
    recording, truth = simulate_session(SessionConfig.random(seed=seed, sensors=sensors, scenario=scenario))
    reference = None
    if mode == "one-ref":
        reference, _ = simulate_session(SessionConfig.random(seed=seed, sensors=("pelvis",), scenario="hinge"))
    analysis = analyse_recording(recording, reference=reference, settings=settings_with(list(overrides)))
    return mode, scenario, score_session(analysis, truth)


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds += list(range(int(lo), int(hi or lo) + 1))
    return seeds


BRIEF = ("found_pct", "real_pct", "exact_count_pct", "start_median_s", "end_median_s", "pelvis_rmse_deg",
         "trunk_rmse_deg", "lumbar_rmse_deg", "lockout_rmse_deg", "rounded_f1", "overextended_f1")


def print_table(title: str, summary: dict, mode: str, brief: bool = False) -> None:
    if brief:
        print(f"{title:40s} " + " ".join(f"{summary[k]:7.3f}" for k in BRIEF))
        return
    print(f"\n{title}")
    for name, value in summary.items():
        print(f"  {name:18s} {value:10.3f}" if isinstance(value, float) else f"  {name:18s} {value:10d}")
    missed = failures(summary, mode)
    print("  targets: " + ("all met" if not missed else "MISSED " + "; ".join(missed)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1000-1199")
    parser.add_argument("--scenarios", default="deadlift,swing,hinge")
    parser.add_argument("--modes", default="two,one,one-ref")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--worst", type=int, default=5, help="list this many worst sessions per table")
    parser.add_argument("--brief", action="store_true", help="one line per table")
    parser.add_argument("--set", action="append", default=[], metavar="STEP.NAME=VALUE",
                        help="override a pipeline setting, e.g. fusion.gain=0.2 (repeatable)")
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds)
    scenarios = args.scenarios.split(",")
    modes = args.modes.split(",")
    jobs = [(seed, scenario, mode, tuple(args.set)) for mode in modes for scenario in scenarios for seed in seeds]
    if args.brief:
        print(f"{' '.join(args.set) or 'defaults':40s} " + " ".join(f"{k[:7]:>7s}" for k in BRIEF))
    with Pool(args.jobs) as pool:
        results = pool.map(run_one, jobs, chunksize=4)
    for mode in modes:
        every = [s for m, _, s in results if m == mode]
        for scenario in scenarios + ["all"]:
            scores = [s for m, sc, s in results if m == mode and (scenario == "all" or sc == scenario)]
            if not scores or (scenario == "all" and len(scenarios) == 1):
                continue
            print_table(f"{mode} / {scenario} ({len(scores)} sessions)", summarise(scores), MODES[mode], args.brief)
        worst = sorted(every, key=lambda s: -(abs(s.true_reps - s.found_reps) + s.true_reps - s.matched))
        for s in worst[: args.worst]:
            if s.true_reps != s.found_reps or s.matched != s.true_reps:
                print(f"  seed {s.seed}: {s.true_reps} true, {s.found_reps} found, {s.matched} matched")


if __name__ == "__main__":
    main()
