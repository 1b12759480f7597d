"""Simulating a whole session: the recording the sensors would write, and its truth.

``simulate_session(config)`` is deterministic: the plan is all in ``config`` and the noise
realisation of each sensor comes from ``config.seed``. ``true_angles`` gives the
noise-free angles at any times, for scoring angle traces and not only reps;
``cut_session`` cuts a stretch out of a session (a set alone, which never stands still).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..recording import Recording, SensorStream
from ..settings import Thresholds
from .body import fit_balance
from .config import EXERCISE_OF_SCENARIO, Hold, SessionConfig
from .kinematics import Motion, build_motion, trunk_inclination_deg
from .sensors import (
    TIME_RESOLUTION_S,
    add_faults,
    ideal_imu,
    lost_samples,
    reported_times,
    true_sample_times,
)
from .truth import Truth, TruthRep

TRUTH_STEP_S = 1e-3
"""Grid on which the truth's peaks and times are found."""
LOCKOUT_FROM = 0.6
"""The lockout window starts this fraction of the way from bottom_s to end_s."""
SLOW_DESCENT_S = 1.5
FAST_REP_S = 1.2


def simulate_session(config: SessionConfig) -> tuple[Recording, Truth]:
    """The recording of ``config``'s session as its sensors report it, and the truth."""
    motion = build_motion(config)
    balance = fit_balance(motion, config.body, 0.0, config.duration_s)
    streams: dict[str, SensorStream] = {}
    mounting: dict[str, dict] = {}
    losses: list[dict] = []
    for k, setup in enumerate(sorted(config.sensor_setups, key=lambda s: s.label != "pelvis")):
        rng = np.random.default_rng([config.seed, 1, k])
        faults = setup.faults
        true_s = true_sample_times(config.duration_s, config.rate_hz, faults.phase_s)
        ideal_acc_g, ideal_gyr_dps = ideal_imu(
            motion, balance, config.body, setup.site, setup.segment_to_sensor_matrix, true_s
        )
        acc_g, gyr_dps = add_faults(ideal_acc_g, ideal_gyr_dps, true_s, config.rate_hz, faults, rng)
        if setup.label in config.accelerometer_only:
            gyr_dps = np.zeros_like(gyr_dps)
        stamps_s = reported_times(true_s, config.rate_hz, faults.jitter_s, rng)
        keep = ~lost_samples(true_s, config.rate_hz, faults, rng) & (stamps_s >= 0.0)
        stream = SensorStream(time_s=stamps_s[keep], acc_g=acc_g[keep], gyr_dps=gyr_dps[keep])
        streams[setup.label] = stream
        losses += _long_losses(setup.label, stream.time_s)
        mounting[setup.label] = _mounting_truth(setup, config.rate_hz, len(true_s), int((~keep).sum()))
        mounting[setup.label]["gyroscope"] = setup.label not in config.accelerometer_only

    metadata = {
        f"sensor {label}": f"imuhinge simulator, {config.rate_hz:g} Hz" for label in streams
    }
    if config.exercise:
        metadata["simulated"] = f"seed {config.seed}, exercise {config.exercise}"
        metadata["exercise"] = config.exercise
    else:
        metadata["simulated"] = f"seed {config.seed}, scenario {config.scenario}"
    recording = Recording(streams=streams, metadata=metadata, source="<simulated>")
    recording = recording.with_accelerometer_only(config.accelerometer_only)

    events = [
        {"kind": a.kind, "start_s": round(a.start_s, 4), "end_s": round(a.end_s, 4), **_event_details(a)}
        for a in config.activities
    ]
    events = sorted(events + losses, key=lambda e: e["start_s"])
    truth = Truth(
        seed=config.seed,
        sensors=list(streams),
        rate_hz=config.rate_hz,
        reps=rep_truth(config, motion, losses),
        events=events,
        mounting=mounting,
        scenario=config.scenario,
        duration_s=round(config.duration_s, 4),
        exercise=config.exercise or EXERCISE_OF_SCENARIO.get(config.scenario, ""),
        posture=config.body.posture,
        holds=hold_truth(config, motion),
    )
    return recording, truth


