"""A session plan performed in one continuous simulated session, and its truth per drill.

``simulate_plan(seed, plan="progression")`` has one person do every drill of a plan
(``imuhinge.exercises.plan``) one after another, as ``imuhinge live --plan`` coaches it.
Each part of the session is one drill:

- from the second part on, a posture change of 3–5 s into the drill's start posture
  (``imuhinge.simulation.transitions``: rolling up from lying onto the knees, getting up
  from kneeling, a few steps or a shift of the stance between standing drills);
- 4–6 s quiet in that posture (where the live processor calibrates);
- one set of ``reps_per_drill`` reps (default: the drill's target, 15), drawn as the
  single-drill sessions draw them (``imuhinge.simulation.drills``), or the one hold,
  held past its target (``PLAN_HOLD_FRACTION``) as someone told when it is done does;
- 6.5–8 s quiet rest in the posture: the live plan moves on about 3 s after the last rep,
  so the next drill's live recording starts while the person still rests.

The whole session has one person (``BodySettings``), one clip of each sensor and one set
of sensor faults (bias, drift, noise, scale, int16, jitter, loss), drawn from the seed's
streams as ``SessionConfig.random`` draws them, so a seed gives the same person and
sensors in a plan as in a single drill. ``SimulatedPlan.part_recordings`` cuts the
session as a live plan folder holds it: one recording per drill, times from the part's
start, with its ``# exercise:`` and ``# plan:`` lines, and its truth.

``PlanConfig.random`` draws the whole plan explicitly (as ``SessionConfig`` does a
session) and ``perform_plan`` simulates it; ``simulate_plan`` does both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import BadInputError
from ..exercises.plan import PLAN_KEY, TARGET_REPS_KEY, SessionPlan, plan_file_name, plan_line, plan_named
from ..recording import Recording, SensorStream
from ..recording.columns import SENSOR_LABELS
from .body import fit_balance
from .config import Pause, SensorSetup, SessionConfig
from .draw import LONG_LOSS_CHANCE, _with_long_loss
from .drills import drill_named
from .kinematics import build_motion
from .sensors import TIME_RESOLUTION_S, add_faults, ideal_imu, lost_samples, reported_times, true_sample_times
from .session import _long_losses, _mounting_truth, hold_truth, rep_truth
from .transitions import (
    TRANSITION_S,
    PartBody,
    Placement,
    Transition,
    draw_transition,
    floor_balance,
    ideal_transition_imu,
    next_placement,
)
from .truth import Truth

QUIET_BEFORE_S = (4.0, 6.0)
"""Quiet in the drill's start posture before its set (s), drawn uniformly."""
REST_AFTER_S = (6.5, 8.0)
"""Quiet rest in the posture after the set's last rep (s): at least 6 s."""
PLAN_HOLD_FRACTION = (1.1, 1.3)
"""A plan's hold lasts this share of its target (drawn uniformly): the person holds until
the screen says the hold is done, which comes when the live timer reaches the target, and
lets go a moment after (the live timer runs up to about 1.5 s behind the hold's truth)."""
BOUNDARY_STEP_S = 1e-3
"""Part boundaries fall on this grid, so times rebased to a part stay on the 0.1 ms grid."""


@dataclass(frozen=True)
class PlanPartConfig:
    """One drill of a plan session: its single-drill ``config`` (the set or hold, pauses,
    posture, in session times) and where it lies in the session (see ``PlanPart``);
    ``transition`` is the posture change into it (None for the first part)."""

    drill: str
    config: SessionConfig
    start_s: float
    set_start_s: float
    set_end_s: float
    end_s: float
    transition: Transition | None = None


