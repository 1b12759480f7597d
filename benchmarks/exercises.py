"""Every drill of the programme scored against the simulator's truth, with two sensors and one.

For each drill and seed: ``SessionConfig.random(seed, sensors, exercise=NAME)`` →
``simulate_session`` → ``analyse_recording(..., exercise=profile)``. Found reps are matched
to true reps by time overlap (``scoring.match_reps``); the figures are reps found % (true
reps matched), reps real % (found reps matched), and per flag of the drill's measurable
checks precision, recall and F1 of the analysis's flags against the truth ``labels``
(an unmatched true rep with the label is a miss, an unmatched found rep with the flag a
false alarm; reps in a data gap are left out, as in ``scoring``). A hold drill is scored
on its holds: holds found, the ``unsteady`` flag, and the time held (median and 90th
percentile of |found - true| duration per true hold found, the found holds overlapping it
summed).

``--posture`` measures the posture check instead (``pipeline.posture``): per drill and
sensor mode (two sensors, one, and one pelvis sensor without gyroscope), how many
sessions analysed as their own drill are wrongly refused, and how many analysed as a
drill of the other posture are refused (caught): the bridge (lying) as the kettlebell
deadlift, every standing and kneeling drill as the bridge. Kneeling drills are also
analysed as the kettlebell deadlift (standing), which the sensors cannot tell apart
from kneeling: those are expected not to be caught.

Seed policy: tune on 1000–1199, report on 1–999 (the default here, ``--seeds 1-40``).

    python benchmarks/exercises.py [--seeds 1-40] [--drill NAME ...] [--jobs N] [--posture]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from scoring import match_reps  # noqa: E402

from imuhinge.errors import AnalysisError, ImuhingeError  # noqa: E402
from imuhinge.exercises import load_profiles, profile_named  # noqa: E402
from imuhinge.pipeline.analyse import analyse_recording  # noqa: E402
from imuhinge.pipeline.settings import ExerciseSettings, PipelineSettings  # noqa: E402
from imuhinge.simulation import SessionConfig, simulate_session  # noqa: E402

NOT_JUDGED = ("gap", "saturated", "accelerometer_only")
SENSOR_SETS = {"two-sensor": ("pelvis", "thorax"), "one-sensor": ("pelvis",)}
POSTURE_MODES = {"two-sensor": (("pelvis", "thorax"), False), "one-sensor": (("pelvis",), False),
                 "accelerometer-only": (("pelvis",), True)}
"""Sensor modes of the posture table: (sensors, without gyroscope)."""
WITHOUT_WALKING = PipelineSettings(exercise=ExerciseSettings(walk_min_s=float("inf")))
"""The analysis's settings with walking never found: the posture told by the hips alone."""
STANDING_DRILL = "kettlebell-deadlift"
LYING_DRILL = "bridge"


