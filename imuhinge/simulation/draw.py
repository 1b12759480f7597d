"""Drawing a varied, realistic session from a seed (``SessionConfig.random``).

A session starts with 5.5–8 s of quiet standing (the calibration), then sets of reps with
rests between them made of walking, turning on the spot, fidgeting and quiet pauses. The
events tile the time outside the sets. Scenarios:

- ``deadlift``: kettlebell deadlifts, 1–3 sets of 5–12 reps, each set from a stool
  (shallow) or the floor (deep), slow or normal tempo, 0–32 kg; mostly good reps, some
  rounded (more often deep, heavy and late in the set), a few overextended at lockout;
- ``swing``: continuous fast swings with 12–24 kg, a rep every 0.85–1.3 s: hike back, hip
  snap, and a float at the top of 0.05–0.2 s before the next hike; an arch at lockout is
  held through the float;
- ``hinge``: bodyweight good hinges only, the user's reference recording.

Class margins are kept honest against the product thresholds (rounded above 20° lumbar
flexion, overextended above 10° lockout extension): good reps peak at 2–10° of lumbar
flexion, rounded ones at 25–50°; normal lockouts arch 0–5°, overextended ones 12–20°.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import BadInputError
from ..recording.columns import SENSOR_LABELS
from .config import (
    SCENARIOS,
    SENSOR_SITES,
    BodySettings,
    Fidget,
    FidgetPose,
    Pause,
    RepPlan,
    SensorFaults,
    SensorSetup,
    SessionConfig,
    SetPlan,
    Sway,
    Turn,
    Walk,
)
from .sensors import axis_aligned_rotations, tilt_rotation

RATES_HZ = (50.0, 52.0, 100.0, 104.0, 200.0)
"""Rates commonly configured on BLE IMUs; one is drawn when none is asked for."""
MIN_DURATION_S = 20.0
LONG_LOSS_CHANCE = 0.4
"""Chance of one long packet loss (0.4–1.5 s) on a sensor chosen at random (pelvis or
thorax); when that sensor is not worn there is none, so 40% of two-sensor sessions and
20% of one-sensor ones have one."""
MIN_SESSION_S = 90.0
"""Without a set duration, a session is extended with activity to at least about this."""


def draw_session(
    seed: int,
    sensors: tuple[str, ...],
    scenario: str,
    rate_hz: float | None,
    duration_s: float | None,
    exercise: str | None = None,
) -> SessionConfig:
    """See ``SessionConfig.random``.

    Each part is drawn from its own random stream of the seed, so the same seed gives the
    same person in every scenario, the same session whatever the rate asked for, and the
    same pelvis sensor whether or not a thorax sensor is added. With ``exercise`` the
    sets (or the hold) are drawn by that drill (``imuhinge.simulation.drills``), in its
    posture; everything else is drawn as for a scenario.
    """
    drill = None
    if exercise is not None:
        from .drills import drill_named

        drill = drill_named(exercise)
    _check(seed, sensors, scenario if drill is None else "hinge", rate_hz, duration_s)
    sensors = tuple(sorted(sensors, key=lambda label: label != "pelvis"))
    stream = lambda *key: np.random.default_rng([seed, *key])  # noqa: E731
    rate = float(rate_hz) if rate_hz is not None else float(stream(3).choice(RATES_HZ))
    body_rng = stream(2)
    body = BodySettings(
        mass_kg=float(body_rng.uniform(55.0, 100.0)),
        shank_m=float(body_rng.uniform(0.39, 0.47)),
        thigh_m=float(body_rng.uniform(0.41, 0.49)),
        lumbar_m=float(body_rng.uniform(0.17, 0.22)),
    )
    if drill is None:
        timeline = _Timeline(stream(0))
        sets = timeline.draw(scenario, duration_s)
    else:
        body = replace(body, posture=drill.posture)
        timeline = drill.timeline(stream(0))
        sets = timeline.draw_drill(drill, duration_s)
    total_s = timeline.t
    reps = [rep for s in sets for rep in s.reps]
    setups = [_draw_sensor(stream(4, SENSOR_LABELS.index(label)), label, rate) for label in sensors]
    loss_rng = stream(5)
    target = str(loss_rng.choice(SENSOR_LABELS))
    if loss_rng.random() < LONG_LOSS_CHANCE and total_s > 20.0 and target in sensors:
        k = sensors.index(target)
        setups[k] = _with_long_loss(loss_rng, setups[k], reps, total_s)
    return SessionConfig(
        seed=int(seed),
        sensors=sensors,
        rate_hz=rate,
        scenario=scenario if drill is None else drill.name,
        duration_s=float(total_s),
        body=body,
        sets=tuple(sets),
        activities=tuple(timeline.activities),
        background=_draw_background(stream(6)),
        sensor_setups=tuple(setups),
        exercise=drill.name if drill is not None else "",
    )


def _check(seed, sensors, scenario, rate_hz, duration_s) -> None:
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise BadInputError(f"the seed must be a whole number from 0, not {seed!r}")
    if scenario not in SCENARIOS:
        raise BadInputError(f"unknown scenario '{scenario}' (expected {', '.join(SCENARIOS)})")
    unknown = [s for s in sensors if s not in SENSOR_SITES]
    if unknown:
        raise BadInputError(f"unknown sensor '{unknown[0]}' (expected pelvis and optionally thorax)")
    if "pelvis" not in sensors or len(set(sensors)) != len(sensors):
        raise BadInputError("the sensors must be pelvis, or pelvis and thorax, each once")
    if rate_hz is not None and not 25.0 <= rate_hz <= 400.0:
        raise BadInputError(f"the sample rate must be 25 to 400 Hz, not {rate_hz:g}")
    if duration_s is not None and not MIN_DURATION_S <= duration_s <= 6 * 3600.0:
        raise BadInputError(f"the duration must be {MIN_DURATION_S:g} s to 6 hours, not {duration_s:g} s")


class _Timeline:
    """Lays out sets and activities one after another, drawing each from ``rng``."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.t = 0.0
        self.activities: list = []

    def pause(self, end_s: float) -> None:
        """Quiet standing until ``end_s``, merged with a pause that ends where it starts."""
        if end_s <= self.t:
            return
        last = self.activities[-1] if self.activities else None
        if isinstance(last, Pause) and last.end_s == self.t:
            self.activities[-1] = Pause(last.start_s, end_s)
        else:
            self.activities.append(Pause(self.t, end_s))
        self.t = end_s

    def draw(self, scenario: str, duration_s: float | None) -> list[SetPlan]:
        rng = self.rng
        self.pause(rng.uniform(5.5, 8.0))
        if rng.random() < 0.4:
            self.rest(self.t + rng.uniform(6.0, 15.0))
        planned_sets = int(rng.integers(1, 4))
        return self.lay_out_sets(
            lambda index, start_s, limit_s: _draw_set(rng, scenario, index, start_s, limit_s),
            planned_sets, duration_s,
        )

    def lay_out_sets(self, draw_set, planned_sets: int, duration_s: float | None) -> list[SetPlan]:
        """Sets one after another with rests between, ``planned_sets`` of them (or until
        ``duration_s``), then rest to the end; ``draw_set(index, start_s, limit_s)`` draws
        one set (None when no set fits before ``limit_s``). Returns the sets."""
        rng = self.rng
        sets: list[SetPlan] = []
        while duration_s is not None or len(sets) < planned_sets:
            set_start_s = self.t + rng.uniform(2.0, 4.0)
            limit_s = None if duration_s is None else duration_s - 6.0
            plan = draw_set(len(sets) + 1, set_start_s, limit_s)
            if plan is None:
                break
            self.pause(set_start_s)
            sets.append(plan)
            self.t = plan.end_s
            self.pause(plan.end_s + rng.uniform(2.0, 4.0))
            if duration_s is None and len(sets) == planned_sets:
                break
            rest_s = rng.uniform(15.0, 45.0) if duration_s is None else rng.uniform(20.0, 90.0)
            end_s = self.t + rest_s if duration_s is None else min(self.t + rest_s, duration_s)
            self.rest(end_s)
            if duration_s is not None and self.t >= duration_s - 15.0:
                break
        if duration_s is None:
            duration_s = max(self.t + rng.uniform(3.0, 6.0), MIN_SESSION_S + rng.uniform(0.0, 20.0))
        self.rest(duration_s)
        return sets

    def rest(self, end_s: float) -> None:
        """Fill the time until ``end_s`` with walks, turns, fidgets and quiet pauses."""
        rng = self.rng
        while end_s - self.t > 3.0:
            kind = rng.choice(["walk", "turn", "fidget", "pause"], p=[0.35, 0.25, 0.25, 0.15])
            length_s = {
                "walk": rng.uniform(4.0, 15.0),
                "turn": rng.uniform(1.5, 3.0),
                "fidget": rng.uniform(2.0, 6.0),
                "pause": rng.uniform(2.0, 8.0),
            }[kind]
            if self.t + length_s > end_s - 1.0:
                break
            start, stop = self.t, self.t + length_s
            if kind == "walk":
                self.activities.append(_draw_walk(rng, start, stop))
            elif kind == "turn":
                self.activities.append(_draw_turn(rng, start, stop))
            elif kind == "fidget":
                self.activities.append(_draw_fidget(rng, start, stop))
            else:
                self.pause(stop)
            self.t = stop
            self.pause(min(end_s, self.t + rng.uniform(0.5, 2.0)))
        self.pause(end_s)


