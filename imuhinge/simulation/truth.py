"""Ground truth the simulator knows about a session, and its JSON form.

Angles follow DESIGN.md's definitions (degrees, relative to quiet standing);
``lumbar_flexion_deg`` = trunk inclination - pelvic tilt. Per rep, peak values are the
maxima within [start_s, end_s], and ``lockout_extension_deg`` is the largest lumbar
extension (positive) over the last 40% of the ascent to the end of the rep. ``start_s``
is when the pelvis tilt leaves quiet standing, ``end_s`` when it is back.
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


@dataclass
class Truth:
    seed: int
    sensors: list[str]
    rate_hz: float
    reps: list[TruthRep]
    events: list[dict] = field(default_factory=list)
    """Non-rep activity with times: ``{"kind": "walk"|"turn"|"fidget"|"pause"|"loss", "start_s", "end_s"}``."""
    mounting: dict = field(default_factory=dict)
    """Per sensor: how it was clipped (rotation from segment to sensor frame) and its faults."""

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
