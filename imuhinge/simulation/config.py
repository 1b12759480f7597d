"""What a simulated session is made of: the body, the plan of reps and activities, the sensors.

Everything here is a frozen value object, so a ``SessionConfig`` states the whole session
explicitly: ``simulate_session`` draws nothing of its own except the noise realisation,
which comes from ``seed``. ``SessionConfig.random`` draws a varied, realistic session from
a seed (see ``imuhinge.simulation.draw``); a test can instead build or edit one by hand
(``dataclasses.replace``).

Times are seconds since the session started. Angles are degrees relative to quiet
standing with the signs of docs/frames.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Union

import numpy as np

SCENARIOS = ("deadlift", "swing", "hinge")
EXERCISE_OF_SCENARIO = {"deadlift": "kettlebell-deadlift", "swing": "kettlebell-swing", "hinge": "hip-hinge"}
"""The programme drill each legacy scenario simulates (``imuhinge.exercises``)."""
POSTURES = ("standing", "kneeling", "lying")
"""Body postures the model has: standing on the feet (balanced over the ankles), tall
kneeling (knees on the floor, shanks flat behind) and lying on the back (shoulders on
the floor)."""
SENSOR_SITES = {"pelvis": "sacrum", "thorax": "T12"}
"""Where each sensor label sits on the body."""


@dataclass(frozen=True)
class BodySettings:
    """Segment geometry and mass of the simulated person.

    Lengths in metres, offsets in the segment frame (x anterior, y left, z cranial) of the
    segment they are attached to. Mass fractions are Winter's (2009) and live in
    ``imuhinge.simulation.body``.
    """

    mass_kg: float = 75.0
    shank_m: float = 0.43
    thigh_m: float = 0.45
    lumbar_m: float = 0.20
    """Length of the lumbar column from L5/S1 to T12, which bends uniformly."""
    hip_to_sacrum_m: tuple[float, float, float] = (-0.10, 0.0, 0.08)
    """From the mid-hip joint to the sacrum sensor (skin over S2), pelvis frame."""
    hip_to_l5s1_m: tuple[float, float, float] = (-0.04, 0.0, 0.12)
    t12_to_skin_m: tuple[float, float, float] = (-0.07, 0.0, 0.0)
    """From the T12 vertebral body to the thorax sensor on the skin, thorax frame."""
    posture: str = "standing"
    """The body's base posture for the whole session (``POSTURES``): ``standing`` (the
    feet fixed, balance over the ankles), ``kneeling`` (the knees fixed on the floor; the
    knee channel is then the thighs' backward tilt from vertical) or ``lying`` (on the
    back, the shoulders fixed on the floor; both segments pitched 90° back, so the
    segments' cranial axes are horizontal and gravity lies along their anterior axes).
    Angles stay relative to this posture, as the analysis calibrates in it."""


@dataclass(frozen=True)
class RepPlan:
    """One repetition: minimum-jerk descent, optional pause at the bottom, ascent.

    The pelvis tilt leaves 0 at ``start_s``, reaches ``pelvis_peak_deg`` at the end of the
    descent, sinks by ``pause_drop_deg`` during the pause (so the peak is unambiguous) and
    is back to 0 at ``end_s``. The lumbar flexion reaches ``lumbar_peak_deg`` after
    ``lumbar_lead`` of the descent (1.0: in phase with the pelvis; rounded reps lead),
    is back to 0 at 65% of the ascent when there is an arch at lockout, and arches by
    ``lockout_arch_deg`` (extension, a positive number) in a smooth bump over the last
    35% of the ascent, back to 0 at ``end_s``. Knee flexion, side bend and rotation follow
    the pelvis's timing. In a swing set the lumbar flexion instead moves straight from its peak to the lockout
    arch at ``end_s`` and holds it through the float at the top; the next rep's hike
    releases it (the last rep's arch is released in the 0.5 s after it).
    ``form``, ``depth`` and ``tempo`` are how the rep was drawn; the truth labels come from
    the resulting angles and times.
    """

    start_s: float
    descent_s: float
    pause_s: float
    ascent_s: float
    pelvis_peak_deg: float
    lumbar_peak_deg: float
    knee_peak_deg: float
    pause_drop_deg: float = 0.0
    lumbar_lead: float = 1.0
    lockout_arch_deg: float = 0.0
    pelvis_side_bend_deg: float = 0.0
    thorax_side_bend_deg: float = 0.0
    pelvis_rotation_deg: float = 0.0
    thorax_rotation_deg: float = 0.0
    form: str = "good"
    depth: str = ""
    tempo: str = "normal"
    from_deg: float = 0.0
    """Pelvis tilt at ``start_s``: the previous rep's ``top_deg`` (0 from the start posture)."""
    top_deg: float = 0.0
    """Pelvis tilt at ``end_s``: 0 when the rep finishes in the start posture, more when
    the hips stop short of it (the knee channel stops short in proportion)."""

    @property
    def bottom_s(self) -> float:
        """End of the descent: where the planned pelvis tilt peaks."""
        return self.start_s + self.descent_s

    @property
    def end_s(self) -> float:
        return self.start_s + self.descent_s + self.pause_s + self.ascent_s


@dataclass(frozen=True)
class SetPlan:
    """A set of reps of one exercise with one load.

    The load (kg, in both hands, hanging below the shoulders) is picked up in the second
    before the first rep and put down in the second after the last. For swings the arms
    swing from ``arm_top_deg`` in front (at each lockout) to ``arm_bottom_deg`` behind
    the vertical (at each bottom), measured from hanging straight down, + forward.
    """

    index: int
    exercise: str
    load_kg: float
    reps: tuple[RepPlan, ...]
    arm_top_deg: float = 0.0
    arm_bottom_deg: float = 0.0
    load_side: str = ""
    """Where the load is held: ``""`` in both hands in front, ``left`` or ``right`` in one
    hand (the single-arm lift and the suitcase deadlift; the sagittal mass model keeps it
    central, and ``load_lean_deg`` is how the body balances it sideways)."""
    load_lean_deg: float = 0.0
    """A one-sided load's sideways balance: the frontal tilt (°, + to the right) of both
    segments, away from the load, while it is held. It comes in as the load is picked up
    and goes as it is put down; each rep's side bends (``RepPlan``) are absolute, so its
    side bend leaves this lean at ``start_s`` and comes back to it at ``end_s``."""
    hip_straight_deg: float = 0.0
    """Backward drills (the bridge): the pelvis rotation (°, positive) at which the hips
    are straight, the top a rep should reach."""

    @property
    def start_s(self) -> float:
        return self.reps[0].start_s

    @property
    def end_s(self) -> float:
        return self.reps[-1].end_s


@dataclass(frozen=True)
class Pause:
    """Quiet standing (the calibration at the start, rests, the end)."""

    start_s: float
    end_s: float
    kind = "pause"


@dataclass(frozen=True)
class Walk:
    """Walking: the body travels along its heading at ``speed_mps`` (ramped in and out over
    ``ramp_s``), with stepping oscillations at ``step_hz``: pelvis tilt ±``tilt_deg``
    (the thorax follows at half), vertical bounce ±``bounce_m``, and at the stride rate
    (half the step rate) pelvic obliquity ±``obliquity_deg``, pelvis rotation
    ±``rotation_deg`` with the thorax counter-rotating at half, lateral sway ±``sway_m``.
    The heading drifts by ``heading_change_deg`` over the walk."""

    start_s: float
    end_s: float
    speed_mps: float = 1.1
    step_hz: float = 1.8
    tilt_deg: float = 3.0
    bounce_m: float = 0.02
    obliquity_deg: float = 3.0
    rotation_deg: float = 4.0
    sway_m: float = 0.02
    heading_change_deg: float = 0.0
    phase_rad: float = 0.0
    ramp_s: float = 0.8
    kind = "walk"


@dataclass(frozen=True)
class Turn:
    """Turning on the spot by ``heading_change_deg`` (+ to the left), stepping while turning."""

    start_s: float
    end_s: float
    heading_change_deg: float
    step_hz: float = 1.8
    tilt_deg: float = 1.5
    bounce_m: float = 0.008
    phase_rad: float = 0.0
    kind = "turn"


@dataclass(frozen=True)
class FidgetPose:
    """One posture passed through while fidgeting (time since the fidget started)."""

    time_s: float
    pelvis_tilt_deg: float = 0.0
    lumbar_flexion_deg: float = 0.0
    side_bend_deg: float = 0.0
    rotation_deg: float = 0.0
    com_forward_m: float = 0.0
    shift_left_m: float = 0.0


@dataclass(frozen=True)
class Fidget:
    """Fidgeting: small tilts and weight shifts through ``poses``, from and back to standing."""

    start_s: float
    end_s: float
    poses: tuple[FidgetPose, ...] = ()
    kind = "fidget"


@dataclass(frozen=True)
class Hold:
    """An isometric hold (lat engagement): from ``start_s`` the shoulder blades squeeze back
    and down over ``ramp_s``, which lifts the chest by ``squeeze_deg`` (lumbar extension);
    the body stays there, passing through the ``poses`` (sway, times since ``start_s``),
    and lets go over the last ``ramp_s`` before ``end_s``. The held part is
    [start_s + ramp_s, end_s - ramp_s]."""

    start_s: float
    end_s: float
    ramp_s: float = 0.8
    squeeze_deg: float = 1.0
    poses: tuple[FidgetPose, ...] = ()
    kind = "hold"

    @property
    def held_start_s(self) -> float:
        return self.start_s + self.ramp_s

    @property
    def held_end_s(self) -> float:
        return self.end_s - self.ramp_s


Activity = Union[Pause, Walk, Turn, Fidget, Hold]


@dataclass(frozen=True)
class Sway:
    """One sinusoid of the background motion present all the time (sway, breathing).

    ``channel`` names a kinematic channel (``imuhinge.simulation.kinematics.CHANNELS``);
    ``amplitude`` is in that channel's unit."""

    channel: str
    amplitude: float
    frequency_hz: float
    phase_rad: float


@dataclass(frozen=True)
class SensorFaults:
    """How one sensor departs from an ideal IMU.

    Gyroscope: constant bias ``gyro_bias_dps`` plus a random walk of
    ``gyro_drift_dps_per_sqrt_s``, white noise ``gyro_noise_dps`` rms at 100 Hz (same
    density at other rates). Accelerometer: per-axis scale factor ``acc_scale`` (1.0 is
    exact), bias ``acc_bias_g``, white noise ``acc_noise_g`` rms at 100 Hz. With
    ``quantise``, both are int16 at full scales ``acc_full_scale_g`` and
    ``gyro_full_scale_dps`` (and clipped there). Timing: the sensor samples regularly from
    ``phase_s``; reported timestamps carry Gaussian jitter ``jitter_s`` (clipped to ±30% of
    a period) and are rounded to 0.1 ms. Loss: bursts of 1 to ``max_burst_samples``
    samples, ``loss_fraction`` of all, and optionally one long loss of ``long_loss_s``
    from ``long_loss_start_s``.
    """

    gyro_bias_dps: tuple[float, float, float] = (0.0, 0.0, 0.0)
    gyro_drift_dps_per_sqrt_s: float = 0.0
    gyro_noise_dps: float = 0.0
    acc_bias_g: tuple[float, float, float] = (0.0, 0.0, 0.0)
    acc_scale: tuple[float, float, float] = (1.0, 1.0, 1.0)
    acc_noise_g: float = 0.0
    quantise: bool = False
    acc_full_scale_g: float = 16.0
    gyro_full_scale_dps: float = 2000.0
    phase_s: float = 0.0
    jitter_s: float = 0.0
    loss_fraction: float = 0.0
    max_burst_samples: int = 20
    long_loss_start_s: float = 0.0
    long_loss_s: float = 0.0

    def ideal(self) -> "SensorFaults":
        """The same sensor without any fault: exact values and times, nothing lost."""
        return SensorFaults(phase_s=self.phase_s)


@dataclass(frozen=True)
class SensorSetup:
    """One sensor: its label, how it is clipped, and its faults.

    ``segment_to_sensor`` is R_segment_sensor, row-major: a vector in the sensor frame v_s
    is R · v_s in the segment frame; its columns are the sensor's axes in segment axes.
    It is ``axis_rotation`` (one of the 24 axis-aligned rotations) times a tilt of
    ``tilt_deg`` about a random horizontal-ish axis.
    """

    label: str
    segment_to_sensor: tuple[float, ...]
    axis_rotation: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    tilt_deg: float = 0.0
    faults: SensorFaults = field(default_factory=SensorFaults)

    @property
    def segment_to_sensor_matrix(self) -> np.ndarray:
        return np.asarray(self.segment_to_sensor, dtype=float).reshape(3, 3)

    @property
    def site(self) -> str:
        return SENSOR_SITES[self.label]


@dataclass(frozen=True)
class SessionConfig:
    """A whole simulated session, explicit down to every rep and every fault.

    ``duration_s`` is the length of the recording; ``sets`` and ``activities`` (walks,
    turns, fidgets, pauses) tile it without overlapping; ``background`` is the sway and
    breathing present throughout. ``seed`` also seeds the noise realisation.
    ``accelerometer_only`` lists the sensors that have no gyroscope (a Polar H10): their
    gyroscope columns are written as 0.0 and the recording says so in its metadata.
    """

    seed: int
    sensors: tuple[str, ...]
    rate_hz: float
    scenario: str
    duration_s: float
    body: BodySettings
    sets: tuple[SetPlan, ...]
    activities: tuple[Activity, ...]
    background: tuple[Sway, ...]
    sensor_setups: tuple[SensorSetup, ...]
    accelerometer_only: tuple[str, ...] = ()
    exercise: str = ""
    """The programme drill asked for (``imuhinge.exercises``), written to the recording's
    metadata; empty for a session drawn by legacy ``scenario`` (whose recordings are kept
    byte for byte; ``EXERCISE_OF_SCENARIO`` names their drill)."""

    @classmethod
    def random(
        cls,
        seed: int,
        sensors: tuple[str, ...] = ("pelvis", "thorax"),
        scenario: str = "deadlift",
        rate_hz: float | None = None,
        duration_s: float | None = None,
        accelerometer_only: bool | tuple[str, ...] = (),
        exercise: str | None = None,
    ) -> "SessionConfig":
        """A varied realistic session drawn from ``seed``.

        ``exercise``: a drill of the programme (a name from
        ``imuhinge.exercises.load_profiles()``), done in its own start posture with its
        typical faults (see ``imuhinge.simulation.drills``); it replaces ``scenario``.
        ``scenario``: ``deadlift`` (mixed kettlebell deadlifts, the default), ``swing``
        (continuous fast swings) or ``hinge`` (bodyweight good hinges, a reference).
        ``rate_hz``: drawn from common IMU rates in 50–200 Hz when not given.
        ``duration_s``: when given, sets are added until the session is this long.
        ``accelerometer_only``: True for every sensor, or the labels of those without a
        gyroscope. It changes nothing else: the same seed gives the same session.
        """
        from .draw import draw_session

        config = draw_session(seed, tuple(sensors), scenario, rate_hz, duration_s, exercise)
        return config.with_accelerometer_only(accelerometer_only)

    def with_accelerometer_only(self, labels: bool | str | tuple[str, ...]) -> "SessionConfig":
        """The same session with ``labels`` (True: every sensor; labels as a tuple or one
        comma-separated string) recorded without gyroscope."""
        from ..errors import BadInputError

        if isinstance(labels, str):
            labels = tuple(part.strip() for part in labels.split(",") if part.strip())
        chosen = tuple(self.sensors) if labels is True else tuple(labels or ())
        unknown = [label for label in chosen if label not in self.sensors]
        if unknown:
            raise BadInputError(
                f"accelerometer-only sensor '{unknown[0]}' is not in this session ({', '.join(self.sensors)})"
            )
        return replace(self, accelerometer_only=tuple(label for label in self.sensors if label in chosen))

    @property
    def reps(self) -> tuple[RepPlan, ...]:
        return tuple(rep for s in self.sets for rep in s.reps)

    def setup(self, label: str) -> SensorSetup:
        return next(s for s in self.sensor_setups if s.label == label)

    def without_faults(self) -> "SessionConfig":
        """The same session seen by ideal sensors (same clip orientations and phases)."""
        setups = tuple(replace(s, faults=s.faults.ideal()) for s in self.sensor_setups)
        return replace(self, sensor_setups=setups)