def _draw_walk(rng, start_s: float, end_s: float) -> Walk:
    return Walk(
        start_s=start_s,
        end_s=end_s,
        speed_mps=rng.uniform(0.9, 1.4),
        step_hz=rng.uniform(1.7, 2.0),
        tilt_deg=rng.uniform(2.0, 4.0),
        bounce_m=rng.uniform(0.015, 0.03),
        obliquity_deg=rng.uniform(2.0, 4.0),
        rotation_deg=rng.uniform(3.0, 6.0),
        sway_m=rng.uniform(0.01, 0.025),
        heading_change_deg=rng.uniform(-40.0, 40.0),
        phase_rad=rng.uniform(0.0, 2.0 * np.pi),
        ramp_s=0.8,
    )


def _draw_turn(rng, start_s: float, end_s: float) -> Turn:
    return Turn(
        start_s=start_s,
        end_s=end_s,
        heading_change_deg=rng.choice([-1.0, 1.0]) * rng.uniform(90.0, 180.0),
        step_hz=rng.uniform(1.6, 2.0),
        tilt_deg=rng.uniform(1.0, 2.0),
        bounce_m=rng.uniform(0.005, 0.012),
        phase_rad=rng.uniform(0.0, 2.0 * np.pi),
    )


def _draw_fidget(rng, start_s: float, end_s: float) -> Fidget:
    count = int(rng.integers(2, 5))
    length_s = end_s - start_s
    times = np.sort(rng.uniform(0.15, 0.85, count)) * length_s
    times = times[np.concatenate([[True], np.diff(times) > 0.3])]  # poses at least 0.3 s apart
    poses = tuple(
        FidgetPose(
            time_s=float(t),
            pelvis_tilt_deg=rng.uniform(-3.0, 6.0),
            lumbar_flexion_deg=rng.uniform(-3.0, 4.0),
            side_bend_deg=rng.uniform(-4.0, 4.0),
            rotation_deg=rng.uniform(-5.0, 5.0),
            com_forward_m=rng.uniform(-0.02, 0.02),
            shift_left_m=rng.uniform(-0.04, 0.04),
        )
        for t in times
    )
    return Fidget(start_s=start_s, end_s=end_s, poses=poses)