@dataclass(frozen=True)
class PlanConfig:
    """A whole plan session, explicit down to every rep, transition and sensor fault.

    ``parts`` tile [0, ``duration_s``]; ``sensor_setups`` (clip and faults, one per worn
    sensor, the pelvis first) hold for the whole session; ``seed`` also seeds the noise."""

    seed: int
    plan: str
    sensors: tuple[str, ...]
    rate_hz: float
    duration_s: float
    parts: tuple[PlanPartConfig, ...]
    sensor_setups: tuple[SensorSetup, ...]
    accelerometer_only: tuple[str, ...] = ()

    @classmethod
    def random(
        cls,
        seed: int,
        sensors: tuple[str, ...] = ("pelvis", "thorax"),
        plan: str | SessionPlan = "progression",
        *,
        reps_per_drill: int | None = None,
        rate_hz: float | None = None,
        accelerometer_only: bool | str | tuple[str, ...] = (),
    ) -> "PlanConfig":
        """A plan session drawn from ``seed`` (see the module docstring). ``plan``: a
        bundled plan's name, or a ``SessionPlan``. ``reps_per_drill``: the reps of every
        rep drill's set (default each drill's target). ``rate_hz``, ``accelerometer_only``:
        as ``SessionConfig.random``."""
        if isinstance(plan, str):
            plan = plan_named(plan)
        if reps_per_drill is not None and (not isinstance(reps_per_drill, (int, np.integer)) or reps_per_drill < 1):
            raise BadInputError(f"the reps per drill must be a whole number from 1, not {reps_per_drill!r}")
        base = SessionConfig.random(seed, tuple(sensors), scenario="hinge", rate_hz=rate_hz,
                                    accelerometer_only=accelerometer_only)
        setups = tuple(replace(s, faults=replace(s.faults, long_loss_start_s=0.0, long_loss_s=0.0))
                       for s in base.sensor_setups)
        parts: list[PlanPartConfig] = []
        t = 0.0
        for k, name in enumerate(plan.drills):
            drill = drill_named(name)
            if reps_per_drill is not None and drill.kind == "reps":
                drill = replace(drill, target_reps=int(reps_per_drill))
            if drill.kind == "hold":
                drill = replace(drill, hold_fraction=PLAN_HOLD_FRACTION)
            rng = np.random.default_rng([seed, 20, k])
            transition = None
            if parts:
                previous = drill_named(parts[-1].drill).posture
                transition = draw_transition(np.random.default_rng([seed, 21, k]), t, previous, drill.posture)
                t = _on_grid(transition.end_s)
                transition = replace(transition, end_s=t)
            settled_s = t
            set_start_s = settled_s + float(rng.uniform(*QUIET_BEFORE_S))
            sets, activities = (), [Pause(settled_s, set_start_s)]
            if drill.kind == "hold":
                hold = drill.draw_hold(rng, drill, set_start_s, None)
                activities.append(hold)
                set_end_s = hold.end_s
            else:
                sets = (drill.draw_set(rng, drill, 1, set_start_s, None),)
                set_end_s = sets[0].end_s
            end_s = _on_grid(set_end_s + float(rng.uniform(*REST_AFTER_S)))
            activities.append(Pause(set_end_s, end_s))
            start_s = transition.start_s if transition is not None else 0.0
            config = replace(
                base, scenario=name, exercise=name, duration_s=end_s - start_s, sets=sets,
                activities=tuple(activities), body=replace(base.body, posture=drill.posture), sensor_setups=setups,
            )
            parts.append(PlanPartConfig(name, config, start_s, set_start_s, set_end_s, end_s, transition))
            t = end_s
        setups = _with_plan_long_loss(np.random.default_rng([seed, 22]), setups, parts, t)
        parts = [replace(p, config=replace(p.config, sensor_setups=setups)) for p in parts]
        return cls(int(seed), plan.name, base.sensors, base.rate_hz, t, tuple(parts), setups, base.accelerometer_only)

    def with_setups(self, setups: tuple[SensorSetup, ...]) -> "PlanConfig":
        """The same plan session seen by sensors ``setups``."""
        parts = tuple(replace(p, config=replace(p.config, sensor_setups=setups)) for p in self.parts)
        return replace(self, parts=parts, sensor_setups=setups)

    def without_transport_faults(self) -> "PlanConfig":
        """The same session without what a link does to samples (jitter, losses): what an
        emulated sensor sends. The measurement faults stay."""
        return self.with_setups(tuple(
            replace(s, faults=replace(s.faults, jitter_s=0.0, loss_fraction=0.0, long_loss_s=0.0))
            for s in self.sensor_setups
        ))

    def without_faults(self) -> "PlanConfig":
        """The same session seen by ideal sensors (same clip orientations and phases)."""
        return self.with_setups(tuple(replace(s, faults=s.faults.ideal()) for s in self.sensor_setups))


