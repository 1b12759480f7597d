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
    """Peak knee flexion within the rep."""


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
    run from the last sample received before the loss to the first after."""
    mounting: dict = field(default_factory=dict)
    """Per sensor: how it was clipped (rotation from segment to sensor frame) and its faults."""
    scenario: str = ""
    duration_s: float = 0.0

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