def _draw_set(rng, scenario: str, index: int, start_s: float, limit_s: float | None) -> SetPlan | None:
    """One set starting at ``start_s``; reps that would end after ``limit_s`` are left
    out, and None is returned when not one fits."""
    if scenario == "swing":
        load_kg = float(rng.choice([12.0, 16.0, 20.0, 24.0]))
        count = int(rng.integers(10, 21))
        depth, tempo, gap = "", "fast", (0.05, 0.2)
        p_rounded, p_over = 0.15, 0.15
        arm_top, arm_bottom = rng.uniform(50.0, 70.0), rng.uniform(20.0, 40.0)
    elif scenario == "hinge":
        load_kg, count = 0.0, int(rng.integers(5, 11))
        depth = str(rng.choice(["stool", "floor"]))
        tempo = str(rng.choice(["slow", "normal"]))
        gap, p_rounded, p_over = (0.8, 3.0), 0.0, 0.0
        arm_top = arm_bottom = 0.0
    else:
        load_kg = float(rng.choice([0.0, 8.0, 12.0, 16.0, 20.0, 24.0, 28.0, 32.0],
                                   p=[0.12, 0.1, 0.14, 0.18, 0.16, 0.14, 0.08, 0.08]))
        count = int(rng.integers(5, 13))
        depth = str(rng.choice(["stool", "floor"]))
        tempo = str(rng.choice(["slow", "normal"], p=[0.35, 0.65]))
        gap = (0.5, 3.0)
        p_rounded = 0.15 + 0.1 * (depth == "floor") + 0.1 * (load_kg >= 24.0)
        p_over = 0.12
        arm_top = arm_bottom = 0.0

    style = _draw_style(rng, scenario, depth, tempo)
    reps: list[RepPlan] = []
    t = start_s
    for n in range(count):
        fatigue = 0.6 + 0.8 * n / max(count - 1, 1)
        form = "rounded" if rng.random() < p_rounded * fatigue else "good"
        rep = _draw_rep(rng, t, scenario, style, form, rng.random() < p_over)
        if limit_s is not None and rep.end_s > limit_s:
            break
        reps.append(rep)
        t = rep.end_s + rng.uniform(*gap)
    if not reps:
        return None
    return SetPlan(
        index=index,
        exercise=scenario,
        load_kg=load_kg,
        reps=tuple(reps),
        arm_top_deg=float(arm_top),
        arm_bottom_deg=float(arm_bottom),
    )


