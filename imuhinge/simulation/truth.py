"""Ground truth the simulator knows about a session, and its JSON form.

Angles follow DESIGN.md's definitions (degrees, relative to quiet standing);
``lumbar_flexion_deg`` = trunk inclination - pelvic tilt. Per rep, peak values are the
maxima within [start_s, end_s], and ``lockout_extension_deg`` is the largest lumbar
extension (positive) over the last 40% of the ascent to the end of the rep. ``start_s``
is when the pelvis tilt leaves quiet standing, ``end_s`` when it is back.

In detail, as ``imuhinge.simulation.session`` computes them from the noise-free angles on a
1 ms grid: ``start_s``/``end_s`` are where the rep's own pelvis movement begins and ends
(the background sway of about ±0.3° goes on); ``bottom_s`` is the time of the largest
pelvic tilt in [start_s, end_s]; ``lockout_extension_deg`` is max(0, max of −lumbar
flexion over [bottom_s + 0.6·(end_s − bottom_s), end_s]). The labels ``rounded`` and
``overextended`` follow from these numbers and the default thresholds (20° and 10°);
``shallow``/``deep`` are stool/floor-depth sets (swings have neither); ``slow`` means a
descent of 1.5 s or more, ``fast`` a whole rep of 1.2 s or less; ``loaded`` a load in the
hands; ``gap`` a rep that overlaps a loss of more than 0.25 s between two received
samples of either sensor (those losses are the ``loss`` events).

Drills (a session asked for by ``exercise``) are judged by their profile's checks
(``imuhinge.exercises``), with the profile's limits, so truth and analysis agree: a rep's
labels are the ``flag`` of every check whose metric is beyond its limit (``rounded``,
``overextended``, ``short_of_neutral``, ``side_bend``, ``rotation``, ``no_lockout``,
``depth_varies``; all checks, whatever the sensors), or ``good`` when none is, then the
descriptors above. Angles are relative to the drill's own start posture (lying on the
back, tall kneeling or standing), in which the analysis calibrates. In a drill whose
rep moves the pelvis backward (the bridge) ``bottom_s`` is the extreme of the backward
rotation (the top of the bridge) and the lockout window is the whole rep.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

TRUTH_SCHEMA = "imuhinge.truth/1"


@dataclass
class TruthRep:
    rep: int
    start_s: float
    bottom_s: float
    end_s: float
    pelvis_tilt_deg: float
    trunk_inclination_deg: float
    lumbar_flexion_deg: float
    lockout_extension_deg: float
    labels: list[str] = field(default_factory=list)
    """Kind of rep and its faults: ``good``/``rounded``, ``overextended``, ``shallow``,
    ``deep``, ``slow``/``fast``, ``loaded``, ``gap`` (overlaps a long packet loss)."""
    set_index: int = 0
    """Which set (from 1) the rep belongs to."""
    load_kg: float = 0.0
    """Load in the hands during the rep."""
    knee_flexion_deg: float = 0.0
    """Peak knee flexion within the rep (kneeling: the thighs' peak backward lean)."""
    side_bend_deg: float = 0.0
    """Peak |frontal-plane tilt| (°, either side) in [start_s, end_s] of the worn segments:
    the larger of ``pelvis_side_bend_deg`` and (with a thorax sensor) ``thorax_side_bend_deg``
    in magnitude. Tilt is the frontal angle of docs/frames.md, relative to the start posture."""
    rotation_deg: float = 0.0
    """Peak |heading change about the vertical| (°, either way) in [start_s, end_s] from
    the heading at ``start_s``, of the worn segments as for ``side_bend_deg``."""
    hip_extension_short_deg: float = 0.0
    """How far the pelvis stays short of its neutral at the top of the rep (°, ≥ 0). Forward
    drills: the smallest pelvic tilt over the lockout window (the last 40% from
    ``bottom_s`` to ``end_s``), 0 if it reaches the start posture or beyond. The bridge: the
    person's straight-hip pelvis rotation (``hip_straight_deg``) minus the largest
    backward rotation reached, 0 if reached."""
    pelvis_side_bend_deg: float = 0.0
    """Pelvis frontal tilt at its peak magnitude in the rep (°, + to the right)."""
    thorax_side_bend_deg: float = 0.0
    """Thorax frontal tilt at its peak magnitude in the rep (°, + to the right)."""
    pelvis_rotation_deg: float = 0.0
    """Pelvis heading change from ``start_s`` at its peak magnitude (°, + to the left)."""
    thorax_rotation_deg: float = 0.0
    """Thorax heading change from ``start_s`` at its peak magnitude (°, + to the left)."""
    depth_change_pct: float = 0.0
    """|peak pelvic tilt − the set's median of it| ÷ that median × 100."""
    hip_straight_deg: float = 0.0
    """Backward drills (the bridge): the pelvis rotation (°, positive) at which the hips are
    straight, the set's target top; 0 otherwise."""


@dataclass
class Truth:
    seed: int
    sensors: list[str]
    rate_hz: float
    reps: list[TruthRep]
    events: list[dict] = field(default_factory=list)
    """Non-rep activity with times: ``{"kind": "walk"|"turn"|"fidget"|"pause"|"loss", "start_s", "end_s"}``.

    Walks, turns, fidgets and pauses tile the time outside the sets (a set runs from its
    first rep's start to its last rep's end); ``loss`` events also name the ``sensor`` and
    run from the last sample received before the loss to the first after. A drill of a
    plan session (``imuhinge.simulation.plan``) starts, after the first, with a
    ``transition`` event, the posture change into it: ``{"kind": "transition", "start_s",
    "end_s", "motion", "from_posture", "to_posture", "heading_change_deg"}``."""
    mounting: dict = field(default_factory=dict)
    """Per sensor: how it was clipped (rotation from segment to sensor frame) and its faults."""
    scenario: str = ""
    duration_s: float = 0.0
    exercise: str = ""
    """The drill simulated (a profile name of ``imuhinge.exercises``); a legacy scenario
    names its drill too (deadlift: kettlebell-deadlift, swing: kettlebell-swing, hinge:
    hip-hinge)."""
    posture: str = "standing"
    """The start posture the whole session is in: ``standing``, ``kneeling`` or ``lying``
    (a drill of a plan session: the drill's, reached at the end of its ``transition``)."""
    holds: list[dict] = field(default_factory=list)
    """Isometric holds: ``{"start_s", "end_s", "sway_deg", "pelvis_sway_deg",
    "thorax_sway_deg", "peak_sway_deg", "labels"}``. ``start_s``/``end_s`` bound the held
    part (after the squeeze is in, before it is let go); ``pelvis_sway_deg`` is the rms of
    the pelvic tilt about its mean over it, ``thorax_sway_deg`` the same of the trunk
    inclination, ``sway_deg`` the larger of those of the worn segments (the profile's
    ``hold_sway_deg``), ``peak_sway_deg`` the largest |trunk inclination − its mean|;
    ``labels`` is ``["unsteady"]`` (the profile check's flag) when ``sway_deg`` is beyond
    its limit, else ``["steady"]``."""

    def to_json_dict(self) -> dict:
        return {"schema": TRUTH_SCHEMA, **asdict(self)}

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: str | Path) -> "Truth":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data.pop("schema", None)
        data["reps"] = [TruthRep(**r) for r in data["reps"]]
        return cls(**data)
