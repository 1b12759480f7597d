"""The drills of the hip-hinge programme as the simulator performs them.

One ``Drill`` per profile of ``imuhinge.exercises``: the body's posture, how a set's reps
are drawn (or, for the lat engagement, the one isometric hold) and which faults occur.
Every set has the profile's ``target_reps`` (15) unless the session's duration cuts it
short; each rep is faulty with a probability of about 30% (rising through the set with
fatigue), usually with one fault, sometimes two. Fault sizes keep honest margins on the
profile's check limits (10° side bend, 15° rotation, 10° short of neutral, 10° lockout
extension, 20° lumbar flexion): a faulty rep is 2° or more beyond its limit, a clean one
well within it.

- ``bridge`` (lying on the back): the hips lift, the pelvis rotating backward (towards hip
  extension) to the person's straight-hip angle of 30–42°, the thorax following a little
  less (the upper back stays on the floor), a short hold at the top, and down. Faults:
  ``short_of_neutral`` (the top 12–20° short of straight), ``overextended`` (the lower back
  arches 12–20° at the top).
- ``tall-kneel-raise``, ``banded-tall-kneel-raise`` (kneeling): sit back towards the heels
  (pelvis tilting forward 20–50°, the thighs leaning back), drive the hips forward to tall
  kneeling. Faults: ``short_of_neutral`` (stopping 12–18° forward of tall), ``overextended``
  (arching at the top), ``rounded``. The banded raise drives up more slowly and arches more.
- ``banded-hip-thrust`` (standing): a soft-kneed hinge of 20–45° and a drive to full
  extension; the same faults.
- ``wall-touch-hinge`` (to the wall: 27–40°) and ``hip-hinge``: the bodyweight hinge of the
  ``hinge`` scenario, with some ``rounded`` and ``overextended`` reps.
- ``kettlebell-deadlift``, ``kettlebell-swing``: the reps of the ``deadlift`` and ``swing``
  scenarios, 15 to a set. The swing adds ``no_lockout`` (the hips stop 12–25° short of
  straight at the top; clean swings within 3°) and ``depth_varies`` (a hike 33–50% deeper
  or shallower than usual) to ``rounded`` and ``overextended``.
- ``single-arm-kettlebell-lift``, ``suitcase-deadlift``: deadlifts with the bell on one
  side. Faults: ``side_bend`` (pelvis 12–22° towards the bell, the trunk as much or a
  little more; clean reps under 4.5–5°), ``rotation`` (pelvis 17–28° towards the bell,
  clean under 4–6°); the single-arm lift twists more often, the suitcase deadlift bends.
  While the bell is held both segments lean 1–3° away from it (heavier, more), the
  sideways balance; a clean rep's side bend stays about that lean.
- ``lat-engagement`` (standing): one hold of about 20 s (the profile's target, −5% to
  +25%): the chest lifts 0.5–1.5° as the shoulder blades squeeze, the body sways
  0.2–0.8° (steady) or, a third of the time, 5.5–9° (``unsteady``); no reps.

Between sets a standing person walks, turns and fidgets as in the scenarios; a kneeling
or lying one rests still in the posture.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from ..errors import BadInputError
from .config import FidgetPose, Hold, RepPlan, SetPlan
from .draw import _draw_rep, _draw_style, _Timeline

FAULT_CHANCE = 0.3
"""Mean chance that a rep is faulty; it rises through a set from 0.6× to 1.4× this."""
SECOND_FAULT_CHANCE = 0.25
"""Chance that a faulty rep has a second fault from the drill's menu."""
UNSTEADY_CHANCE = 0.35
"""Chance that a hold is unsteady."""


@dataclass(frozen=True)
class Drill:
    """How the simulator does one drill: posture, and a drawer of sets or of the hold.

    ``draw_set(rng, drill, index, start_s, limit_s)`` returns a ``SetPlan`` (reps ending
    after ``limit_s`` left out; None when none fits); ``draw_hold(rng, drill, start_s,
    limit_s)`` a ``Hold`` (None when it cannot fit), held for ``hold_fraction`` (low, high)
    of ``target_hold_s``: a little under or over it alone, at least the target plus a
    moment to react in a plan session, where the screen says when the hold is done."""

    name: str
    posture: str
    kind: str
    target_reps: int = 15
    target_hold_s: float = 0.0
    hold_fraction: tuple[float, float] = (0.95, 1.25)
    draw_set: Callable | None = None
    draw_hold: Callable | None = None

    def timeline(self, rng: np.random.Generator) -> "DrillTimeline":
        return DrillTimeline(rng, standing=self.posture == "standing")