def _draw_style(rng, scenario: str, depth: str, tempo: str) -> dict:
    """How a set is done: its depth (good-rep pelvic tilt, knee flexion) and tempo (phase
    durations in s), each rep varying about these by up to ±10%."""
    u = rng.uniform
    if tempo == "slow":
        timing = {"descent_s": u(1.5, 2.7), "pause_s": u(0.3, 1.0), "ascent_s": u(1.0, 2.0)}
    elif tempo == "fast":
        timing = {"descent_s": u(0.48, 0.58), "pause_s": 0.0, "ascent_s": u(0.37, 0.47)}
    else:
        timing = {"descent_s": u(0.8, 1.2), "pause_s": u(0.0, 0.5), "ascent_s": u(0.7, 1.1)}
    if scenario == "swing":
        pelvis = (u(38.0, 52.0), 35.0, 55.0)
        knee = u(15.0, 30.0)
    elif depth == "stool":
        pelvis = (u(27.0, 38.0), 25.0, 40.0)
        knee = u(10.0, 25.0)
    else:
        pelvis = (u(48.0, 72.0), 45.0, 75.0)
        knee = u(30.0, 50.0)
    if scenario == "hinge":
        knee = u(10.0, 20.0)
    return {"tempo": tempo, "depth": depth, "pelvis": pelvis, "knee_deg": knee, **timing}


def _draw_rep(rng, start_s: float, scenario: str, style: dict, form: str, arched: bool) -> RepPlan:
    """One rep in a set's style; see the module docstring for the ranges and RepPlan for
    the shape."""
    u = rng.uniform
    tempo = style["tempo"]
    spread = 0.05 if tempo == "fast" else 0.1
    descent_s = style["descent_s"] * u(1.0 - spread, 1.0 + spread)
    ascent_s = style["ascent_s"] * u(1.0 - spread, 1.0 + spread)
    pause_s = style["pause_s"] * u(0.8, 1.2) if style["pause_s"] > 0.05 else 0.0
    if tempo == "slow":
        descent_s = max(descent_s, 1.55)
    pelvis_base, pelvis_low, pelvis_high = style["pelvis"]
    pelvis_deg = float(np.clip(pelvis_base * u(0.92, 1.08), pelvis_low, pelvis_high))
    knee_deg = style["knee_deg"] * u(0.9, 1.1)

    if form == "rounded":
        lumbar_deg = u(25.0, 40.0) if scenario == "swing" else u(25.0, 50.0)
        pelvis_deg = max(u(20.0, 26.0), pelvis_deg - u(0.3, 0.6) * (lumbar_deg - 6.0))
        lead = u(0.4, 0.7)
    else:
        lumbar_deg = u(2.0, 8.0) if scenario == "hinge" else u(2.0, 10.0)
        lead = u(0.9, 1.0)

    if arched:
        arch_deg = u(12.0, 20.0)
    elif rng.random() < 0.4:
        arch_deg = 0.0
    else:
        arch_deg = u(0.0, 3.0) if scenario == "hinge" else u(0.0, 5.0)

    return RepPlan(
        start_s=float(start_s),
        descent_s=float(descent_s),
        pause_s=float(pause_s),
        ascent_s=float(ascent_s),
        pelvis_peak_deg=float(pelvis_deg),
        lumbar_peak_deg=float(lumbar_deg),
        knee_peak_deg=float(knee_deg),
        pause_drop_deg=float(u(0.5, 2.0)) if pause_s > 0.0 else 0.0,
        lumbar_lead=float(lead),
        lockout_arch_deg=float(arch_deg),
        pelvis_side_bend_deg=float(u(-1.5, 1.5)),
        thorax_side_bend_deg=float(u(-2.5, 2.5)),
        pelvis_rotation_deg=float(u(-2.0, 2.0)),
        thorax_rotation_deg=float(u(-3.0, 3.0)),
        form=form,
        depth=style["depth"],
        tempo=tempo,
    )


