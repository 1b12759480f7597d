"""Fit the one-sensor lumbar flexion model on simulator TRAINING sessions (seeds 1000–1199).

Seeds 1–999 are the held-out benchmark and are never used here. For each training seed
and scenario, a pelvis-only session is simulated and analysed up to the reps; each rep
found is matched to its true rep, and the features the pelvis sensor saw
(``imuhinge.pipeline.one_sensor.rep_features``) are paired with the true peak lumbar
flexion. A ridge regression on standardised features is fitted on seeds 1000–1139 and
checked on 1140–1199, separately for ballistic reps (swings, shorter than 1.3 s) and
controlled ones, then refitted on all of them and written to
``imuhinge/pipeline/one_sensor_model.json`` with a note of how it was fitted.

Run: ``python benchmarks/fit_one_sensor.py [--features a,b,c] [--ridge 1.0] [--write]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from scoring import match_reps  # noqa: E402

SCENARIOS = ("deadlift", "swing", "hinge")
TRAIN = range(1000, 1140)
CHECK = range(1140, 1200)
DEFAULT_FEATURES = (
    "tilt_deg",
    "back_cm",
    "down_cm",
    "early_back_cm",
    "half_back_cm",
    "eccentric_s",
    "concentric_s",
)
BALLISTIC_BELOW_S = 1.3
"""Reps shorter than this (descent plus ascent) are ballistic (swings): own coefficients."""


def rows_for(job: tuple[int, str]) -> list[dict]:
    """Feature rows (with the truth) of every matched, judged rep of one session."""
    from imuhinge.pipeline.analyse import DEFAULT_SETTINGS, build_tracks
    from imuhinge.pipeline.metrics import RepTraces, measure_rep
    from imuhinge.pipeline.one_sensor import rep_features
    from imuhinge.pipeline.reps import detect_reps
    from imuhinge.pipeline.result import ESTIMATED
    from imuhinge.settings import Thresholds
    from imuhinge.simulation import SessionConfig, simulate_session

    seed, scenario = job
    if seed < 1000:
        raise SystemExit("seeds below 1000 are the held-out benchmark")
    settings = DEFAULT_SETTINGS
    recording, truth = simulate_session(SessionConfig.random(seed=seed, sensors=("pelvis",), scenario=scenario))
    tracks, gaps, _, _ = build_tracks(recording, Thresholds(), True, settings)
    pelvis = tracks["pelvis"]
    spans = detect_reps(pelvis.angles.sagittal_deg, pelvis.stream.rate_hz, settings.segmentation)
    traces = RepTraces(
        pelvis.stream.time_s, pelvis.angles.sagittal_deg, None, None, ESTIMATED,
        pelvis.angles.frontal_deg, pelvis.angles.heading_deg, lockout_measurable=False,
        valid=pelvis.stream.valid,
    )
    reps = [measure_rep(i + 1, span, traces, settings.metrics) for i, span in enumerate(spans)]
    rows = []
    for i, j in match_reps(reps, truth.reps):
        true_rep = truth.reps[j]
        if "gap" in true_rep.labels or any(a < reps[i].end_s and b > reps[i].start_s for a, b in gaps):
            continue
        rows.append(
            {
                "seed": seed,
                "scenario": scenario,
                "lumbar_flexion_deg": true_rep.lumbar_flexion_deg,
                **rep_features(reps[i], spans[i], pelvis),
            }
        )
    return rows


def design(rows: list[dict], names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix and true flexion of ``rows``."""
    x = np.array([[row[n] for n in names] for row in rows], dtype=float)
    y = np.array([row["lumbar_flexion_deg"] for row in rows], dtype=float)
    return x, y