class DrillTimeline(_Timeline):
    """The scenarios' timeline (calibration, sets, rests) for a drill's sets or hold."""

    def __init__(self, rng: np.random.Generator, standing: bool) -> None:
        super().__init__(rng)
        self.standing = standing

    def rest(self, end_s: float) -> None:
        """Walks, turns and fidgets when standing; lying or kneeling, resting still."""
        if self.standing:
            super().rest(end_s)
        else:
            self.pause(end_s)

    def draw_drill(self, drill: Drill, duration_s: float | None) -> list[SetPlan]:
        """Lay out the session: quiet start posture (the calibration), then 1–2 sets (or
        sets until ``duration_s``), or the one hold, with rests; returns the sets."""
        rng = self.rng
        self.pause(rng.uniform(5.5, 8.0))
        if drill.kind == "hold":
            start_s = self.t + rng.uniform(2.0, 4.0)
            limit_s = None if duration_s is None else duration_s - 3.0
            hold = drill.draw_hold(rng, drill, start_s, limit_s)
            if hold is not None:
                self.pause(start_s)
                self.activities.append(hold)
                self.t = hold.end_s
                self.pause(self.t + rng.uniform(2.0, 4.0))
            end_s = duration_s if duration_s is not None else self.t + rng.uniform(5.0, 15.0)
            self.rest(max(end_s, self.t))
            return []
        planned_sets = int(rng.integers(1, 3))
        return self.lay_out_sets(
            lambda index, start_s, limit_s: drill.draw_set(rng, drill, index, start_s, limit_s),
            planned_sets, duration_s,
        )


def _faults(rng, menu: dict[str, float], n: int, count: int) -> set[str]:
    """The faults of rep ``n`` of ``count``: none, one, or two, weighted by ``menu``."""
    fatigue = 0.6 + 0.8 * n / max(count - 1, 1)
    if rng.random() >= FAULT_CHANCE * fatigue:
        return set()
    names = list(menu)
    weights = np.array([menu[k] for k in names]) / sum(menu.values())
    first = str(rng.choice(names, p=weights))
    chosen = {first}
    if len(names) > 1 and rng.random() < SECOND_FAULT_CHANCE:
        rest = [k for k in names if k != first]
        rest_weights = np.array([menu[k] for k in rest]) / sum(menu[k] for k in rest)
        chosen.add(str(rng.choice(rest, p=rest_weights)))
    return chosen


def _form(faults: set[str]) -> str:
    return "+".join(sorted(faults)) if faults else "good"


def _collect(rng, drill: Drill, index: int, start_s: float, limit_s, gap_s, draw_rep, **set_fields) -> SetPlan | None:
    """A set of ``drill.target_reps`` reps from ``draw_rep(n, t, from_deg)``, each next
    rep ``gap_s`` (a range) after the previous one ends."""
    reps: list[RepPlan] = []
    t, from_deg = start_s, 0.0
    for n in range(drill.target_reps):
        rep = draw_rep(n, t, from_deg)
        if limit_s is not None and rep.end_s > limit_s:
            break
        reps.append(rep)
        from_deg = rep.top_deg
        t = rep.end_s + rng.uniform(*gap_s)
    if not reps:
        return None
    return SetPlan(index=index, exercise=drill.name, reps=tuple(reps), **set_fields)


def _arch_deg(rng, faults: set[str], clean_high: float = 4.0) -> float:
    if "overextended" in faults:
        return float(rng.uniform(12.0, 20.0))
    return 0.0 if rng.random() < 0.4 else float(rng.uniform(0.0, clean_high))


# --- lying -----------------------------------------------------------------------------


def _bridge_set(rng, drill: Drill, index: int, start_s: float, limit_s) -> SetPlan | None:
    u = rng.uniform
    straight_deg = float(u(30.0, 42.0))
    tempo = {"descent_s": u(0.9, 1.5), "pause_s": u(0.5, 1.5), "ascent_s": u(1.0, 1.6)}

    def rep(n: int, t: float, from_deg: float) -> RepPlan:
        faults = _faults(rng, {"short_of_neutral": 1.0, "overextended": 1.0}, n, drill.target_reps)
        reached = straight_deg - (u(12.0, 20.0) if "short_of_neutral" in faults else u(0.0, 4.0))
        lumbar = -u(12.0, 20.0) if "overextended" in faults else u(1.0, 5.0)
        return RepPlan(
            start_s=float(t),
            descent_s=float(tempo["descent_s"] * u(0.9, 1.1)),
            pause_s=float(tempo["pause_s"] * u(0.8, 1.2)),
            ascent_s=float(tempo["ascent_s"] * u(0.9, 1.1)),
            pelvis_peak_deg=-float(reached),
            lumbar_peak_deg=float(lumbar),
            knee_peak_deg=0.0,
            pause_drop_deg=-float(u(0.3, 1.0)),
            pelvis_side_bend_deg=float(u(-1.0, 1.0)),
            thorax_side_bend_deg=float(u(-1.0, 1.0)),
            pelvis_rotation_deg=float(u(-1.0, 1.0)),
            thorax_rotation_deg=float(u(-1.0, 1.0)),
            form=_form(faults),
        )

    return _collect(rng, drill, index, start_s, limit_s, (0.8, 2.0), rep, load_kg=0.0, hip_straight_deg=straight_deg)