def _draw_background(rng) -> tuple[Sway, ...]:
    """Sway and breathing: (channel, amplitude range, frequency range in Hz) per sinusoid."""
    spec = [
        ("pelvis_tilt_deg", (0.1, 0.3), (0.05, 0.4)),
        ("pelvis_tilt_deg", (0.05, 0.15), (0.3, 0.8)),
        ("lumbar_flexion_deg", (0.15, 0.4), (0.2, 0.33)),
        ("lumbar_flexion_deg", (0.05, 0.2), (0.05, 0.3)),
        ("knee_flexion_deg", (0.1, 0.4), (0.05, 0.3)),
        ("pelvis_side_bend_deg", (0.1, 0.3), (0.05, 0.3)),
        ("thorax_side_bend_deg", (0.1, 0.3), (0.05, 0.3)),
        ("pelvis_rotation_deg", (0.1, 0.4), (0.05, 0.3)),
        ("thorax_rotation_deg", (0.1, 0.4), (0.05, 0.3)),
        ("com_forward_m", (0.002, 0.006), (0.1, 0.6)),
        ("com_forward_m", (0.001, 0.003), (0.4, 1.0)),
        ("shift_left_m", (0.001, 0.004), (0.1, 0.5)),
    ]
    return tuple(
        Sway(channel, float(rng.uniform(*amp)), float(rng.uniform(*freq)), float(rng.uniform(0, 2 * np.pi)))
        for channel, amp, freq in spec
    )


def _draw_sensor(rng, label: str, rate_hz: float) -> SensorSetup:
    """A sensor clipped in one of the 24 axis-aligned ways, a few degrees off, with faults."""
    axis = axis_aligned_rotations()[rng.integers(24)]
    tilt_deg = float(rng.uniform(0.0, 5.0))
    tilt = tilt_rotation(rng.normal(size=3), tilt_deg)
    mounting = axis @ tilt
    faults = SensorFaults(
        gyro_bias_dps=tuple(float(v) for v in rng.choice([-1.0, 1.0], 3) * rng.uniform(0.5, 2.0, 3)),
        gyro_drift_dps_per_sqrt_s=float(rng.uniform(0.002, 0.006)),
        gyro_noise_dps=float(rng.uniform(0.07, 0.13)),
        acc_bias_g=tuple(float(v) for v in rng.uniform(-0.02, 0.02, 3)),
        acc_scale=tuple(float(v) for v in 1.0 + rng.uniform(-0.02, 0.02, 3)),
        acc_noise_g=float(rng.uniform(0.002, 0.004)),
        quantise=True,
        phase_s=float(rng.uniform(0.0, 1.0 / rate_hz)),
        jitter_s=float(rng.uniform(0.0005, 0.001)),
        loss_fraction=float(rng.uniform(0.005, 0.02)),
        max_burst_samples=20,
    )
    return SensorSetup(
        label=label,
        segment_to_sensor=tuple(float(v) for v in mounting.ravel()),
        axis_rotation=tuple(float(v) for v in axis.ravel()),
        tilt_deg=tilt_deg,
        faults=faults,
    )


def _with_long_loss(rng, setup: SensorSetup, reps: list[RepPlan], total_s: float) -> SensorSetup:
    """The same sensor with one long loss (0.4–1.5 s), in a rep 70% of the time."""
    length_s = float(rng.uniform(0.4, 1.5))
    if reps and rng.random() < 0.7:
        rep = reps[int(rng.integers(len(reps)))]
        centre_s = rng.uniform(rep.start_s, rep.end_s)
    else:
        centre_s = rng.uniform(10.0, total_s - 3.0)
    start_s = float(np.clip(centre_s - 0.5 * length_s, 8.0, total_s - length_s - 1.0))
    return replace(setup, faults=replace(setup.faults, long_loss_start_s=start_s, long_loss_s=length_s))