def fit_ridge(x: np.ndarray, y: np.ndarray, ridge: float) -> tuple[np.ndarray, float]:
    """Coefficients (in the features' own units) and intercept of a ridge regression on
    standardised features."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    a = z.T @ z + ridge * np.eye(z.shape[1])
    beta = np.linalg.solve(a, z.T @ (y - y.mean()))
    coefficients = beta / scale
    return coefficients, float(y.mean() - coefficients @ mean)


def is_ballistic(row: dict) -> bool:
    return row["eccentric_s"] + row["concentric_s"] < BALLISTIC_BELOW_S


def fit_both(rows: list[dict], names: tuple[str, ...], ridge: float) -> dict[bool, tuple[np.ndarray, float]]:
    """{ballistic?: (coefficients, intercept)} fitted on ``rows``."""
    return {kind: fit_ridge(*design([r for r in rows if is_ballistic(r) == kind], names), ridge) for kind in (False, True)}


def predict(rows: list[dict], names: tuple[str, ...], models) -> np.ndarray:
    x, _ = design(rows, names)
    kinds = np.array([is_ballistic(r) for r in rows])
    out = np.empty(len(rows))
    for kind, (coefficients, intercept) in models.items():
        out[kinds == kind] = x[kinds == kind] @ coefficients + intercept
    return out


def report(label: str, rows: list[dict], names: tuple[str, ...], models) -> None:
    if not rows:
        return
    y = np.array([r["lumbar_flexion_deg"] for r in rows])
    predicted = predict(rows, names, models)
    error = predicted - y
    rounded, said = y > 20.0, predicted > 20.0
    tp, fp, fn = int((said & rounded).sum()), int((said & ~rounded).sum()), int((~said & rounded).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")
    print(f"  {label:10s} reps {len(y):5d}  RMSE {np.sqrt(np.mean(error**2)):5.2f}°  "
          f"median |error| {np.median(np.abs(error)):5.2f}°  rounded F1 {f1:.3f} (false alarms {fp}, missed {fn})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", default=",".join(DEFAULT_FEATURES))
    parser.add_argument("--ridge", type=float, default=1.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="write the model refitted on all training seeds")
    args = parser.parse_args()
    names = tuple(args.features.split(","))
    jobs = [(seed, scenario) for scenario in SCENARIOS for seed in (*TRAIN, *CHECK)]
    with Pool(args.jobs) as pool:
        rows = [row for chunk in pool.map(rows_for, jobs, chunksize=4) for row in chunk]
    train = [r for r in rows if r["seed"] in TRAIN]
    check = [r for r in rows if r["seed"] in CHECK]
    models = fit_both(train, names, args.ridge)
    for kind, (coefficients, intercept) in models.items():
        print(("ballistic" if kind else "controlled") + ":", ", ".join(f"{n} {c:+.3f}" for n, c in zip(names, coefficients)), f"intercept {intercept:+.2f}")
    report("train", train, names, models)
    report("check", check, names, models)
    for scenario in SCENARIOS:
        report(f"  {scenario}", [r for r in check if r["scenario"] == scenario], names, models)
    if args.write:
        models = fit_both(rows, names, args.ridge)
        good_rows = [r for r in rows if r["scenario"] == "hinge"]
        good = np.array([r["lumbar_flexion_deg"] for r in good_rows])
        residual = predict(good_rows, names, models) - good
        seeds = np.array([r["seed"] for r in good_rows])
        per_person = {s: residual[seeds == s] for s in np.unique(seeds)}
        within_var = float(np.mean([np.var(p, ddof=1) for p in per_person.values() if len(p) > 1]))
        # How much of a person's offset on reference hinges carries over to their other
        # sessions (same seed = same body): the covariance of the two sessions' mean errors.
        other_rows = [r for r in rows if r["scenario"] != "hinge"]
        other_error = predict(other_rows, names, models) - np.array([r["lumbar_flexion_deg"] for r in other_rows])
        other_seeds = np.array([r["seed"] for r in other_rows])
        paired = [(per_person[s].mean(), other_error[other_seeds == s].mean())
                  for s in per_person if (other_seeds == s).any()]
        between_var = max(0.0, float(np.cov(np.array(paired).T)[0, 1]))
        print(f"reference offset carried to other sessions: covariance {between_var:.2f} deg², "
              f"good-rep scatter {np.sqrt(within_var):.2f}°")

        def part(kind: bool) -> dict:
            coefficients, intercept = models[kind]
            return {
                "features": list(names),
                "coefficients": [round(float(c), 6) for c in coefficients],
                "intercept_deg": round(intercept, 4),
                "reps": sum(1 for r in rows if is_ballistic(r) == kind),
            }

        model = {
            "controlled": part(False),
            "ballistic": part(True),
            "ballistic_below_s": BALLISTIC_BELOW_S,
            "neutral_flexion_deg": round(float(np.median(good)), 3),
            "max_reference_offset_deg": 15.0,
            "person_offset_sd_deg": round(float(np.sqrt(between_var)), 3),
            "good_rep_residual_sd_deg": round(float(np.sqrt(within_var)), 3),
            "description": {
                "fitted": "ridge regression on standardised features, one for ballistic reps "
                f"(under {BALLISTIC_BELOW_S:g} s) and one for controlled reps (benchmarks/fit_one_sensor.py)",
                "ridge": args.ridge,
                "training": f"simulator seeds {TRAIN.start}-{CHECK.stop - 1}, scenarios "
                + ", ".join(SCENARIOS) + ", pelvis sensor only; reps in data gaps left out",
                "reps": len(rows),
            },
        }
        path = ROOT / "imuhinge" / "pipeline" / "one_sensor_model.json"
        path.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