# --- kneeling and the standing thrust ----------------------------------------------------


def _raise_set(rng, drill: Drill, index: int, start_s: float, limit_s) -> SetPlan | None:
    """Tall-kneel raises (kneeling) and the banded hip thrust (standing): a hinge back and
    a drive of the hips forward to upright."""
    u = rng.uniform
    banded = drill.name.startswith("banded")
    standing = drill.posture == "standing"
    low, high = (20.0, 45.0) if standing else (20.0, 50.0)
    base_deg = float(u(low + 5.0, high - 5.0))
    tempo = {
        "descent_s": u(1.0, 1.6),
        "pause_s": u(0.0, 0.4),
        "ascent_s": u(1.1, 1.6) if banded else u(0.8, 1.2),
    }
    menu = {"short_of_neutral": 1.0, "overextended": 1.5 if banded else 1.0, "rounded": 0.7}
    knee_ratio = float(u(0.6, 0.9))  # kneeling: thigh lean per degree of pelvis tilt
    knee_deg = float(u(15.0, 30.0))  # standing: soft knees

    def rep(n: int, t: float, from_deg: float) -> RepPlan:
        faults = _faults(rng, menu, n, drill.target_reps)
        pelvis = float(np.clip(base_deg * u(0.9, 1.1), low, high))
        if "rounded" in faults:
            lumbar, lead = u(25.0, 40.0), u(0.4, 0.7)
            pelvis = max(low, pelvis - u(0.2, 0.4) * (lumbar - 6.0))
        else:
            lumbar, lead = u(2.0, 8.0), u(0.9, 1.0)
        top = float(u(12.0, 18.0)) if "short_of_neutral" in faults else 0.0
        pelvis = max(pelvis, top + 12.0, from_deg + 12.0)
        pause_s = tempo["pause_s"] * u(0.8, 1.2) if tempo["pause_s"] > 0.05 else 0.0
        return RepPlan(
            start_s=float(t),
            descent_s=float(tempo["descent_s"] * u(0.9, 1.1)),
            pause_s=float(pause_s),
            ascent_s=float(tempo["ascent_s"] * u(0.9, 1.1)),
            pelvis_peak_deg=float(pelvis),
            lumbar_peak_deg=float(lumbar),
            knee_peak_deg=float(knee_deg * u(0.9, 1.1) if standing else knee_ratio * pelvis),
            pause_drop_deg=float(u(0.5, 1.5)) if pause_s > 0.0 else 0.0,
            lumbar_lead=float(lead),
            lockout_arch_deg=_arch_deg(rng, faults),
            pelvis_side_bend_deg=float(u(-1.5, 1.5)),
            thorax_side_bend_deg=float(u(-2.0, 2.0)),
            pelvis_rotation_deg=float(u(-2.0, 2.0)),
            thorax_rotation_deg=float(u(-2.5, 2.5)),
            form=_form(faults),
            from_deg=float(from_deg),
            top_deg=top,
        )

    return _collect(rng, drill, index, start_s, limit_s, (0.8, 2.5), rep, load_kg=0.0)


# --- standing hinges, deadlifts and swings, from the scenarios' reps ---------------------


def _hinge_set(rng, drill: Drill, index: int, start_s: float, limit_s) -> SetPlan | None:
    depth = "stool" if drill.name == "wall-touch-hinge" else str(rng.choice(["stool", "floor"]))
    style = _draw_style(rng, "hinge", depth, str(rng.choice(["slow", "normal"])))
    if drill.name == "wall-touch-hinge":
        style["pelvis"] = (min(style["pelvis"][0], 36.0), 27.0, 40.0)
    menu = {"rounded": 1.0, "overextended": 1.0}

    def rep(n: int, t: float, from_deg: float) -> RepPlan:
        faults = _faults(rng, menu, n, drill.target_reps)
        form = "rounded" if "rounded" in faults else "good"
        return _draw_rep(rng, t, "hinge", style, form, "overextended" in faults)

    return _collect(rng, drill, index, start_s, limit_s, (0.8, 3.0), rep, load_kg=0.0)