def cut_session(recording: Recording, truth: Truth, start_s: float, end_s: float) -> tuple[Recording, Truth]:
    """The part of a simulated session from ``start_s`` to ``end_s`` (s; times are kept).

    Only reps wholly inside are kept in the truth, and events overlapping it. Cutting a
    set out of its session gives a recording that never stands still, as an export
    started mid-set does.
    """
    streams = {}
    for label, stream in recording.streams.items():
        keep = (stream.time_s >= start_s) & (stream.time_s <= end_s)
        streams[label] = SensorStream(stream.time_s[keep], stream.acc_g[keep], stream.gyr_dps[keep])
    reps = [rep for rep in truth.reps if rep.start_s >= start_s and rep.end_s <= end_s]
    events = [e for e in truth.events if e["end_s"] > start_s and e["start_s"] < end_s]
    cut = Recording(streams=streams, metadata=dict(recording.metadata), source=recording.source)
    return cut, replace(truth, reps=reps, events=events, duration_s=round(end_s - start_s, 4))


def true_angles(config: SessionConfig, time_s: np.ndarray) -> dict[str, np.ndarray]:
    """Noise-free angles (degrees, relative to quiet standing, docs/frames.md signs) at
    ``time_s``: ``pelvis_tilt_deg``, ``trunk_inclination_deg``, ``lumbar_flexion_deg``,
    ``knee_flexion_deg``, ``pelvis_side_bend_deg``, ``thorax_side_bend_deg``, and the
    segments' headings about the vertical ``pelvis_heading_deg``, ``thorax_heading_deg``
    (+ to the left of the calibration heading)."""
    channels = build_motion(config).at(np.asarray(time_s, dtype=float))
    return {
        "pelvis_tilt_deg": channels["pelvis_tilt_deg"],
        "trunk_inclination_deg": trunk_inclination_deg(channels),
        "lumbar_flexion_deg": channels["lumbar_flexion_deg"],
        "knee_flexion_deg": channels["knee_flexion_deg"],
        "pelvis_side_bend_deg": channels["pelvis_side_bend_deg"],
        "thorax_side_bend_deg": channels["thorax_side_bend_deg"],
        "pelvis_heading_deg": channels["heading_deg"] + channels["pelvis_rotation_deg"],
        "thorax_heading_deg": channels["heading_deg"] + channels["thorax_rotation_deg"],
    }


def _profile(config: SessionConfig):
    """The drill profile judging a session's reps: None for a legacy scenario session,
    whose labels keep the default thresholds."""
    if not config.exercise:
        return None
    from ..exercises import profile_named

    return profile_named(config.exercise)


def _peak(values: np.ndarray) -> float:
    """The value of largest magnitude (signed)."""
    return float(values[np.argmax(np.abs(values))])