@dataclass(frozen=True)
class PlanPart:
    """One drill of a simulated plan session, in session times (s).

    ``start_s``: where the part begins, 0 for the first, else where the transition into
    its start posture begins; ``set_start_s``/``set_end_s``: the first rep's start and the
    last rep's end (a hold's start and end); ``end_s``: where the next part begins (the
    session's end for the last). ``truth``: the drill's truth, as a single-drill session's
    (reps or holds with their labels), in session times."""

    drill: str
    start_s: float
    set_start_s: float
    set_end_s: float
    end_s: float
    truth: Truth


@dataclass(frozen=True)
class SimulatedPlan:
    """A simulated plan session: ``recording`` is the whole session, continuous, as the
    sensors report it; ``parts`` the drills in order; ``config`` what was simulated."""

    plan: str
    recording: Recording
    parts: tuple[PlanPart, ...]
    config: PlanConfig | None = None

    def part_recordings(self) -> list[tuple[PlanPart, Recording, Truth]]:
        """Each part cut at [start_s, end_s) (the last one to the session's end), times
        rebased to the part's start (its truth too), metadata: the recording's plus
        ``exercise``, ``plan`` (``plan_line``) and, for reps, ``target reps``: what a live
        plan folder holds."""
        plan = SessionPlan(self.plan, "", "", tuple(p.drill for p in self.parts))
        cut = []
        for index, part in enumerate(self.parts, start=1):
            last = index == len(self.parts)
            streams = {}
            for label, stream in self.recording.streams.items():
                keep = (stream.time_s >= part.start_s) & ((stream.time_s < part.end_s) | last)
                time_s = np.round((stream.time_s[keep] - part.start_s) / TIME_RESOLUTION_S) * TIME_RESOLUTION_S
                streams[label] = SensorStream(time_s, stream.acc_g[keep], stream.gyr_dps[keep])
            metadata = {**self.recording.metadata, "exercise": part.drill, PLAN_KEY: plan_line(plan, index)}
            if part.truth.reps:  # as a live plan writes it: the set's target
                metadata[TARGET_REPS_KEY] = str(len(part.truth.reps))
            recording = Recording(streams=streams, metadata=metadata, source=self.recording.source)
            cut.append((part, recording, rebased_truth(part.truth, part.start_s)))
        return cut


def simulate_plan(
    seed: int,
    sensors: tuple[str, ...] = ("pelvis", "thorax"),
    plan: str | SessionPlan = "progression",
    *,
    reps_per_drill: int | None = None,
    rate_hz: float | None = None,
    accelerometer_only: bool | str | tuple[str, ...] = (),
    transport_faults: bool = True,
) -> SimulatedPlan:
    """The whole ``plan`` (a bundled plan's name, or a ``SessionPlan``) done by the person
    of ``seed`` in one session (see the module docstring and ``PlanConfig.random``).
    ``transport_faults=False`` leaves out jitter and losses (what an emulated sensor
    sends); the measurement faults stay."""
    config = PlanConfig.random(seed, tuple(sensors), plan, reps_per_drill=reps_per_drill, rate_hz=rate_hz,
                               accelerometer_only=accelerometer_only)
    return perform_plan(config if transport_faults else config.without_transport_faults())


