"""Posture changes between the drills of a plan session (``imuhinge.simulation.plan``).

Between two drills the body goes, over a ``Transition`` of 3–5 s, from where the first
part leaves it (quiet in its start posture, the background sway going on) to where the
next part picks it up. Every channel of ``kinematics.CHANNELS`` is blended from the
first part's value to the next part's with a minimum-jerk weight s(u), u the fraction of
the transition done, and so is the posture's pitch (lying on the back: −90°,
``body.LYING_PITCH_DEG``); the mid-hip joint travels from the first part's hips to the
next part's the same way. The transition's own movement rides on top: bumps that peak
half-way (the trunk leaning forward to get up, a roll to one side), a turn, stepping
oscillations while walking. s, the bumps and the stepping envelope all have zero rate and
acceleration at both ends, so the angles, the angular rates and the hips' acceleration
join both parts without a jump. ``ideal_transition_imu`` differentiates that one smooth
path as ``sensors.ideal_imu`` does a part's: the gyroscope integrates to the orientation
change and the accelerometer shows the specific force throughout.

Each part is simulated in its own frame (its posture at the origin, facing x); a
``Placement`` turns and shifts that frame into the session's world, so the hips line up
across a transition and the turns and steps add up. Turning or shifting a whole part
changes nothing its sensors measure.

Motions, by posture before → after:

- ``roll-up`` (lying → kneeling): the trunk rises from lying to upright, rolling 20–40°
  to one side on the way and turning 30–120°, the hips and the lower back flexing to bring
  the knees under.
- ``get-up`` (kneeling → standing): lean 25–45° forward over a front foot (the pelvis
  twisting and tilting a little to that side), rise, and stand 0.1–0.35 m further on.
- ``steps`` (standing → standing, 60%): a few steps, 0.4–1.5 m, turning up to 45°.
- ``stance-shift`` (standing → standing, 40%): the weight to one side, the feet set again
  0.05–0.25 m away, turning up to 15°.
- ``kneel-shift`` (kneeling → kneeling): sit back a little and reach round to one side
  (for the band), the knees shuffled up to 0.1 m.
- ``lie-down`` (standing or kneeling → lying), ``kneel-down`` (standing → kneeling),
  ``stand-up`` (lying → standing) and ``shuffle`` (lying → lying), for other plans.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

from .body import GRAVITY_MPS2, Balance, body_pose, body_rate_rad_s, pose_at_hip, posture_pitch_deg, segment_rotation
from .config import BodySettings
from .kinematics import CHANNELS, STEP_CHANNELS, Motion, minimum_jerk
from .sensors import STEP_S

TRANSITION_S = (3.0, 5.0)
"""How long a posture change takes (s), drawn uniformly."""
STEP_RAMP = 0.25
"""Stepping ramps in over this fraction of the transition, and out over as much."""


@dataclass(frozen=True)
class Placement:
    """Where a part's own frame sits in the session's world: turned by ``yaw_deg`` about
    the vertical (+ to the left), then shifted by ``offset_m`` (x, y; metres)."""

    yaw_deg: float = 0.0
    offset_m: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Transition:
    """One posture change (see the module docstring), over [start_s, end_s] (s)."""

    start_s: float
    end_s: float
    motion: str
    from_posture: str
    to_posture: str
    heading_change_deg: float = 0.0
    """The turn over the transition (°, + to the left): the next part's frame is turned by it."""
    turn_from: float = 0.0
    """The fraction of the transition before the turn starts; it takes the rest."""
    travel_m: tuple[float, float] = (0.0, 0.0)
    """Where the hips end up (m; x forward, y left in the first part's frame), beyond the
    next posture placed under the first part's hips."""
    bumps: tuple[tuple[str, float], ...] = ()
    """(channel, peak): movements that peak half-way, (4u(1 − u))³ × peak."""
    step_hz: float = 0.0
    step_phase_rad: float = 0.0
    stepping: tuple[tuple[str, float], ...] = ()
    """(channel, amplitude): stepping oscillations as ``kinematics.STEP_CHANNELS`` describes
    them, ramped in and out over ``STEP_RAMP`` of the transition; ``bounce_up_m`` and
    ``shift_left_m`` move the hips."""
    shift_left_m: float = 0.0
    """A weight shift of the hips to the left (m, peaking half-way)."""

    def event(self) -> dict:
        """The transition as a truth event."""
        return {
            "kind": "transition",
            "start_s": round(self.start_s, 4),
            "end_s": round(self.end_s, 4),
            "motion": self.motion,
            "from_posture": self.from_posture,
            "to_posture": self.to_posture,
            "heading_change_deg": round(self.heading_change_deg, 2),
        }