def rep_truth(config: SessionConfig, motion: Motion, losses: list[dict]) -> list[TruthRep]:
    """Per-rep truth (see ``imuhinge.simulation.truth``) from the noise-free angles on a
    ``TRUTH_STEP_S`` grid."""
    thresholds = Thresholds()
    profile = _profile(config)
    backward = profile is not None and profile.direction == "backward"
    thorax_worn = "thorax" in config.sensors
    reps = []
    for plan in config.sets:
        first = len(reps)
        for rep in plan.reps:
            time_s = np.append(np.arange(rep.start_s, rep.end_s, TRUTH_STEP_S), rep.end_s)
            channels = motion.at(time_s)
            pelvis = channels["pelvis_tilt_deg"]
            lumbar = channels["lumbar_flexion_deg"]
            trunk = trunk_inclination_deg(channels)
            bottom_s = float(time_s[np.argmin(pelvis) if backward else np.argmax(pelvis)])
            if backward:
                lockout = np.ones_like(time_s, dtype=bool)
                short = max(0.0, plan.hip_straight_deg - float(-pelvis.min()))
            else:
                lockout = time_s >= bottom_s + LOCKOUT_FROM * (rep.end_s - bottom_s)
                short = max(0.0, float(pelvis[lockout].min()))
            lumbar_peak = float(lumbar.max())
            extension = max(0.0, float(-lumbar[lockout].min()))
            side = {k: _peak(channels[f"{k}_side_bend_deg"]) for k in ("pelvis", "thorax")}
            turn = {
                k: _peak(
                    channels["heading_deg"] + channels[f"{k}_rotation_deg"]
                    - channels["heading_deg"][0] - channels[f"{k}_rotation_deg"][0]
                )
                for k in ("pelvis", "thorax")
            }
            worn = ("pelvis", "thorax") if thorax_worn else ("pelvis",)
            side_bend = max(abs(side[k]) for k in worn)
            rotation = max(abs(turn[k]) for k in worn)
            if profile is None:
                labels = ["rounded" if lumbar_peak > thresholds.max_lumbar_flexion_deg else "good"]
                if extension > thresholds.max_lockout_extension_deg:
                    labels.append("overextended")
            else:
                labels = []  # the profile's checks, once depth_change_pct is known
            labels += {"stool": ["shallow"], "floor": ["deep"]}.get(rep.depth, [])
            if rep.descent_s >= SLOW_DESCENT_S:
                labels.append("slow")
            elif rep.end_s - rep.start_s <= FAST_REP_S:
                labels.append("fast")
            if plan.load_kg > 0.0:
                labels.append("loaded")
            if any(e["start_s"] < rep.end_s and e["end_s"] > rep.start_s for e in losses):
                labels.append("gap")
            reps.append(
                TruthRep(
                    rep=len(reps) + 1,
                    start_s=round(rep.start_s, 4),
                    bottom_s=round(bottom_s, 4),
                    end_s=round(rep.end_s, 4),
                    pelvis_tilt_deg=round(float(pelvis.min() if backward else pelvis.max()), 3),
                    trunk_inclination_deg=round(float(trunk.min() if backward else trunk.max()), 3),
                    lumbar_flexion_deg=round(lumbar_peak, 3),
                    lockout_extension_deg=round(extension, 3),
                    labels=labels,
                    set_index=plan.index,
                    load_kg=plan.load_kg,
                    knee_flexion_deg=round(float(channels["knee_flexion_deg"].max()), 3),
                    side_bend_deg=round(side_bend, 3),
                    rotation_deg=round(rotation, 3),
                    hip_extension_short_deg=round(short, 3),
                    pelvis_side_bend_deg=round(side["pelvis"], 3),
                    thorax_side_bend_deg=round(side["thorax"], 3),
                    pelvis_rotation_deg=round(turn["pelvis"], 3),
                    thorax_rotation_deg=round(turn["thorax"], 3),
                    hip_straight_deg=round(plan.hip_straight_deg, 3),
                )
            )
        depths = np.abs([r.pelvis_tilt_deg for r in reps[first:]])
        median = float(np.median(depths)) if len(depths) else 0.0
        for r, depth in zip(reps[first:], depths):
            r.depth_change_pct = round(100.0 * abs(depth - median) / median, 2) if median > 0.0 else 0.0
            if profile is not None:
                r.labels = _check_flags(profile, r) + r.labels
    return reps


def _check_flags(profile, rep: TruthRep) -> list[str]:
    """The flags of ``profile``'s rep checks that ``rep``'s true values break, or ``good``."""
    flags: list[str] = []
    for check in profile.checks:
        value = getattr(rep, check.metric, None)
        if isinstance(value, float) and check.fires(value) and check.flag not in flags:
            flags.append(check.flag)
    return flags or ["good"]