def perform_plan(config: PlanConfig) -> SimulatedPlan:
    """The recording of ``config``'s plan session as its sensors report it, and each part's truth."""
    bodies = part_bodies(config)
    streams: dict[str, SensorStream] = {}
    counts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    losses: list[dict] = []
    for k, setup in enumerate(config.sensor_setups):
        rng = np.random.default_rng([config.seed, 1, k])
        faults = setup.faults
        true_s = true_sample_times(config.duration_s, config.rate_hz, faults.phase_s)
        ideal_acc_g, ideal_gyr_dps = ideal_plan_imu(config, bodies, setup, true_s)
        acc_g, gyr_dps = add_faults(ideal_acc_g, ideal_gyr_dps, true_s, config.rate_hz, faults, rng)
        if setup.label in config.accelerometer_only:
            gyr_dps = np.zeros_like(gyr_dps)
        stamps_s = reported_times(true_s, config.rate_hz, faults.jitter_s, rng)
        keep = ~lost_samples(true_s, config.rate_hz, faults, rng) & (stamps_s >= 0.0)
        streams[setup.label] = SensorStream(stamps_s[keep], acc_g[keep], gyr_dps[keep])
        losses += _long_losses(setup.label, streams[setup.label].time_s)
        counts[setup.label] = (true_s, keep)
    metadata = {f"sensor {label}": f"imuhinge simulator, {config.rate_hz:g} Hz" for label in streams}
    metadata["simulated"] = f"seed {config.seed}, plan {config.plan}"
    recording = Recording(streams=streams, metadata=metadata, source="<simulated>")
    recording = recording.with_accelerometer_only(config.accelerometer_only)
    losses.sort(key=lambda e: e["start_s"])
    parts = tuple(
        PlanPart(p.drill, p.start_s, p.set_start_s, p.set_end_s, p.end_s,
                 _part_truth(config, p, body, losses, counts, last=k == len(config.parts) - 1))
        for k, (p, body) in enumerate(zip(config.parts, bodies))
    )
    return SimulatedPlan(config.plan, recording, parts, config)


def part_bodies(config: PlanConfig) -> list[PartBody]:
    """Each part's body in the session's world: its motion and balance (over the part and
    the transition out of it), and its placement after the transitions before it."""
    bodies: list[PartBody] = []
    for part in config.parts:
        motion = build_motion(part.config)
        body = part.config.body
        until_s = part.end_s + TRANSITION_S[1] + 0.5
        if body.posture == "standing":
            balance = fit_balance(motion, body, part.start_s, until_s)
        else:
            balance = floor_balance(part.start_s - 1.0, until_s)
        here = PartBody(motion, balance, body, Placement())
        if bodies:
            here = replace(here, placement=next_placement(part.transition, bodies[-1], here))
        bodies.append(here)
    return bodies


