"""Time profiles of every joint angle and body offset in a session, from its plan.

The motion is a set of channels (``CHANNELS``; degrees, metres, kilograms, metres per
second as their names say), each the sum of three parts:

- a waypoint track: values at knot times joined by minimum-jerk (quintic) segments, so
  every movement starts and ends with zero velocity and acceleration: reps, fidgets,
  turns and heading drift, load pick-up, swing arm motion, walking speed;
- stepping oscillations during walks and turns, under an envelope that ramps in and out;
- the background sway and breathing present all the time.

Every part is a smooth closed-form function of time, so the motion can be evaluated at any
times: the sensor model takes exact central differences around each sample instead of
differentiating a sampled signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Fidget, Hold, Pause, RepPlan, SessionConfig, SetPlan, Turn, Walk

CHANNELS = (
    "pelvis_tilt_deg",
    "lumbar_flexion_deg",
    "knee_flexion_deg",
    "pelvis_side_bend_deg",
    "thorax_side_bend_deg",
    "pelvis_rotation_deg",
    "thorax_rotation_deg",
    "heading_deg",
    "arm_deg",
    "load_kg",
    "com_forward_m",
    "shift_left_m",
    "bounce_up_m",
    "speed_mps",
)
"""Sagittal angles are + forward (tilt) or + flexion (lumbar, knee); side bends + to the
right; rotations (relative to the heading) and the heading + to the left; ``arm_deg`` is
the arms' angle from hanging straight down, + forward; ``com_forward_m`` is where balance
puts the centre of mass, forward of the ankles; ``shift_left_m`` and ``bounce_up_m`` move
the whole body; ``speed_mps`` is walking speed along the heading."""

STEP_CHANNELS = {
    # channel: (multiple of the step rate, phase offset in radians)
    "pelvis_tilt_deg": (1.0, 0.0),
    "lumbar_flexion_deg": (1.0, 0.0),
    "bounce_up_m": (1.0, 0.5 * np.pi),
    "pelvis_side_bend_deg": (0.5, 0.0),
    "pelvis_rotation_deg": (0.5, 0.5 * np.pi),
    "thorax_rotation_deg": (0.5, 0.5 * np.pi),
    "shift_left_m": (0.5, 0.0),
}
"""Stepping oscillations: pelvis tilt and bounce at the step rate, obliquity, rotation and
lateral sway at the stride rate (every other step)."""

SWING_EXERCISES = ("swing", "kettlebell-swing")
"""Set exercises moved as swings (arms, held arch), by scenario or drill name."""
SETTLE_S = 1.0
"""A set whose last rep stopped short of the start posture settles back into it in this
time after the rep."""

ARCH_START = 0.35
"""The lockout arch starts this fraction of the ascent before the end of the rep, inside
the truth's lockout window (the last 40% from the bottom to the end)."""