def hold_truth(config: SessionConfig, motion: Motion) -> list[dict]:
    """Truth of each isometric hold (see ``Truth.holds``)."""
    profile = _profile(config)
    check = None
    if profile is not None:
        check = next((c for c in profile.checks if c.metric == "hold_sway_deg"), None)
    holds = []
    for hold in config.activities:
        if not isinstance(hold, Hold):
            continue
        time_s = np.arange(hold.held_start_s, hold.held_end_s, TRUTH_STEP_S)
        channels = motion.at(time_s)
        pelvis = channels["pelvis_tilt_deg"]
        trunk = trunk_inclination_deg(channels)
        rms = lambda v: float(np.sqrt(np.mean((v - v.mean()) ** 2)))  # noqa: E731
        pelvis_rms, thorax_rms = rms(pelvis), rms(trunk)
        sway = max(pelvis_rms, thorax_rms) if "thorax" in config.sensors else pelvis_rms
        unsteady = check.fires(sway) if check is not None else False
        holds.append(
            {
                "start_s": round(hold.held_start_s, 4),
                "end_s": round(hold.held_end_s, 4),
                "sway_deg": round(sway, 3),
                "pelvis_sway_deg": round(pelvis_rms, 3),
                "thorax_sway_deg": round(thorax_rms, 3),
                "peak_sway_deg": round(float(np.abs(trunk - trunk.mean()).max()), 3),
                "labels": [check.flag if unsteady else "steady"] if check is not None else ["steady"],
            }
        )
    return holds


def _long_losses(label: str, time_s: np.ndarray) -> list[dict]:
    """Losses longer than the analysis bridges, from the timestamps actually received."""
    limit_s = Thresholds().max_bridged_gap_s
    step = np.diff(time_s)
    return [
        {"kind": "loss", "start_s": round(float(time_s[i]), 4), "end_s": round(float(time_s[i + 1]), 4), "sensor": label}
        for i in np.flatnonzero(step > limit_s)
    ]


def _event_details(activity) -> dict:
    change = getattr(activity, "heading_change_deg", None)
    return {} if change is None else {"heading_change_deg": round(float(change), 2)}


def _mounting_truth(setup, rate_hz: float, samples: int, lost: int) -> dict:
    """How a sensor was clipped and what its faults were, for the truth file."""
    faults = setup.faults
    r = setup.segment_to_sensor_matrix
    return {
        "site": setup.site,
        "segment_to_sensor": np.round(r, 6).tolist(),
        "axis_rotation": np.asarray(setup.axis_rotation).reshape(3, 3).astype(int).tolist(),
        "tilt_deg": round(setup.tilt_deg, 3),
        "gravity_in_sensor_g": np.round(r.T @ np.array([0.0, 0.0, 1.0]), 6).tolist(),
        "gyro_bias_dps": [round(v, 4) for v in faults.gyro_bias_dps],
        "gyro_drift_dps_per_sqrt_s": round(faults.gyro_drift_dps_per_sqrt_s, 5),
        "gyro_noise_dps": round(faults.gyro_noise_dps, 4),
        "acc_bias_g": [round(v, 5) for v in faults.acc_bias_g],
        "acc_scale": [round(v, 5) for v in faults.acc_scale],
        "acc_noise_g": round(faults.acc_noise_g, 5),
        "quantised": faults.quantise,
        "rate_hz": rate_hz,
        "phase_s": round(faults.phase_s, 6),
        "jitter_s": round(faults.jitter_s, 6),
        "time_resolution_s": TIME_RESOLUTION_S,
        "samples": samples,
        "lost_samples": lost,
        "lost_fraction": round(lost / samples, 5) if samples else 0.0,
        "long_loss": (
            {"start_s": round(faults.long_loss_start_s, 4), "duration_s": round(faults.long_loss_s, 4)}
            if faults.long_loss_s > 0.0
            else None
        ),
    }