@dataclass(frozen=True)
class PartBody:
    """One part's body: its ``motion`` and ``balance`` in its own frame, its ``body``
    settings (with the part's posture) and its ``placement`` in the world."""

    motion: Motion
    balance: Balance
    body: BodySettings
    placement: Placement

    def state(self, time_s: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """(channels, hips): the channels with the heading turned into the world and the
        posture's pitch in the pelvis tilt (as ``body.pose_at_hip`` takes them), and the
        mid-hip joint in the world ((n, 3), m)."""
        channels = self.motion.at(time_s)
        hip = body_pose(channels, self.body, self.balance.at(time_s)).hip_m
        world = dict(channels)
        world["heading_deg"] = channels["heading_deg"] + self.placement.yaw_deg
        world["pelvis_tilt_deg"] = channels["pelvis_tilt_deg"] + posture_pitch_deg(self.body)
        return world, self.to_world(hip)

    def to_world(self, point_m: np.ndarray) -> np.ndarray:
        """Points of the part's frame ((n, 3), m) in the world."""
        yaw = _yaw(self.placement.yaw_deg)
        return point_m @ yaw.T + np.array([*self.placement.offset_m, 0.0])


def floor_balance(start_s: float, end_s: float) -> Balance:
    """A ``Balance`` for a lying or kneeling part, which does not use one."""
    return Balance(CubicSpline([start_s, end_s], [0.0, 0.0]))


def next_placement(transition: Transition, before: PartBody, after: PartBody) -> Placement:
    """Where the part ``after`` sits so that, turned by the transition's turn, its hips at
    the transition's end are under ``before``'s hips at its start, moved by ``travel_m``."""
    yaw_deg = before.placement.yaw_deg + transition.heading_change_deg
    _, hip_before = before.state(np.array([transition.start_s]))
    placed = PartBody(after.motion, after.balance, after.body, Placement(yaw_deg, (0.0, 0.0)))
    _, hip_after = placed.state(np.array([transition.end_s]))
    travel = _yaw(before.placement.yaw_deg) @ np.array([*transition.travel_m, 0.0])
    offset = hip_before[0] + travel - hip_after[0]
    return Placement(yaw_deg, (float(offset[0]), float(offset[1])))


def transition_state(
    transition: Transition, before: PartBody, after: PartBody, time_s: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(channels, hips) along the transition at ``time_s``, as ``PartBody.state`` gives them."""
    t = np.asarray(time_s, dtype=float)
    u = np.clip((t - transition.start_s) / (transition.end_s - transition.start_s), 0.0, 1.0)
    s = minimum_jerk(u)
    turn_span = max(1.0 - transition.turn_from, 1e-9)
    s_turn = minimum_jerk((u - transition.turn_from) / turn_span)
    channels_a, hip_a = before.state(t)
    channels_b, hip_b = after.state(t)
    channels = {}
    for name in CHANNELS:
        w = s_turn if name == "heading_deg" else s
        channels[name] = (1.0 - w) * channels_a[name] + w * channels_b[name]
    bump = (4.0 * u * (1.0 - u)) ** 3
    for name, peak in transition.bumps:
        channels[name] = channels[name] + peak * bump
    hip = (1.0 - s)[:, None] * hip_a + s[:, None] * hip_b
    offset = np.zeros_like(hip)  # in the body's frame: x forward, y left, z up
    offset[:, 1] += transition.shift_left_m * bump
    if transition.stepping:
        envelope = minimum_jerk(u / STEP_RAMP) * minimum_jerk((1.0 - u) / STEP_RAMP)
        phase = 2.0 * np.pi * transition.step_hz * (t - transition.start_s) + transition.step_phase_rad
        for name, amplitude in transition.stepping:
            multiple, shift = STEP_CHANNELS[name]
            wave = amplitude * envelope * np.sin(multiple * phase + shift)
            if name == "bounce_up_m":
                offset[:, 2] += wave
            elif name == "shift_left_m":
                offset[:, 1] += wave
            else:
                channels[name] = channels[name] + wave
    heading = segment_rotation(np.radians(channels["heading_deg"]), np.zeros(len(t)), np.zeros(len(t)))
    return channels, hip + np.einsum("nij,nj->ni", heading, offset)


def ideal_transition_imu(
    transition: Transition,
    before: PartBody,
    after: PartBody,
    site: str,
    segment_to_sensor: np.ndarray,
    time_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(specific force in g, angular rate in °/s), sensor frame, of an ideal IMU at
    ``site`` during the transition, at the true sample times ``time_s``; each (n, 3).
    Central differences over ±``sensors.STEP_S``, as ``sensors.ideal_imu``."""
    t = np.asarray(time_s, dtype=float)
    n = len(t)
    if n == 0:
        return np.empty((0, 3)), np.empty((0, 3))
    h = STEP_S
    channels, hip = transition_state(transition, before, after, np.concatenate([t - h, t, t + h]))
    position, r_world_segment = pose_at_hip(channels, after.body, hip).site(site)
    acc_world = (position[2 * n :] - 2.0 * position[n : 2 * n] + position[:n]) / (h * h)
    acc_world[:, 2] += GRAVITY_MPS2

    def split(values_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        values = np.radians(values_deg)
        return values[:n], values[n : 2 * n], values[2 * n :]

    segment = "pelvis" if site == "sacrum" else "thorax"
    sagittal = channels["pelvis_tilt_deg"]
    if segment == "thorax":
        sagittal = sagittal + channels["lumbar_flexion_deg"]
    sagittal = split(sagittal)
    rotation = split(channels["heading_deg"] + channels[f"{segment}_rotation_deg"])
    frontal = split(channels[f"{segment}_side_bend_deg"])
    rate = lambda angle: (angle[2] - angle[0]) / (2.0 * h)  # noqa: E731
    omega = body_rate_rad_s(sagittal[1], frontal[1], rate(rotation), rate(sagittal), rate(frontal))
    r_now = r_world_segment[n : 2 * n]
    acc_segment_g = np.einsum("nji,nj->ni", r_now, acc_world) / GRAVITY_MPS2
    return acc_segment_g @ segment_to_sensor, np.degrees(omega) @ segment_to_sensor


def draw_transition(rng: np.random.Generator, start_s: float, from_posture: str, to_posture: str) -> Transition:
    """A posture change from ``from_posture`` to ``to_posture`` starting at ``start_s``
    (see the module docstring for the motions and their ranges)."""
    u = lambda low, high: float(rng.uniform(low, high))  # noqa: E731
    side = float(rng.choice([-1.0, 1.0]))
    duration_s = u(*TRANSITION_S)
    pair = (from_posture, to_posture)
    fields: dict = {}
    if pair == ("lying", "kneeling"):
        motion = "roll-up"
        roll = side * u(20.0, 40.0)
        fields = dict(
            heading_change_deg=side * u(30.0, 120.0), turn_from=0.3, travel_m=_towards(rng, u(0.0, 0.2)),
            bumps=(("pelvis_tilt_deg", u(20.0, 40.0)), ("lumbar_flexion_deg", u(10.0, 25.0)),
                   ("pelvis_side_bend_deg", roll), ("thorax_side_bend_deg", roll * u(0.9, 1.2))),
        )
    elif pair == ("kneeling", "standing"):
        motion = "get-up"
        fields = dict(
            heading_change_deg=u(-20.0, 20.0), turn_from=0.4, travel_m=(u(0.1, 0.35), 0.0),
            bumps=_lean_forward(rng, side, (25.0, 45.0)),
        )
    elif pair == ("standing", "standing") and rng.random() < 0.6:
        motion = "steps"
        tilt, rotation = u(1.5, 3.0), u(2.0, 5.0)
        fields = dict(
            heading_change_deg=u(-45.0, 45.0), travel_m=_towards(rng, u(0.4, 1.5), spread_deg=60.0),
            step_hz=u(1.6, 2.0), step_phase_rad=u(0.0, 2.0 * np.pi),
            stepping=(("pelvis_tilt_deg", tilt), ("lumbar_flexion_deg", -0.5 * tilt), ("bounce_up_m", u(0.01, 0.025)),
                      ("pelvis_side_bend_deg", u(1.5, 3.0)), ("pelvis_rotation_deg", rotation),
                      ("thorax_rotation_deg", -0.5 * rotation), ("shift_left_m", u(0.01, 0.02))),
        )
    elif pair == ("standing", "standing"):
        motion = "stance-shift"
        fields = dict(
            heading_change_deg=u(-15.0, 15.0), travel_m=_towards(rng, u(0.05, 0.25), spread_deg=180.0),
            shift_left_m=side * u(0.03, 0.08),
            bumps=(("pelvis_side_bend_deg", -side * u(1.0, 3.0)), ("thorax_side_bend_deg", u(-2.0, 2.0))),
        )
    elif pair == ("kneeling", "kneeling"):
        motion = "kneel-shift"
        fields = dict(
            heading_change_deg=u(-20.0, 20.0), travel_m=_towards(rng, u(0.0, 0.1)),
            bumps=(("pelvis_tilt_deg", u(5.0, 15.0)), ("lumbar_flexion_deg", u(10.0, 25.0)),
                   ("thorax_rotation_deg", side * u(10.0, 25.0)), ("thorax_side_bend_deg", side * u(3.0, 10.0))),
        )
    elif to_posture == "lying" and from_posture != "lying":
        motion = "lie-down"
        roll = side * u(10.0, 30.0)
        fields = dict(
            heading_change_deg=side * u(0.0, 90.0), travel_m=_towards(rng, u(0.0, 0.3)),
            bumps=(("pelvis_tilt_deg", u(20.0, 40.0)), ("lumbar_flexion_deg", u(10.0, 25.0)),
                   ("pelvis_side_bend_deg", roll), ("thorax_side_bend_deg", roll)),
        )
    elif pair == ("standing", "kneeling"):
        motion = "kneel-down"
        fields = dict(heading_change_deg=u(-20.0, 20.0), travel_m=(u(0.0, 0.2), 0.0),
                      bumps=_lean_forward(rng, side, (25.0, 45.0)))
    elif pair == ("lying", "standing"):
        motion = "stand-up"
        roll = side * u(20.0, 40.0)
        fields = dict(
            heading_change_deg=side * u(30.0, 120.0), turn_from=0.3, travel_m=_towards(rng, u(0.0, 0.3)),
            bumps=(("pelvis_tilt_deg", u(30.0, 50.0)), ("lumbar_flexion_deg", u(10.0, 25.0)),
                   ("pelvis_side_bend_deg", roll), ("thorax_side_bend_deg", roll)),
        )
    elif pair == ("lying", "lying"):
        motion = "shuffle"
        fields = dict(heading_change_deg=u(-30.0, 30.0), travel_m=_towards(rng, u(0.0, 0.2)),
                      bumps=(("pelvis_tilt_deg", -u(5.0, 15.0)), ("lumbar_flexion_deg", u(-5.0, 5.0))))
    else:
        raise ValueError(f"no posture change from {from_posture} to {to_posture}")
    return Transition(start_s=float(start_s), end_s=float(start_s + duration_s), motion=motion,
                      from_posture=from_posture, to_posture=to_posture, **fields)


def _lean_forward(rng, side: float, lean_deg: tuple[float, float]) -> tuple[tuple[str, float], ...]:
    """Getting up or down between kneeling and standing: the trunk leans forward over the
    front foot, the pelvis twisting and tilting a little towards it."""
    u = lambda low, high: float(rng.uniform(low, high))  # noqa: E731
    return (
        ("pelvis_tilt_deg", u(*lean_deg)), ("lumbar_flexion_deg", u(5.0, 15.0)),
        ("pelvis_side_bend_deg", side * u(2.0, 8.0)), ("thorax_side_bend_deg", side * u(2.0, 8.0)),
        ("pelvis_rotation_deg", side * u(5.0, 12.0)), ("thorax_rotation_deg", side * u(3.0, 10.0)),
    )


def _towards(rng, distance_m: float, spread_deg: float = 180.0) -> tuple[float, float]:
    """``distance_m`` in a direction within ±``spread_deg`` of straight ahead."""
    angle = np.radians(rng.uniform(-spread_deg, spread_deg))
    return (float(distance_m * np.cos(angle)), float(distance_m * np.sin(angle)))


def _yaw(yaw_deg: float) -> np.ndarray:
    a = np.radians(yaw_deg)
    return np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
