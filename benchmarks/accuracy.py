"""Accuracy of the analysis against the simulator's truth, on held-out seeds.

Seeds 1–999 are the held-out benchmark (the pipeline is tuned on 1000–1199 only). For
each seed, simulates a kettlebell-deadlift session (and, for a share of seeds, a fast
swing-like set), analyses it in two-sensor mode, in one-sensor mode (the same session
seen by the pelvis sensor alone), and in one-sensor mode personalised with a reference
recording of the same person's good hinges (``--reference``), scores each against the
truth (``scoring.py``) and prints one table with the targets of the offline-analysis
issue. With ``--write`` it also stores the figures in ``imuhinge/report/accuracy.json``,
which the HTML report quotes.

With ``--accelerometer-only`` it measures sensors without a gyroscope instead: the same
sessions recorded with every sensor accelerometer-only (as a Polar H10 would), analysed
with both sensors and with the pelvis sensor alone, per scenario (deadlift, hinge, swing),
with the mean error of peak pelvic tilt as well (negative: underestimated).

With ``--no-standing`` it measures the fallback calibration (``pipeline.fallback``): each
session is cut to its first set, so it starts and ends mid-movement as an export started
mid-set does, and the table says which calibration each cut got (deadlift sets often hold
still long enough between reps; swing sets never do).

Run: ``python benchmarks/accuracy.py [--seeds 1-60] [--swing-seeds 1-20] [--jobs 2] [--write]``,
``python benchmarks/accuracy.py --accelerometer-only [--seeds 1-60] [--hinge-seeds 1-30]
[--swing-seeds 1-20]`` or ``python benchmarks/accuracy.py --no-standing [--seeds ...]
[--swing-seeds ...]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from scoring import TARGETS, score_session, summarise  # noqa: E402

MODES = ("two-sensor", "one-sensor", "one-sensor + reference")
ACCURACY_JSON = ROOT / "imuhinge" / "report" / "accuracy.json"
SHOWN = (
    ("sessions", "sessions", "{:.0f}"),
    ("true_reps", "true reps", "{:.0f}"),
    ("found_pct", "true reps found %", "{:.2f}"),
    ("real_pct", "found reps real %", "{:.2f}"),
    ("exact_count_pct", "exact rep count % of sessions", "{:.1f}"),
    ("start_median_s", "median |start error| s", "{:.3f}"),
    ("end_median_s", "median |end error| s", "{:.3f}"),
    ("pelvis_rmse_deg", "peak pelvis tilt RMSE °", "{:.2f}"),
    ("trunk_rmse_deg", "peak trunk inclination RMSE °", "{:.2f}"),
    ("lumbar_rmse_deg", "peak lumbar flexion RMSE °", "{:.2f}"),
    ("lockout_rmse_deg", "lockout extension RMSE °", "{:.2f}"),
    ("rounded_f1", "rounded F1", "{:.3f}"),
    ("overextended_f1", "overextended F1", "{:.3f}"),
)


NOT_MEASURED_WITH_ONE_SENSOR = ("lockout_rmse_deg", "overextended_f1")
"""Lumbar extension at lockout needs the thorax sensor; one-sensor mode does not judge it."""


def held_out(seeds: list[int]) -> list[int]:
    if any(s >= 1000 for s in seeds):
        raise SystemExit("seeds 1000 and above were used for tuning; report on seeds 1-999")
    return seeds


def score_seed(job: tuple[int, str]):
    """Score one seed and scenario in every mode: [(mode, scenario, SessionScore)]."""
    from imuhinge.pipeline.analyse import analyse_recording
    from imuhinge.simulation import SessionConfig, simulate_session

    seed, scenario = job
    recording, truth = simulate_session(
        SessionConfig.random(seed=seed, sensors=("pelvis", "thorax"), scenario=scenario)
    )
    reference, _ = simulate_session(SessionConfig.random(seed=seed, sensors=("pelvis",), scenario="hinge"))
    runs = (
        (MODES[0], analyse_recording(recording)),
        (MODES[1], analyse_recording(recording, pelvis_only=True)),
        (MODES[2], analyse_recording(recording, pelvis_only=True, reference=reference)),
    )
    return [(mode, scenario, score_session(analysis, truth)) for mode, analysis in runs]


ACC_ONLY_MODES = ("two accelerometer-only sensors", "one accelerometer-only pelvis sensor")
ACC_ONLY_SHOWN = (
    ("sessions", "sessions", "{:.0f}"),
    ("true_reps", "true reps", "{:.0f}"),
    ("found_pct", "true reps found %", "{:.2f}"),
    ("real_pct", "found reps real %", "{:.2f}"),
    ("exact_count_pct", "exact rep count % of sessions", "{:.1f}"),
    ("pelvis_rmse_deg", "peak pelvis tilt RMSE °", "{:.2f}"),
    ("pelvis_mean_error_deg", "peak pelvis tilt mean error °", "{:+.2f}"),
    ("trunk_rmse_deg", "peak trunk inclination RMSE °", "{:.2f}"),
    ("lumbar_rmse_deg", "peak lumbar flexion RMSE °", "{:.2f}"),
    ("rounded_f1", "rounded F1", "{:.3f}"),
    ("overextended_f1", "overextended F1", "{:.3f}"),
)


def score_accelerometer_only(job: tuple[int, str]):
    """Score one seed and scenario with every sensor accelerometer-only, both modes."""
    from imuhinge.pipeline.analyse import analyse_recording
    from imuhinge.simulation import SessionConfig, simulate_session

    seed, scenario = job
    recording, truth = simulate_session(
        SessionConfig.random(seed=seed, sensors=("pelvis", "thorax"), scenario=scenario, accelerometer_only=True)
    )
    runs = (
        (ACC_ONLY_MODES[0], analyse_recording(recording)),
        (ACC_ONLY_MODES[1], analyse_recording(recording, pelvis_only=True)),
    )
    return [(mode, scenario, score_session(analysis, truth)) for mode, analysis in runs]


def summarise_accelerometer_only(scores) -> dict:
    """``summarise`` plus the mean signed error of peak pelvic tilt over judged matches."""
    import numpy as np

    summary = summarise(scores)
    errors = np.array([e for s in scores for e, j in zip(s.pelvis_error_deg, s.judged) if j], dtype=float)
    summary["pelvis_mean_error_deg"] = float(np.mean(errors)) if errors.size else float("nan")
    return summary


def print_accelerometer_only(results) -> None:
    """One table per scenario: both accelerometer-only modes side by side."""
    width = 31
    for scenario in ("deadlift", "hinge", "swing"):
        part = {
            mode: summarise_accelerometer_only([s for m, sc, s in results if m == mode and sc == scenario])
            for mode in ACC_ONLY_MODES
        }
        if not part[ACC_ONLY_MODES[0]]["sessions"]:
            continue
        print(f"\n{scenario} sessions, accelerometer only")
        print(f"{'':{width}}" + "".join(f"{mode:>38}" for mode in part))
        for key, label, fmt in ACC_ONLY_SHOWN:
            cells = []
            for mode, summary in part.items():
                one = mode == ACC_ONLY_MODES[1]
                if one and key in ("trunk_rmse_deg", "lumbar_rmse_deg", "rounded_f1", "overextended_f1"):
                    cells.append(f"{'not judged':>38}")
                else:
                    cells.append(f"{fmt.format(summary[key]):>38}")
            print(f"{label:{width}}" + "".join(cells))


def score_without_standing(job: tuple[int, str]):
    """Score one seed's first set, cut out of its session, in both modes:
    [(mode, scenario, calibration method, SessionScore)]."""
    from imuhinge.pipeline.analyse import analyse_recording
    from imuhinge.simulation import SessionConfig, cut_session, simulate_session

    seed, scenario = job
    config = SessionConfig.random(seed=seed, sensors=("pelvis", "thorax"), scenario=scenario)
    first = config.sets[0]
    recording, truth = cut_session(*simulate_session(config), first.start_s - 0.3, first.end_s + 0.3)
    rows = []
    for mode, pelvis_only in ((MODES[0], False), (MODES[1], True)):
        analysis = analyse_recording(recording, pelvis_only=pelvis_only)
        rows.append((mode, scenario, analysis.calibration["method"], score_session(analysis, truth)))
    return rows


def run_without_standing(args) -> None:
    from collections import Counter

    jobs = [(s, "deadlift") for s in held_out(parse_seeds(args.seeds))]
    jobs += [(s, "swing") for s in held_out(parse_seeds(args.swing_seeds))]
    started = time.perf_counter()
    with Pool(args.jobs) as pool:
        results = [row for rows in pool.imap_unordered(score_without_standing, jobs) for row in rows]
    print(f"{len(jobs)} first sets cut out of their sessions (deadlift seeds {args.seeds}, swing seeds "
          f"{args.swing_seeds}), {time.perf_counter() - started:.0f} s")
    for scenario in ("deadlift", "swing"):
        rows = [r for r in results if r[1] == scenario and r[0] == MODES[0]]
        methods = Counter(method for _, _, method, _ in rows)
        print(f"\n{scenario}: calibration used: " + ", ".join(f"{m} {n}" for m, n in sorted(methods.items())))
        for method in sorted(methods):
            part = {
                mode: summarise([s for m, sc, me, s in results if m == mode and sc == scenario and me == method])
                for mode in MODES[:2]
            }
            print(f"\n{scenario} sets calibrated by {method}")
            print_table(part)


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        seeds += list(range(int(lo), int(hi or lo) + 1))
    return seeds


def verdict(mode: str, key: str, value: float) -> str:
    target = TARGETS["one-sensor" if mode.startswith("one") else "two-sensor"].get(key)
    if target is None:
        return ""
    op, limit = target
    ok = value >= limit if op == ">=" else value <= limit
    return f"{'ok  ' if ok else 'MISS'} {op} {limit:g}"


def print_table(summaries: dict[str, dict]) -> None:
    width = 31
    print(f"{'':{width}}" + "".join(f"{mode:>36}" for mode in summaries))
    for key, label, fmt in SHOWN:
        cells = []
        for mode, summary in summaries.items():
            value = summary[key]
            if mode.startswith("one") and key in NOT_MEASURED_WITH_ONE_SENSOR:
                cells.append(f"{'not measured':>20} {'':>15}")
                continue
            cells.append(f"{fmt.format(value):>20} {verdict(mode, key, value):>15}")
        print(f"{label:{width}}" + "".join(cells))


def flag_sensitivity(scores, flag: str) -> float:
    tp = sum(s.flag_counts[flag][0] for s in scores)
    fn = sum(s.flag_counts[flag][2] for s in scores)
    return tp / (tp + fn) if tp + fn else float("nan")


def accuracy_record(summaries: dict, scores: dict, seeds_text: str) -> dict:
    """The ``imuhinge.accuracy/1`` record the HTML report quotes."""
    from imuhinge import __version__

    def mode_figures(mode: str) -> dict:
        s = summaries[mode]
        figures = {
            "pelvis_tilt_rmse_deg": s["pelvis_rmse_deg"],
            "trunk_inclination_rmse_deg": s["trunk_rmse_deg"],
            "lumbar_flexion_rmse_deg": s["lumbar_rmse_deg"],
            "rounded_f1": s["rounded_f1"],
            "rounded_sensitivity": flag_sensitivity(scores[mode], "rounded"),
            "reps_found_pct": s["found_pct"],
            "extra_reps_pct": 100.0 - s["real_pct"],
        }
        if mode == MODES[0]:
            figures["lockout_extension_rmse_deg"] = s["lockout_rmse_deg"]
            figures["overextended_f1"] = s["overextended_f1"]
        return {k: round(v, 3) for k, v in figures.items()}

    two = summaries[MODES[0]]
    return {
        "schema": "imuhinge.accuracy/1",
        "imuhinge_version": __version__,
        "measured_on": f"simulated sessions on held-out seeds {seeds_text}",
        "sessions": int(two["sessions"]),
        "reps": int(two["true_reps"]),
        "two_sensor": mode_figures(MODES[0]),
        "one_sensor": mode_figures(MODES[1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-60", help="deadlift session seeds (held out: 1-999)")
    parser.add_argument("--swing-seeds", default="1-20", help="swing session seeds (held out: 1-999)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="store the figures for the HTML report")
    parser.add_argument(
        "--accelerometer-only", action="store_true",
        help="measure sensors without a gyroscope (deadlift, hinge and swing sessions)",
    )
    parser.add_argument("--hinge-seeds", default="1-30", help="hinge session seeds, with --accelerometer-only")
    parser.add_argument(
        "--no-standing", action="store_true",
        help="measure the fallback calibration on first sets cut out of their sessions",
    )
    args = parser.parse_args()
    if args.accelerometer_only:
        run_accelerometer_only(args)
        return
    if args.no_standing:
        run_without_standing(args)
        return

    jobs = [(s, "deadlift") for s in held_out(parse_seeds(args.seeds))]
    jobs += [(s, "swing") for s in held_out(parse_seeds(args.swing_seeds))]
    started = time.perf_counter()
    with Pool(args.jobs) as pool:
        results = [row for rows in pool.imap_unordered(score_seed, jobs) for row in rows]
    scores = {mode: [s for m, _, s in results if m == mode] for mode in MODES}
    summaries = {mode: summarise(scores[mode]) for mode in MODES}
    print(f"{len(jobs)} sessions (deadlift seeds {args.seeds}, swing seeds {args.swing_seeds}),"
          f" {time.perf_counter() - started:.0f} s\n")
    print_table(summaries)
    for scenario in ("deadlift", "swing"):
        part = {mode: summarise([s for m, sc, s in results if m == mode and sc == scenario]) for mode in MODES}
        if part[MODES[0]]["sessions"]:
            print(f"\n{scenario} sessions only")
            print_table(part)
    if args.write:
        seeds_text = f"{args.seeds} (deadlift), {args.swing_seeds} (swing)"
        record = accuracy_record(summaries, scores, seeds_text)
        ACCURACY_JSON.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {ACCURACY_JSON.relative_to(ROOT)}")


def run_accelerometer_only(args) -> None:
    jobs = [(s, "deadlift") for s in held_out(parse_seeds(args.seeds))]
    jobs += [(s, "hinge") for s in held_out(parse_seeds(args.hinge_seeds))]
    jobs += [(s, "swing") for s in held_out(parse_seeds(args.swing_seeds))]
    started = time.perf_counter()
    with Pool(args.jobs) as pool:
        results = [row for rows in pool.imap_unordered(score_accelerometer_only, jobs) for row in rows]
    print(f"{len(jobs)} sessions, every sensor accelerometer-only (deadlift seeds {args.seeds}, hinge seeds "
          f"{args.hinge_seeds}, swing seeds {args.swing_seeds}), {time.perf_counter() - started:.0f} s")
    print_accelerometer_only(results)


if __name__ == "__main__":
    main()
