"""``imuhinge simulate --out FILE.csv``: a realistic simulated recording and its truth.

With ``--plan NAME --out FOLDER`` the simulated person does a whole session plan in one
session, and the folder is written as ``imuhinge live --plan`` writes one: a recording per
drill (``01-bridge.csv``, …) and, with a bare ``--truth``, each drill's truth next to it
(``01-bridge.truth.json``)."""

from __future__ import annotations

import argparse

from ..errors import BadInputError

SCENARIO_CHOICES = ("deadlift", "swing", "hinge")
TRUTH_NEXT_TO_RECORDINGS = object()
"""``--truth`` given without a file name (only with ``--plan``)."""


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
        "own start posture (lying, kneeling or standing) with its typical faults. With --plan, "
        "a whole session plan in one continuous session (one set of each drill, the posture "
        "changes between them), written to a folder as 'imuhinge live --plan' records one: "
        "a recording per drill, 01-bridge.csv and so on.",
    )
    parser.add_argument(
        "--out", metavar="FILE.csv|FOLDER", required=True,
        help="recording CSV to write; with --plan, the folder to write (new or empty)",
    )
    parser.add_argument(
        "--truth", metavar="FILE.json", nargs="?", const=TRUTH_NEXT_TO_RECORDINGS,
        help="write the ground truth here; with --plan give no file name: each drill's truth "
        "is written next to its recording (01-bridge.truth.json)",
    )
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
        "--plan",
        metavar="NAME",
        help="simulate this session plan (such as progression: every drill of the programme "
        "in order) in one session and write it to the --out folder",
    )
    parser.add_argument(
        "--reps-per-drill",
        metavar="N",
        help="with --plan: reps in each drill's set (default: each drill's target, 15)",
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

    if args.plan is not None:
        return run_plan(args)
    if args.reps_per_drill is not None:
        raise BadInputError("--reps-per-drill needs --plan")
    if args.truth is TRUTH_NEXT_TO_RECORDINGS:
        raise BadInputError("--truth needs a file name (FILE.json), except with --plan")
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


def run_plan(args: argparse.Namespace) -> int:
    """``--plan NAME --out FOLDER``: the plan session, written as a live plan folder."""
    from pathlib import Path

    from ..exercises.plan import plan_file_name
    from ..recording import write_recording
    from ..simulation import simulate_plan
    from ..simulation.plan import plan_truth_file_name

    for option, value in (("--scenario", args.scenario), ("--exercise", args.exercise),
                          ("--duration-s", args.duration_s)):
        if value is not None:
            raise BadInputError(f"give either --plan or {option}, not both")
    if args.truth is not None and args.truth is not TRUTH_NEXT_TO_RECORDINGS:
        raise BadInputError(
            "with --plan, --truth takes no file name: each drill's truth is written next to its recording"
        )
    reps = None if args.reps_per_drill is None else _whole_number(args.reps_per_drill, "--reps-per-drill")
    if reps == 0:
        raise BadInputError("--reps-per-drill must be a whole number from 1, not '0'")
    folder = Path(args.out)
    if folder.exists() and not (folder.is_dir() and not any(folder.iterdir())):
        raise BadInputError(f"{folder}: already exists and is not an empty folder; choose another --out")
    simulated = simulate_plan(
        _whole_number(args.seed, "--seed"), _sensors(args.sensors), args.plan, reps_per_drill=reps,
        rate_hz=_number(args.rate_hz, "--rate-hz"), accelerometer_only=_accelerometer_only(args.accelerometer_only),
    )
    _write(str(folder), lambda path: Path(path).mkdir(parents=True, exist_ok=True))
    lines = []
    for index, (part, recording, truth) in enumerate(simulated.part_recordings(), start=1):
        name = plan_file_name(index, part.drill)
        _write(str(folder / name), lambda path: write_recording(recording, path))
        if args.truth is not None:
            _write(str(folder / plan_truth_file_name(index, part.drill)), truth.write)
        lines.append(f"  {name}: {truth.duration_s:.1f} s, {_summary(truth)}")
    config = simulated.config
    no_gyroscope = ""
    if config.accelerometer_only:
        no_gyroscope = f" (accelerometer only: {', '.join(config.accelerometer_only)})"
    print(
        f"wrote {folder}: plan {simulated.plan}, {len(simulated.parts)} drills, "
        f"{' and '.join(simulated.recording.sensors)}{no_gyroscope}, {config.rate_hz:g} Hz, "
        f"{config.duration_s:.1f} s in all, seed {config.seed}"
        + ("; each drill's truth next to its recording" if args.truth is not None else "")
    )
    print("\n".join(lines))
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