def minimum_jerk(u: np.ndarray) -> np.ndarray:
    """The quintic 0→1 on u in [0, 1] with zero velocity and acceleration at both ends."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * u * (10.0 + u * (-15.0 + 6.0 * u))


@dataclass(frozen=True)
class Track:
    """Knots (strictly increasing times in s, values) joined by minimum-jerk segments."""

    time_s: np.ndarray
    value: np.ndarray

    def at(self, time_s: np.ndarray) -> np.ndarray:
        if len(self.time_s) == 0:
            return np.zeros_like(time_s)
        if len(self.time_s) == 1:
            return np.full_like(time_s, self.value[0])
        i = np.clip(np.searchsorted(self.time_s, time_s, side="right") - 1, 0, len(self.time_s) - 2)
        t0 = self.time_s[i]
        v0 = self.value[i]
        u = (time_s - t0) / (self.time_s[i + 1] - t0)
        return v0 + (self.value[i + 1] - v0) * minimum_jerk(u)


@dataclass(frozen=True)
class Stepping:
    """Walk and turn windows (non-overlapping, sorted) with their stepping oscillations."""

    start_s: np.ndarray
    end_s: np.ndarray
    ramp_s: np.ndarray
    step_hz: np.ndarray
    phase_rad: np.ndarray
    amplitude: dict[str, np.ndarray]

    def add_to(self, channels: dict[str, np.ndarray], time_s: np.ndarray) -> None:
        if len(self.start_s) == 0:
            return
        i = np.searchsorted(self.start_s, time_s, side="right") - 1
        inside = (i >= 0) & (time_s < self.end_s[np.maximum(i, 0)])
        if not inside.any():
            return
        t = time_s[inside]
        i = i[inside]
        since_s = t - self.start_s[i]
        ramp_s = self.ramp_s[i]
        envelope = minimum_jerk(since_s / ramp_s) * minimum_jerk((self.end_s[i] - t) / ramp_s)
        step_phase = 2.0 * np.pi * self.step_hz[i] * since_s + self.phase_rad[i]
        for name, amplitude in self.amplitude.items():
            multiple, offset = STEP_CHANNELS[name]
            channels[name][inside] += amplitude[i] * envelope * np.sin(multiple * step_phase + offset)


@dataclass(frozen=True)
class Motion:
    """The motion of a session: evaluate every channel at any times with ``at``."""

    tracks: dict[str, Track]
    stepping: Stepping
    sway_channel: tuple[str, ...]
    sway_amplitude: np.ndarray
    sway_frequency_hz: np.ndarray
    sway_phase_rad: np.ndarray

    def at(self, time_s: np.ndarray) -> dict[str, np.ndarray]:
        """Every channel at ``time_s`` (s), as arrays of the same shape."""
        time_s = np.asarray(time_s, dtype=float)
        channels = {name: self.tracks[name].at(time_s) for name in CHANNELS}
        self.stepping.add_to(channels, time_s)
        for k, name in enumerate(self.sway_channel):
            channels[name] += self.sway_amplitude[k] * np.sin(
                2.0 * np.pi * self.sway_frequency_hz[k] * time_s + self.sway_phase_rad[k]
            )
        return channels


def trunk_inclination_deg(channels: dict[str, np.ndarray]) -> np.ndarray:
    """Sagittal angle of the thorax: pelvic tilt plus lumbar flexion (degrees, + forward)."""
    return channels["pelvis_tilt_deg"] + channels["lumbar_flexion_deg"]


class _Knots:
    """Collects knots per channel in time order; a repeated knot is dropped."""

    def __init__(self) -> None:
        self.knots: dict[str, list[tuple[float, float]]] = {name: [] for name in CHANNELS}

    def add(self, channel: str, *knots: tuple[float, float]) -> None:
        points = self.knots[channel]
        for time_s, value in knots:
            if points and time_s <= points[-1][0]:
                if time_s == points[-1][0] and value == points[-1][1]:
                    continue
                raise ValueError(
                    f"the session plan overlaps in {channel} at {time_s:.3f} s"
                    f" (after a knot at {points[-1][0]:.3f} s)"
                )
            points.append((float(time_s), float(value)))

    def last(self, channel: str) -> float:
        points = self.knots[channel]
        return points[-1][1] if points else 0.0

    def tracks(self) -> dict[str, Track]:
        return {
            name: Track(np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
            for name, pts in self.knots.items()
        }


def build_motion(config: SessionConfig) -> Motion:
    """The motion of ``config``'s plan: knots of its sets and activities, its stepping
    windows and background sway."""
    knots = _Knots()
    windows: list[tuple[float, float, float, float, float, dict[str, float]]] = []
    items = sorted([*config.sets, *config.activities], key=lambda item: item.start_s)
    for item in items:
        if isinstance(item, SetPlan):
            _add_set(knots, item)
        elif isinstance(item, Walk):
            _add_walk(knots, windows, item)
        elif isinstance(item, Turn):
            _add_turn(knots, windows, item)
        elif isinstance(item, Fidget):
            _add_fidget(knots, item)
        elif isinstance(item, Hold):
            _add_hold(knots, item)
        elif not isinstance(item, Pause):
            raise TypeError(f"unknown activity {item!r}")

    amplitude = {name: np.array([w[5].get(name, 0.0) for w in windows]) for name in STEP_CHANNELS}
    stepping = Stepping(
        start_s=np.array([w[0] for w in windows]),
        end_s=np.array([w[1] for w in windows]),
        ramp_s=np.array([w[2] for w in windows]),
        step_hz=np.array([w[3] for w in windows]),
        phase_rad=np.array([w[4] for w in windows]),
        amplitude=amplitude,
    )
    return Motion(
        tracks=knots.tracks(),
        stepping=stepping,
        sway_channel=tuple(s.channel for s in config.background),
        sway_amplitude=np.array([s.amplitude for s in config.background]),
        sway_frequency_hz=np.array([s.frequency_hz for s in config.background]),
        sway_phase_rad=np.array([s.phase_rad for s in config.background]),
    )


def _add_set(knots: _Knots, plan: SetPlan) -> None:
    """Knots of a set: its reps, the load picked up and put down, a swing's arm motion."""
    if plan.load_kg > 0.0:
        knots.add("load_kg", (plan.start_s - 1.5, 0.0), (plan.start_s - 0.5, plan.load_kg))
    swing = plan.exercise in SWING_EXERCISES
    lean = plan.load_lean_deg
    if lean != 0.0:  # a one-sided load: lean away from it while it is held
        for channel in ("pelvis_side_bend_deg", "thorax_side_bend_deg"):
            knots.add(channel, (plan.start_s - 1.5, 0.0), (plan.start_s - 0.5, lean))
    held_arch = 0.0
    for n, rep in enumerate(plan.reps):
        _add_rep(knots, rep, held_arch if swing else None, lean)
        held_arch = rep.lockout_arch_deg
        if swing and plan.arm_top_deg != 0.0:
            knots.add("arm_deg", (rep.start_s, 0.0 if n == 0 else plan.arm_top_deg))
            knots.add("arm_deg", (rep.bottom_s, -plan.arm_bottom_deg), (rep.end_s, plan.arm_top_deg))
    last = plan.reps[-1]
    if last.top_deg != 0.0:
        knots.add("pelvis_tilt_deg", (plan.end_s + SETTLE_S, 0.0))
        knots.add("knee_flexion_deg", (plan.end_s + SETTLE_S, 0.0))
    if swing:
        knots.add("lumbar_flexion_deg", (plan.end_s + 0.5, 0.0))
        if plan.arm_top_deg != 0.0:
            knots.add("arm_deg", (plan.end_s + 1.0, 0.0))
    if lean != 0.0:
        for channel in ("pelvis_side_bend_deg", "thorax_side_bend_deg"):
            knots.add(channel, (plan.end_s + 0.5, lean), (plan.end_s + 1.5, 0.0))
    if plan.load_kg > 0.0:
        knots.add("load_kg", (plan.end_s + 0.5, plan.load_kg), (plan.end_s + 1.5, 0.0))


