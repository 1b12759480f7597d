"""``imuhinge live``: per-rep feedback during a set, a crash-safe recording, the report after.

With ``--simulate`` the simulator's session is played in real time (or faster) through
the same path a sensor's samples take. Without it, ``--pelvis`` (and optionally
``--thorax``) are connected over Bluetooth (``imuhinge.live.ble_source``) and their samples
take that same path; a sensor that cannot be reached ends the command with status 2.

``--exercise NAME`` names the drill (``imuhinge exercises`` lists them; default the
kettlebell deadlift, the analysis as it was before drills were named): the screen shows
its title, cue and target, each rep is judged by its checks, the recording names it, and
with ``--simulate`` the simulated session is of that drill.

``--plan NAME`` walks through a session plan's drills instead (``progression``: the whole
programme, bridge to swing; ``imuhinge.live.plan``): each drill's cue and target in turn,
moving on when its set is done, each drill recorded to its own file in the session folder
(``--out FOLDER``), every drill analysed at the end.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ..errors import BadInputError
from .analyse_cmd import DEFAULT_EXERCISE, add_threshold_options, thresholds_from
from .simulate_cmd import _number, _sensors, _whole_number


def register(commands) -> None:
    parser = commands.add_parser(
        "live",
        help="live per-rep feedback from the sensors (or a simulated session), recorded to disk",
        description="Stream one or two sensors, calibrate from 3 s of quiet standing, judge each "
        "rep as soon as you are back up (green: the hips hinged; red: the back rounded or "
        "arched, with a bell), record every sample to a CSV that survives a crash, and "
        "analyse the recording at the end. Stop with Ctrl-C or --duration.",
    )
    parser.add_argument("--pelvis", metavar="ADDRESS_OR_NAME", help="the sacrum sensor")
    parser.add_argument("--thorax", metavar="ADDRESS_OR_NAME", help="the T12 sensor (optional)")
    parser.add_argument("--protocol", metavar="NAME", default="auto",
                        help="sensor protocol: auto (from the sensor's services and name) or a name from "
                        "`imuhinge scan`, such as witmotion or imuhinge-v1 (default auto)")
    parser.add_argument("--rate-hz", metavar="HZ", default="auto",
                        help="sample rate to configure the sensors to; default auto: each sensor's rate "
                        "nearest 100 Hz (firmware_protocols/README.md lists every sensor's rates)")
    parser.add_argument(
        "--simulate", action="store_true", help="play a simulated session instead of connecting to sensors"
    )
    parser.add_argument("--sensors", metavar="LIST", default="pelvis,thorax",
                        help="with --simulate: pelvis, or pelvis,thorax (default pelvis,thorax)")
    parser.add_argument("--seed", metavar="N", default="0", help="with --simulate: random seed (default 0)")
    parser.add_argument("--speed", metavar="X", default="1",
                        help="with --simulate: play X times faster than real time (default 1)")
    parser.add_argument("--duration", metavar="S", help="stop after S seconds of session time")
    parser.add_argument("--out", metavar="FILE.csv", help="recording to write (default imuhinge-live-DATE-TIME.csv); "
                        "with --plan, the session folder (default imuhinge-plan-DATE-TIME)")
    parser.add_argument("--json", metavar="OUT", help="write the end-of-session analysis JSON")
    parser.add_argument("--plot", metavar="PNG", help="write the end-of-session plot")
    parser.add_argument("--report", metavar="HTML", help="write the end-of-session HTML report")
    parser.add_argument("--exercise", metavar="NAME",
                        help="the drill ('imuhinge exercises' lists them): its cue, target and checks "
                        f"(default {DEFAULT_EXERCISE}); with --simulate, the drill simulated (without "
                        "it, the mixed deadlift session)")
    parser.add_argument("--target-reps", metavar="N",
                        help="reps in the set (default: the drill's target, 15); with --plan, in every drill's set")
    parser.add_argument("--plan", metavar="NAME",
                        help="walk through a session plan's drills in order (progression: the whole programme, "
                        "bridge to swing), moving on when each set is done; each drill is recorded to its own "
                        "file in the folder given by --out (default imuhinge-plan-DATE-TIME)")
    add_threshold_options(parser)
    parser.set_defaults(handler=run)


def exercise_and_target(args: argparse.Namespace):
    """The drill's profile and the set's target reps (None for a hold) from the options."""
    from ..exercises import profile_named

    profile = profile_named((args.exercise or DEFAULT_EXERCISE).strip())
    if profile.kind == "hold":
        if args.target_reps is not None:
            raise BadInputError(
                f"{profile.name} is a hold of {profile.target_hold_s:g} s, not reps; leave out --target-reps"
            )
        return profile, None
    if args.target_reps is None:
        return profile, profile.target_reps
    return profile, max(1, _whole_number(args.target_reps, "--target-reps"))


def run(args: argparse.Namespace) -> int:
    if args.plan is not None and args.exercise is not None:
        raise BadInputError("--plan walks through its own drills; leave out --exercise")
    if not args.simulate:
        if not args.pelvis:
            raise BadInputError("live needs --pelvis ADDRESS_OR_NAME (or --simulate to try it without sensors)")
        return run_sensors(args)
    return run_simulated(args)


def run_sensors(args: argparse.Namespace) -> int:
    """Stream the sensors over Bluetooth through the same session as ``--simulate``."""
    from pathlib import Path

    from rich.console import Console

    from ..ble import BleError
    from ..live.ble_source import BleSource
    from ..live.session import run_live_session
    from ..protocols.registry import AUTO, PROTOCOLS

    rate_hz = None if args.rate_hz == "auto" else _number(args.rate_hz, "--rate-hz")
    if args.rate_hz != "auto" and (rate_hz is None or rate_hz <= 0):
        raise BadInputError(f"--rate-hz must be auto or a positive number, not '{args.rate_hz}'")
    if args.protocol != AUTO:
        if args.protocol not in PROTOCOLS:
            raise BadInputError(f"--protocol must be auto or one of {', '.join(PROTOCOLS)}, not '{args.protocol}'")
        if rate_hz is not None:
            try:
                PROTOCOLS[args.protocol].start_commands(float(rate_hz))
            except ValueError as exc:
                raise BadInputError(f"{exc} (--rate-hz)") from None
    duration_s = _number(args.duration, "--duration")
    if duration_s is not None and duration_s <= 0:
        raise BadInputError(f"--duration must be a positive number of seconds, not '{args.duration}'")
    profile, target = exercise_and_target(args)
    plan, folder = plan_and_folder(args)
    targets = {"pelvis": args.pelvis}
    if args.thorax:
        if args.thorax.strip().lower() == args.pelvis.strip().lower():
            raise BadInputError("--pelvis and --thorax name the same sensor; give two different sensors")
        targets["thorax"] = args.thorax
    source = BleSource(targets, protocol=args.protocol, rate_hz=rate_hz, duration_s=duration_s)
    console = Console(highlight=False)
    if plan is not None:
        result = run_plan(args, plan, folder, source, dict(targets),
                          {label: float(rate_hz or 0.0) for label in targets}, {"transport": "Bluetooth"}, console)
        if source.streams:
            console.print(source.describe())
        return 0 if result is not None and result.analysed else 2
    out = args.out or time.strftime("imuhinge-live-%Y%m%d-%H%M%S.csv")
    if Path(out).exists():  # say so before connecting, not once the sensors stream
        raise BadInputError(f"{out}: already exists; choose another --out or remove it")
    try:
        agreement = run_live_session(
            source,
            sensor_names=dict(targets),
            rates_hz={label: float(rate_hz or 0.0) for label in targets},  # replaced by the links' own
            out_path=out,
            thresholds=thresholds_from(args, profile),
            duration_s=duration_s,
            target_reps=target,
            exercise=profile,
            metadata={"transport": "Bluetooth"},
            console=console,
            json_path=args.json,
            plot_path=args.plot,
            report_path=args.report,
        )
    except BleError:
        # No sensor streamed: the recording holds only its header, so leave no file behind.
        if not any(source.samples.values()):
            Path(out).unlink(missing_ok=True)
        raise
    if source.streams:
        console.print(source.describe())
    return 0 if agreement is not None else 2


def run_simulated(args: argparse.Namespace) -> int:
    from ..live.session import run_live_session
    from ..live.simulated import play
    from ..simulation import SessionConfig, simulate_session

    speed = _number(args.speed, "--speed")
    if speed is None or speed <= 0:
        raise BadInputError(f"--speed must be a positive number, not '{args.speed}'")
    duration_s = _number(args.duration, "--duration")
    if duration_s is not None and duration_s <= 0:
        raise BadInputError(f"--duration must be a positive number of seconds, not '{args.duration}'")
    profile, target = exercise_and_target(args)
    seed = _whole_number(args.seed, "--seed")
    plan, folder = plan_and_folder(args)
    if plan is not None:
        return run_simulated_plan(args, plan, folder, seed, speed, duration_s)
    config = SessionConfig.random(seed=seed, sensors=_sensors(args.sensors), exercise=args.exercise and profile.name)
    recording, _ = simulate_session(config)
    what = f"exercise {config.exercise}" if config.exercise else f"scenario {config.scenario}"
    out = args.out or time.strftime("imuhinge-live-%Y%m%d-%H%M%S.csv")
    names = {label: f"simulator, seed {seed}" for label in recording.streams}
    agreement = run_live_session(
        play(recording, speed=speed),
        sensor_names=names,
        rates_hz={label: config.rate_hz for label in recording.streams},
        out_path=out,
        thresholds=thresholds_from(args, profile),
        duration_s=duration_s,
        target_reps=target,
        exercise=profile,
        metadata={"simulated": f"seed {seed}, {what}, played at {speed:g}x"},
        json_path=args.json,
        plot_path=args.plot,
        report_path=args.report,
    )
    return 0 if agreement is not None else 2


def plan_and_folder(args: argparse.Namespace):
    """The session plan (None without ``--plan``) and its folder, refused if it holds files."""
    from pathlib import Path

    from ..exercises import plan_named

    if args.plan is None:
        return None, None
    plan = plan_named(args.plan.strip())
    folder = Path(args.out or time.strftime("imuhinge-plan-%Y%m%d-%H%M%S"))
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BadInputError(f"{folder}: already exists and is not an empty folder; choose another --out")
    return plan, folder


def run_plan(args, plan, folder, source, sensor_names, rates_hz, metadata, console=None):
    """A plan session from ``source`` (see ``imuhinge.live.plan_run``)."""
    from ..exercises import profile_named
    from ..live.plan_run import run_live_plan

    target = None
    if args.target_reps is not None:
        target = max(1, _whole_number(args.target_reps, "--target-reps"))
    for name in plan.drills:  # the drills' thresholds are checked before anything streams
        thresholds_from(args, profile_named(name))
    return run_live_plan(
        source, plan=plan, sensor_names=sensor_names, rates_hz=rates_hz, folder=folder,
        thresholds_for=lambda profile: thresholds_from(args, profile), target_reps=target,
        duration_s=_number(args.duration, "--duration"), metadata=metadata, console=console,
        json_path=args.json, plot_path=args.plot, report_path=args.report,
    )


def run_simulated_plan(args, plan, folder, seed: int, speed: float, duration_s) -> int:
    """``--simulate --plan``: the simulator performs the whole plan, played as sensors would send it."""
    from ..live.simulated import play
    from ..simulation import simulate_plan

    target = None if args.target_reps is None else max(1, _whole_number(args.target_reps, "--target-reps"))
    simulated = simulate_plan(seed, _sensors(args.sensors), plan.name, reps_per_drill=target)
    recording = simulated.recording
    rate_hz = {label: 1.0 / float(np.median(np.diff(s.time_s))) for label, s in recording.streams.items()}
    names = {label: f"simulator, seed {seed}" for label in recording.streams}
    result = run_plan(args, plan, folder, play(recording, speed=speed), names, rate_hz,
                      {"simulated": f"seed {seed}, plan {plan.name}, played at {speed:g}x"})
    return 0 if result is not None and result.analysed else 2