def score_drill_seed(job: tuple[str, int, str]) -> dict:
    """One session's counts: reps true/found/matched and per flag [tp, fp, fn]."""
    name, seed, mode = job
    profile = profile_named(name)
    sensors = SENSOR_SETS[mode]
    recording, truth = simulate_session(SessionConfig.random(seed, sensors, exercise=name))
    try:
        analysis = analyse_recording(recording, exercise=profile)
    except ImuhingeError as exc:
        return {"error": f"{name} seed {seed} {mode}: {exc}"}
    record = analysis.exercise or {}
    checked = list(record.get("checks_measured", [])) + list(record.get("checks_estimated", []))
    counts = {flag: [0, 0, 0] for flag in checked}
    if profile.kind == "hold":
        true_holds = truth.holds
        found = analysis.holds or []
        for event in true_holds:
            unsteady = "unsteady" in event.get("labels", [])
            hit = next((h for h in found if h.start_s < event["end_s"] and h.end_s > event["start_s"]), None)
            flagged = hit is not None and "unsteady" in hit.flags
            if "unsteady" in counts:
                counts["unsteady"][0] += unsteady and flagged
                counts["unsteady"][1] += flagged and not unsteady
                counts["unsteady"][2] += unsteady and not flagged
        matched = sum(1 for e in true_holds if any(h.start_s < e["end_s"] and h.end_s > e["start_s"] for h in found))
        errors_s = [abs(sum(h.duration_s for h in found if h.start_s < e["end_s"] and h.end_s > e["start_s"])
                        - (e["end_s"] - e["start_s"])) for e in true_holds
                    if any(h.start_s < e["end_s"] and h.end_s > e["start_s"] for h in found)]
        return {"true": len(true_holds), "found": len(found), "matched": matched,
                "matched_found": min(matched, len(found)), "flags": counts, "hold_errors_s": errors_s}
    pairs = match_reps(analysis.reps, truth.reps)
    matched_found = {i for i, _ in pairs}
    matched_true = {j for _, j in pairs}
    for i, j in pairs:
        found, true = analysis.reps[i], truth.reps[j]
        if set(found.flags) & set(NOT_JUDGED) or "gap" in true.labels:
            continue
        for flag in counts:
            has, should = flag in found.flags, flag in true.labels
            counts[flag][0] += has and should
            counts[flag][1] += has and not should
            counts[flag][2] += should and not has
    for j, true in enumerate(truth.reps):
        if j not in matched_true and "gap" not in true.labels:
            for flag in counts:
                counts[flag][2] += flag in true.labels
    for i, found in enumerate(analysis.reps):
        if i not in matched_found and not set(found.flags) & set(NOT_JUDGED):
            for flag in counts:
                counts[flag][1] += flag in found.flags
    return {"true": len(truth.reps), "found": len(analysis.reps), "matched": len(pairs),
            "matched_found": len(pairs), "flags": counts}


def summarise(results: list[dict]) -> dict:
    """Pooled figures over sessions: found %, real %, per flag precision/recall/F1, errors."""
    ok = [r for r in results if "error" not in r]
    true = sum(r["true"] for r in ok)
    found = sum(r["found"] for r in ok)
    matched = sum(r["matched"] for r in ok)
    flags: dict[str, list[int]] = {}
    for r in ok:
        for flag, (tp, fp, fn) in r["flags"].items():
            total = flags.setdefault(flag, [0, 0, 0])
            total[0] += tp
            total[1] += fp
            total[2] += fn
    figures = {}
    for flag, (tp, fp, fn) in flags.items():
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / (tp + fn) if tp + fn else float("nan")
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")
        figures[flag] = {"precision": precision, "recall": recall, "f1": f1, "positives": tp + fn}
    return {
        "sessions": len(ok),
        "errors": [r["error"] for r in results if "error" in r],
        "found_pct": 100.0 * matched / true if true else float("nan"),
        "real_pct": 100.0 * matched / found if found else float("nan"),
        "true": true,
        "found": found,
        "flags": figures,
        "hold_errors_s": [e for r in ok for e in r.get("hold_errors_s", [])],
    }


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        if "-" in part:
            low, high = part.split("-")
            seeds += range(int(low), int(high) + 1)
        elif part:
            seeds.append(int(part))
    return seeds


def run(drills: list[str], seeds: list[int], modes: list[str], jobs: int) -> dict[tuple[str, str], dict]:
    """Summaries per (drill, mode)."""
    work = [(name, seed, mode) for name in drills for mode in modes for seed in seeds]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(score_drill_seed, work, chunksize=2))
    out = {}
    for name in drills:
        for mode in modes:
            out[(name, mode)] = summarise([r for (n, _, m), r in zip(work, results) if n == name and m == mode])
    return out


def print_table(summaries: dict[tuple[str, str], dict]) -> None:
    print(f"{'drill':30} {'mode':11} {'found%':>7} {'real%':>7}  flags (precision/recall/F1, positives)")
    for (name, mode), s in summaries.items():
        flags = "  ".join(
            f"{flag} {f['precision']:.2f}/{f['recall']:.2f}/{f['f1']:.2f} ({f['positives']})"
            for flag, f in s["flags"].items()
        )
        errors = s.get("hold_errors_s")
        if errors:  # a hold drill: how far the time held is off, |found - true| per true hold found
            flags += f"  hold time |error| median {np.median(errors):.1f} s, p90 {np.percentile(errors, 90):.1f} s"
        print(f"{name:30} {mode:11} {s['found_pct']:7.1f} {s['real_pct']:7.1f}  {flags}")
        for error in s["errors"][:3]:
            print(f"    error: {error}")