def _add_rep(knots: _Knots, rep: RepPlan, held_arch_deg: float | None = None, lean_deg: float = 0.0) -> None:
    """Knots of one rep. ``held_arch_deg`` is None for a rep that ends standing neutral
    (the arch is a bump back to 0 at ``end_s``); in a swing set it is the arch held from
    the previous rep, and this rep's arch is held past its end in turn. ``lean_deg`` is
    the set's sideways lean away from a one-sided load (``SetPlan.load_lean_deg``), where
    the side bends start and end."""
    start, bottom, end = rep.start_s, rep.bottom_s, rep.end_s
    paused = bottom + rep.pause_s

    def shape(channel: str, peak: float, drop: float = 0.0, first: float = 0.0, last: float = 0.0) -> None:
        knots.add(channel, (start, first), (bottom, peak))
        if paused > bottom:
            knots.add(channel, (paused, peak - drop))
        knots.add(channel, (end, last))

    # A rep stopped short keeps the knees bent in proportion to the hips.
    knee_per_pelvis = rep.knee_peak_deg / rep.pelvis_peak_deg if rep.pelvis_peak_deg else 0.0
    shape("pelvis_tilt_deg", rep.pelvis_peak_deg, rep.pause_drop_deg, rep.from_deg, rep.top_deg)
    shape("knee_flexion_deg", rep.knee_peak_deg, 0.0, knee_per_pelvis * rep.from_deg, knee_per_pelvis * rep.top_deg)
    shape("pelvis_side_bend_deg", rep.pelvis_side_bend_deg, 0.0, lean_deg, lean_deg)
    shape("thorax_side_bend_deg", rep.thorax_side_bend_deg, 0.0, lean_deg, lean_deg)
    shape("pelvis_rotation_deg", rep.pelvis_rotation_deg)
    shape("thorax_rotation_deg", rep.thorax_rotation_deg)

    lumbar_peak_s = start + rep.lumbar_lead * rep.descent_s
    knots.add("lumbar_flexion_deg", (start, -(held_arch_deg or 0.0)), (lumbar_peak_s, rep.lumbar_peak_deg))
    if paused > lumbar_peak_s:
        knots.add("lumbar_flexion_deg", (paused, rep.lumbar_peak_deg))
    if held_arch_deg is not None:
        knots.add("lumbar_flexion_deg", (end, -rep.lockout_arch_deg))
        return
    if rep.lockout_arch_deg > 0.0:
        knots.add(
            "lumbar_flexion_deg",
            (end - ARCH_START * rep.ascent_s, 0.0),
            (end - 0.5 * ARCH_START * rep.ascent_s, -rep.lockout_arch_deg),
        )
    knots.add("lumbar_flexion_deg", (end, 0.0))