def _deadlift_set(rng, drill: Drill, index: int, start_s: float, limit_s) -> SetPlan | None:
    """Kettlebell deadlifts; with one bell on one side for the single-arm lift and the
    suitcase deadlift, whose faults add side bend and rotation towards the bell."""
    one_side = drill.name in ("single-arm-kettlebell-lift", "suitcase-deadlift")
    loads = [8.0, 12.0, 16.0, 20.0, 24.0] if one_side else [8.0, 12.0, 16.0, 20.0, 24.0, 28.0, 32.0]
    load_kg = float(rng.choice(loads))
    depth = str(rng.choice(["stool", "floor"]))
    style = _draw_style(rng, "deadlift", depth, str(rng.choice(["slow", "normal"], p=[0.35, 0.65])))
    if drill.name == "single-arm-kettlebell-lift":
        menu = {"rotation": 1.3, "side_bend": 0.8, "rounded": 0.5, "overextended": 0.3}
    elif drill.name == "suitcase-deadlift":
        menu = {"side_bend": 1.3, "rotation": 0.6, "rounded": 0.5, "overextended": 0.3}
    else:
        menu = {"rounded": 1.2, "overextended": 0.8}
    side = str(rng.choice(["left", "right"])) if one_side else ""
    towards_right = 1.0 if side == "right" else -1.0
    u = rng.uniform
    # The body balances a bell on one side by leaning away from it: 1° with 8 kg to 3°
    # with 24 kg (± 0.3°), as long as it is held.
    lean_deg = float(np.clip(1.0 + 2.0 * (load_kg - 8.0) / 16.0 + u(-0.3, 0.3), 1.0, 3.0)) if one_side else 0.0
    lean = -towards_right * lean_deg

    def rep(n: int, t: float, from_deg: float) -> RepPlan:
        faults = _faults(rng, menu, n, drill.target_reps)
        form = "rounded" if "rounded" in faults else "good"
        plan = _draw_rep(rng, t, "deadlift", style, form, "overextended" in faults)
        if not one_side:
            return plan
        if "side_bend" in faults:
            pelvis_side = u(12.0, 22.0)
            thorax_side = pelvis_side * u(1.0, 1.15)
        else:
            # Clean: the lean away from the bell, give or take a little (absolute, as
            # the faults are): under 4.5° for the pelvis, 5° for the thorax.
            pelvis_side = -lean_deg + u(-1.5, 1.5)
            thorax_side = -lean_deg + u(-2.0, 2.0)
        if "rotation" in faults:
            pelvis_rot = u(17.0, 28.0)
            thorax_rot = pelvis_rot * u(1.0, 1.1)
        else:
            pelvis_rot, thorax_rot = u(-4.0, 4.0), u(-6.0, 6.0)
        # Towards the bell: + side bend is to the right, + rotation to the left.
        return replace(
            plan,
            pelvis_side_bend_deg=float(towards_right * pelvis_side),
            thorax_side_bend_deg=float(towards_right * thorax_side),
            pelvis_rotation_deg=float(-towards_right * pelvis_rot),
            thorax_rotation_deg=float(-towards_right * thorax_rot),
            form=_form(faults),
        )

    return _collect(
        rng, drill, index, start_s, limit_s, (0.5, 3.0), rep,
        load_kg=load_kg, load_side=side, load_lean_deg=float(lean),
    )


