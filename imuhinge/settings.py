"""Judgement thresholds a user might question: named, with units, printed in every report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    """When a rep is flagged.

    ``max_lumbar_flexion_deg``: a rep whose peak lumbar flexion exceeds this is ``rounded``
    (20° is about 35% of a typical lumbar range, where the neutral zone usually ends).
    ``max_lockout_extension_deg``: lumbar extension at lockout beyond this is
    ``overextended`` (the cue "avoid arching").
    ``max_bridged_gap_s``: data gaps up to this long are interpolated; a rep overlapping a
    longer one is reported as ``gap`` and not judged.
    """

    max_lumbar_flexion_deg: float = 20.0
    max_lockout_extension_deg: float = 10.0
    max_bridged_gap_s: float = 0.25

    def as_dict(self) -> dict[str, float]:
        return {
            "max_lumbar_flexion_deg": self.max_lumbar_flexion_deg,
            "max_lockout_extension_deg": self.max_lockout_extension_deg,
            "max_bridged_gap_s": self.max_bridged_gap_s,
        }