def ideal_plan_imu(
    config: PlanConfig, bodies: list[PartBody], setup: SensorSetup, time_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(specific force in g, angular rate in °/s), sensor frame, of an ideal ``setup``
    sensor at the true sample times ``time_s`` of the whole session; each (n, 3)."""
    acc_g = np.empty((len(time_s), 3))
    gyr_dps = np.empty((len(time_s), 3))
    r = setup.segment_to_sensor_matrix
    for k, (part, body) in enumerate(zip(config.parts, bodies)):
        own_start_s = part.transition.end_s if part.transition is not None else -np.inf
        own_end_s = np.inf if k == len(config.parts) - 1 else config.parts[k + 1].start_s
        if part.transition is not None:
            inside = (time_s >= part.start_s) & (time_s < own_start_s)
            acc_g[inside], gyr_dps[inside] = ideal_transition_imu(
                part.transition, bodies[k - 1], body, setup.site, r, time_s[inside]
            )
        inside = (time_s >= own_start_s) & (time_s < own_end_s)
        acc_g[inside], gyr_dps[inside] = ideal_imu(body.motion, body.balance, body.body, setup.site, r, time_s[inside])
    return acc_g, gyr_dps


def rebased_truth(truth: Truth, start_s: float) -> Truth:
    """``truth`` with every time counted from ``start_s`` instead of the session's start."""
    shift = lambda v: round(v - start_s, 4)  # noqa: E731
    reps = [replace(r, start_s=shift(r.start_s), bottom_s=shift(r.bottom_s), end_s=shift(r.end_s)) for r in truth.reps]
    events = [{**e, "start_s": shift(e["start_s"]), "end_s": shift(e["end_s"])} for e in truth.events]
    holds = [{**h, "start_s": shift(h["start_s"]), "end_s": shift(h["end_s"])} for h in truth.holds]
    mounting = {}
    for label, m in truth.mounting.items():
        loss = m.get("long_loss")
        mounting[label] = {**m, "long_loss": None if loss is None else {**loss, "start_s": shift(loss["start_s"])}}
    return replace(truth, reps=reps, events=events, holds=holds, mounting=mounting)


def plan_truth_file_name(index: int, drill: str) -> str:
    """The truth file next to drill ``index``'s recording in a simulated plan folder:
    ``01-bridge.truth.json`` beside ``01-bridge.csv`` (``plan_file_name``)."""
    return plan_file_name(index, drill).removesuffix(".csv") + ".truth.json"


def _part_truth(config: PlanConfig, part: PlanPartConfig, body: PartBody, losses: list[dict],
                counts: dict, last: bool) -> Truth:
    """One part's truth in session times: its reps or hold, its events (pauses, the hold,
    the transition into it, long losses overlapping it) and the sensors over it."""
    inside = lambda a, b: b > part.start_s and a < part.end_s  # noqa: E731
    events = [{"kind": a.kind, "start_s": round(a.start_s, 4), "end_s": round(a.end_s, 4)}
              for a in part.config.activities]
    if part.transition is not None:
        events.append(part.transition.event())
    events += [e for e in losses if inside(e["start_s"], e["end_s"])]
    mounting = {}
    for setup in config.sensor_setups:
        true_s, keep = counts[setup.label]
        here = (true_s >= part.start_s) & ((true_s < part.end_s) | last)
        m = _mounting_truth(setup, config.rate_hz, int(here.sum()), int((here & ~keep).sum()))
        loss = m["long_loss"]
        if loss is not None and not inside(loss["start_s"], loss["start_s"] + loss["duration_s"]):
            m["long_loss"] = None
        m["gyroscope"] = setup.label not in config.accelerometer_only
        mounting[setup.label] = m
    return Truth(
        seed=config.seed,
        sensors=list(config.sensors),
        rate_hz=config.rate_hz,
        reps=rep_truth(part.config, body.motion, losses),
        events=sorted(events, key=lambda e: e["start_s"]),
        mounting=mounting,
        scenario=part.drill,
        duration_s=round(part.end_s - part.start_s, 4),
        exercise=part.drill,
        posture=part.config.body.posture,
        holds=hold_truth(part.config, body.motion),
    )


def _with_plan_long_loss(rng, setups: tuple[SensorSetup, ...], parts: list[PlanPartConfig],
                         total_s: float) -> tuple[SensorSetup, ...]:
    """One long loss (0.4–1.5 s) on one sensor in ``LONG_LOSS_CHANCE`` of plan sessions, as
    ``SessionConfig.random`` has in a session (in a rep 70% of the time)."""
    target = str(rng.choice(SENSOR_LABELS))
    labels = [s.label for s in setups]
    if rng.random() >= LONG_LOSS_CHANCE or target not in labels:
        return setups
    reps = [rep for p in parts for s in p.config.sets for rep in s.reps]
    k = labels.index(target)
    return setups[:k] + (_with_long_loss(rng, setups[k], reps, total_s),) + setups[k + 1:]


def _on_grid(time_s: float) -> float:
    return round(round(time_s / BOUNDARY_STEP_S) * BOUNDARY_STEP_S, 3)