def _add_walk(knots: _Knots, windows: list, walk: Walk) -> None:
    heading = knots.last("heading_deg")
    knots.add("heading_deg", (walk.start_s, heading), (walk.end_s, heading + walk.heading_change_deg))
    knots.add(
        "speed_mps",
        (walk.start_s, 0.0),
        (walk.start_s + walk.ramp_s, walk.speed_mps),
        (walk.end_s - walk.ramp_s, walk.speed_mps),
        (walk.end_s, 0.0),
    )
    amplitudes = {
        "pelvis_tilt_deg": walk.tilt_deg,
        "lumbar_flexion_deg": -0.5 * walk.tilt_deg,
        "bounce_up_m": walk.bounce_m,
        "pelvis_side_bend_deg": walk.obliquity_deg,
        "pelvis_rotation_deg": walk.rotation_deg,
        "thorax_rotation_deg": -0.5 * walk.rotation_deg,
        "shift_left_m": walk.sway_m,
    }
    windows.append((walk.start_s, walk.end_s, walk.ramp_s, walk.step_hz, walk.phase_rad, amplitudes))


def _add_turn(knots: _Knots, windows: list, turn: Turn) -> None:
    heading = knots.last("heading_deg")
    knots.add("heading_deg", (turn.start_s, heading), (turn.end_s, heading + turn.heading_change_deg))
    amplitudes = {
        "pelvis_tilt_deg": turn.tilt_deg,
        "lumbar_flexion_deg": -0.5 * turn.tilt_deg,
        "bounce_up_m": turn.bounce_m,
    }
    ramp_s = min(0.5, (turn.end_s - turn.start_s) / 3.0)
    windows.append((turn.start_s, turn.end_s, ramp_s, turn.step_hz, turn.phase_rad, amplitudes))


def _add_hold(knots: _Knots, hold: Hold) -> None:
    """Knots of an isometric hold: the squeeze (lumbar extension) ramps in, the sway poses,
    the squeeze ramps out; see ``Hold``."""
    poses = [(hold.start_s + p.time_s, p) for p in hold.poses]
    squeeze = -hold.squeeze_deg
    values = {
        "pelvis_tilt_deg": (0.0, lambda p: p.pelvis_tilt_deg),
        "lumbar_flexion_deg": (squeeze, lambda p: squeeze + p.lumbar_flexion_deg),
        "pelvis_side_bend_deg": (0.0, lambda p: p.side_bend_deg),
        "thorax_side_bend_deg": (0.0, lambda p: p.side_bend_deg),
    }
    for channel, (held, value) in values.items():
        knots.add(channel, (hold.start_s, 0.0), (hold.held_start_s, held))
        knots.add(channel, *[(t, value(p)) for t, p in poses])
        knots.add(channel, (hold.held_end_s, held), (hold.end_s, 0.0))


def _add_fidget(knots: _Knots, fidget: Fidget) -> None:
    poses = [(fidget.start_s + p.time_s, p) for p in fidget.poses]
    values = {
        "pelvis_tilt_deg": lambda p: p.pelvis_tilt_deg,
        "lumbar_flexion_deg": lambda p: p.lumbar_flexion_deg,
        "pelvis_side_bend_deg": lambda p: p.side_bend_deg,
        "thorax_side_bend_deg": lambda p: 0.3 * p.side_bend_deg,
        "pelvis_rotation_deg": lambda p: 0.6 * p.rotation_deg,
        "thorax_rotation_deg": lambda p: p.rotation_deg,
        "com_forward_m": lambda p: p.com_forward_m,
        "shift_left_m": lambda p: p.shift_left_m,
    }
    for channel, value in values.items():
        knots.add(channel, (fidget.start_s, 0.0))
        knots.add(channel, *[(t, value(p)) for t, p in poses])
        knots.add(channel, (fidget.end_s, 0.0))