def _swing_set(rng, drill: Drill, index: int, start_s: float, limit_s) -> SetPlan | None:
    """Kettlebell swings: the ``swing`` scenario's rep, 15 to a set. Faults: ``rounded``,
    ``overextended`` (as the scenario), ``no_lockout`` (the hips stop 12–25° short of
    straight at the top; never the set's last swing, which stands tall to park the bell;
    clean swings come within 0–3°, 40% of them all the way) and
    ``depth_varies`` (a hike 33–50% deeper or shallower than the set's usual depth; a
    rounded swing is shallower too, but by under 18%). The next swing's hike starts from
    wherever the last one stopped."""
    u = rng.uniform
    load_kg = float(rng.choice([12.0, 16.0, 20.0, 24.0]))
    arm_top, arm_bottom = rng.uniform(50.0, 70.0), rng.uniform(20.0, 40.0)
    style = _draw_style(rng, "swing", "", "fast")
    usual_deg = style["pelvis"][0]
    menu = {"rounded": 1.0, "overextended": 0.8, "no_lockout": 1.2, "depth_varies": 0.8}

    def rep(n: int, t: float, from_deg: float) -> RepPlan:
        faults = _faults(rng, menu, n, drill.target_reps)
        if n == drill.target_reps - 1:
            faults.discard("no_lockout")  # the set's last swing stands tall to park the bell
        form = "rounded" if "rounded" in faults else "good"
        plan = _draw_rep(rng, t, "swing", style, form, "overextended" in faults)
        if "no_lockout" in faults:
            top = float(u(12.0, 25.0))
        else:
            top = 0.0 if rng.random() < 0.4 else float(u(0.0, 3.0))
        pelvis = plan.pelvis_peak_deg
        if "depth_varies" in faults:
            change = float(u(0.33, 0.5))
            shallow = usual_deg * (1.0 - change)
            deeper = rng.random() < 0.5 or shallow < max(top, from_deg) + 12.0
            pelvis = usual_deg * (1.0 + change) if deeper else shallow
        else:  # a rounded swing is shallower, but not by a depth fault's margin
            pelvis = max(pelvis, 0.82 * usual_deg)
        # The hike goes at least 12° past where the swing starts and where it stops.
        pelvis = max(pelvis, top + 12.0, from_deg + 12.0)
        return replace(plan, pelvis_peak_deg=float(pelvis), from_deg=float(from_deg), top_deg=top, form=_form(faults))

    return _collect(
        rng, drill, index, start_s, limit_s, (0.05, 0.2), rep,
        load_kg=load_kg, arm_top_deg=float(arm_top), arm_bottom_deg=float(arm_bottom),
    )


# --- the hold ----------------------------------------------------------------------------


def _lat_hold(rng, drill: Drill, start_s: float, limit_s) -> Hold | None:
    u = rng.uniform
    ramp_s = 0.8
    held_s = drill.target_hold_s * u(*drill.hold_fraction)
    if limit_s is not None:
        held_s = min(held_s, limit_s - start_s - 2.0 * ramp_s)
        if held_s < 5.0:
            return None
    unsteady = rng.random() < UNSTEADY_CHANCE
    sway_deg = u(5.5, 9.0) if unsteady else u(0.2, 0.8)
    period_s = 1.0 / u(0.25, 0.5)
    poses = []
    time_s, sign = ramp_s + 0.25 * period_s, float(rng.choice([-1.0, 1.0]))
    while time_s < ramp_s + held_s - 0.25 * period_s:
        size = sway_deg * u(0.8, 1.2) * sign
        poses.append(
            FidgetPose(
                time_s=float(time_s),
                pelvis_tilt_deg=float(0.9 * size),
                lumbar_flexion_deg=float(0.1 * size),
                side_bend_deg=float(0.2 * size * u(-1.0, 1.0)),
            )
        )
        time_s += 0.5 * period_s * u(0.85, 1.15)
        sign = -sign
    return Hold(
        start_s=float(start_s),
        end_s=float(start_s + held_s + 2.0 * ramp_s),
        ramp_s=ramp_s,
        squeeze_deg=float(u(0.5, 1.5)),
        poses=tuple(poses),
    )


_DRAWERS = {
    "bridge": _bridge_set,
    "tall-kneel-raise": _raise_set,
    "banded-tall-kneel-raise": _raise_set,
    "banded-hip-thrust": _raise_set,
    "wall-touch-hinge": _hinge_set,
    "hip-hinge": _hinge_set,
    "kettlebell-deadlift": _deadlift_set,
    "single-arm-kettlebell-lift": _deadlift_set,
    "suitcase-deadlift": _deadlift_set,
    "kettlebell-swing": _swing_set,
}
_POSTURE_OF = {"lying": "lying", "kneeling": "kneeling", "standing": "standing"}
"""Profile start posture → body posture of the model."""


def drill_named(name: str) -> Drill:
    """The simulator's drill for the profile ``name``; ``BadInputError`` (one sentence,
    naming the known drills) for an unknown one."""
    from ..exercises import load_profiles

    profiles = load_profiles()
    profile = profiles.get(name)
    if profile is None or (profile.kind == "reps" and name not in _DRAWERS):
        raise BadInputError(f"unknown exercise '{name}' (expected one of {', '.join(profiles)})")
    if profile.kind == "hold":
        return Drill(name, _POSTURE_OF[profile.start_posture], "hold", 0, profile.target_hold_s, draw_hold=_lat_hold)
    return Drill(name, _POSTURE_OF[profile.start_posture], "reps", profile.target_reps, draw_set=_DRAWERS[name])


def drill_names() -> tuple[str, ...]:
    """Every drill the simulator can do, in programme order."""
    from ..exercises import load_profiles

    return tuple(load_profiles())