def posture_analyses(name: str) -> list[tuple[str, bool]]:
    """The drills a session of ``name`` is analysed as, each with whether a refusal is
    right: itself (no), a drill of the other posture (yes), and for a kneeling drill the
    standing deadlift (None: the sensors cannot tell kneeling from standing)."""
    posture = profile_named(name).start_posture
    out = [(name, False), (STANDING_DRILL if posture == "lying" else LYING_DRILL, True)]
    if posture == "kneeling":
        out.append((STANDING_DRILL, None))
    return out


def posture_seed(job: tuple[str, int, str, str]) -> dict:
    """One session of drill ``name`` analysed as ``as_name``: refused or not, and why."""
    name, seed, mode, as_name = job
    sensors, without_gyroscope = POSTURE_MODES[mode]
    recording, _ = simulate_session(
        SessionConfig.random(seed, sensors, exercise=name, accelerometer_only=without_gyroscope)
    )
    profile = profile_named(as_name)
    try:
        analysis = analyse_recording(recording, exercise=profile)
    except AnalysisError as exc:
        why = str(exc)
        by_hips = "lift the hips" in why
        if not by_hips:  # refused by walking: would the hips alone have refused it?
            try:
                analyse_recording(recording, exercise=profile, settings=WITHOUT_WALKING)
            except AnalysisError as again:
                by_hips = "lift the hips" in str(again)
        return {"refused": True, "why": why, "by_hips": by_hips}
    return {"refused": False, "by_hips": False, "hips_rise_cm": (analysis.exercise or {}).get("hips_rise_cm")}


def run_posture(drills: list[str], seeds: list[int], jobs: int) -> list[tuple[str, str, object, dict]]:
    """Rows (drill, analysed as, refusal right?, {mode: [refused, sessions, of those refused
    by the hips alone too (``WITHOUT_WALKING``), one reason]})."""
    work = [(name, seed, mode, as_name) for name in drills for as_name, _ in posture_analyses(name)
            for mode in POSTURE_MODES for seed in seeds]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(posture_seed, work, chunksize=2))
    rows = []
    for name in drills:
        for as_name, right in posture_analyses(name):
            counts = {}
            for mode in POSTURE_MODES:
                mine = [r for (n, _, m, a), r in zip(work, results) if (n, m, a) == (name, mode, as_name)]
                refused = [r for r in mine if r["refused"]]
                by_hips = sum(r["by_hips"] for r in refused)
                counts[mode] = [len(refused), len(mine), by_hips, refused[0]["why"] if refused else ""]
            rows.append((name, as_name, right, counts))
    return rows


def print_posture_table(rows: list[tuple[str, str, object, dict]]) -> None:
    """Sessions refused of those analysed, per mode; in brackets how many of them the hips
    alone (``posture.hips_rise_cm``) refuse, walking aside."""
    expect = {False: "accept", True: "refuse", None: "not told"}
    print(f"{'drill':27} {'analysed as':27} {'expected':9} " + " ".join(f"{m:>19}" for m in POSTURE_MODES))
    for name, as_name, right, counts in rows:
        cells = " ".join(f"{f'{c[0]}/{c[1]} ({c[2]} hips)':>19}" for c in counts.values())
        print(f"{name:27} {as_name:27} {expect[right]:9} {cells}")
    print("refused of sessions analysed; in brackets: of those, refused by the hips alone (walking aside)")
    for name, as_name, right, counts in rows:
        for mode, (refused, _, _, why) in counts.items():
            if right is False and refused:
                print(f"    wrongly refused ({name}, {mode}): {why}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="1-40", help="seeds to score (report on 1-999, tune on 1000-1199)")
    parser.add_argument("--drill", action="append", help="a drill to score (default: every drill)")
    parser.add_argument("--mode", action="append", choices=tuple(SENSOR_SETS), help="default: both")
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--posture", action="store_true",
                        help="measure the posture check (sessions refused as their own drill and as another)")
    args = parser.parse_args()
    drills = args.drill or list(load_profiles())
    if args.posture:
        print_posture_table(run_posture(drills, parse_seeds(args.seeds), args.jobs))
        return
    print_table(run(drills, parse_seeds(args.seeds), args.mode or list(SENSOR_SETS), args.jobs))


if __name__ == "__main__":
    main()
