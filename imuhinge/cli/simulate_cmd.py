"""``imuhinge simulate --out FILE.csv``: a realistic simulated recording and its truth."""

from __future__ import annotations

import argparse

from ..errors import BadInputError

SCENARIO_CHOICES = ("deadlift", "swing", "hinge")


def register(commands) -> None:
    parser = commands.add_parser(
        "simulate",
        help="write a simulated recording (and its ground truth) to try or test the analysis",
        description="Simulate a session of hip hinges seen by a sacrum sensor and optionally "
        "a T12 sensor: reps of known form (good, rounded, overextended), walking and "
        "fidgeting between sets, sensors clipped at any orientation with bias, noise, "
        "quantisation, jitter and packet loss. Writes a recording CSV (contract 1) and, with "
        "--truth, the true reps and events as JSON. The same seed gives the same files. "
        "With --exercise, any drill of the programme ('imuhinge exercises' lists them) in its "
        "own start posture (lying, kneeling or standing) with its typical faults.",
    )
    parser.add_argument("--out", metavar="FILE.csv", required=True, help="recording CSV to write")
    parser.add_argument("--truth", metavar="FILE.json", help="write the ground truth here")
    parser.add_argument(
        "--sensors",
        metavar="LIST",
        default="pelvis,thorax",
        help="pelvis, or pelvis,thorax (default pelvis,thorax)",
    )
    parser.add_argument("--seed", metavar="N", default="0", help="random seed, a whole number (default 0)")
    parser.add_argument(
        "--rate-hz",
        metavar="HZ",
        help="sample rate, 25 to 400 Hz (default: drawn from the seed among 50–200 Hz)",
    )
    parser.add_argument(
        "--scenario",
        choices=SCENARIO_CHOICES,
        help="deadlift: mixed kettlebell deadlifts (default); swing: continuous fast swings; "
        "hinge: bodyweight good hinges (a reference recording)",
    )
    parser.add_argument(
        "--exercise",
        metavar="NAME",
        help="simulate this drill of the programme instead of a scenario, such as bridge or "
        "suitcase-deadlift: 15 reps a set (or one hold) with a mix of clean and faulty reps; "
        "the recording names it in an '# exercise:' line",
    )
    parser.add_argument(
        "--duration-s",
        metavar="S",
        help="make the session this long, adding sets as needed (default: 1–3 sets)",
    )
    parser.add_argument(
        "--accelerometer-only",
        metavar="LIST",
        nargs="?",
        const="all",
        help="simulate sensors without a gyroscope (such as a Polar H10): all sensors, or "
        "the listed ones (e.g. pelvis); their gyroscope columns are written as 0.0 and the "
        "file says so in an '# accelerometer-only:' line",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..recording import write_recording
    from ..simulation import SessionConfig, simulate_session

    if args.exercise is not None and args.scenario is not None:
        raise BadInputError("give either --scenario or --exercise, not both")
    config = SessionConfig.random(
        seed=_whole_number(args.seed, "--seed"),
        sensors=_sensors(args.sensors),
        scenario=args.scenario or "deadlift",
        rate_hz=_number(args.rate_hz, "--rate-hz"),
        duration_s=_number(args.duration_s, "--duration-s"),
        accelerometer_only=_accelerometer_only(args.accelerometer_only),
        exercise=args.exercise,
    )
    recording, truth = simulate_session(config)
    _write(args.out, lambda path: write_recording(recording, path))
    if args.truth:
        _write(args.truth, truth.write)
    no_gyroscope = f" (accelerometer only: {', '.join(config.accelerometer_only)})" if config.accelerometer_only else ""
    what = f"exercise {config.exercise}" if config.exercise else f"scenario {config.scenario}"
    print(
        f"wrote {args.out}: {' and '.join(recording.sensors)}{no_gyroscope}, {config.rate_hz:g} Hz, "
        f"{config.duration_s:.1f} s, {what}, seed {config.seed}; {_summary(truth)}"
        + (f"; truth in {args.truth}" if args.truth else "")
    )
    return 0


def _summary(truth) -> str:
    """What the session holds: reps and their faults, or the holds."""
    if truth.holds and not truth.reps:
        parts = [f"{h['end_s'] - h['start_s']:.0f} s, sway {h['sway_deg']:.1f}° ({h['labels'][0]})" for h in truth.holds]
        return f"{len(truth.holds)} hold{'s' if len(truth.holds) != 1 else ''} ({'; '.join(parts)})"
    faults = ["rounded", "overextended"]
    faults += sorted({label for rep in truth.reps for label in rep.labels} - set(faults) - NOT_FAULTS)
    counts = ", ".join(f"{sum(f in rep.labels for rep in truth.reps)} {f.replace('_', ' ')}" for f in faults)
    gaps = sum("gap" in rep.labels for rep in truth.reps)
    return f"{len(truth.reps)} reps ({counts}, {gaps} over a data gap)"


NOT_FAULTS = {"good", "gap", "shallow", "deep", "slow", "fast", "loaded"}
"""Truth labels that describe a rep rather than name a fault."""


def _sensors(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise BadInputError("--sensors needs pelvis, or pelvis,thorax")
    return names


def _accelerometer_only(text: str | None) -> bool | tuple[str, ...]:
    """``--accelerometer-only``: absent (none), bare (every sensor) or a list of labels."""
    if text is None:
        return ()
    if text == "all":
        return True
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise BadInputError("--accelerometer-only needs sensor labels, such as pelvis")
    return names


def _whole_number(text: str, option: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise BadInputError(f"{option} must be a whole number from 0, not '{text}'") from None
    if value < 0:
        raise BadInputError(f"{option} must be a whole number from 0, not '{text}'")
    return value


def _number(text: str | None, option: str) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadInputError(f"{option} must be a number, not '{text}'") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise BadInputError(f"{option} must be a finite number, not '{text}'")
    return value


def _write(path: str, write) -> None:
    try:
        write(path)
    except OSError as exc:
        raise BadInputError(f"cannot write {path} ({exc.strerror or exc})") from None
