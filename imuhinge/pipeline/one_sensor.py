"""Step 8: the one-sensor estimate of lumbar flexion.

A pelvis sensor cannot see the lumbar spine, but balance couples the two: for the same
pelvic tilt, a trunk that leans further forward (a rounded back) moves the body's mass
forward, so the hips travel further back to stay over the feet, and a rounded rep is
often quicker and shallower at the pelvis. The estimate is a small linear model of peak
lumbar flexion on what the pelvis does in the rep: its peak tilt, the sacrum's backward
and downward travel (world-frame acceleration from the orientation, integrated twice
within the rep with zero velocity and displacement at its start and end) and the rep's
timing. Its coefficients are data (``one_sensor_model.json``), fitted on simulator
training sessions by ``benchmarks/fit_one_sensor.py``.

A reference recording of the user's own good (neutral-spine) hinges personalises it: the
same estimate on those reps should come out at the small flexion good hinges have; the
difference is the user's offset, removed from every rep.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from .reps import RepSpan
from .result import ESTIMATED, RepResult
from .tracks import SegmentTrack

MODEL_PATH = Path(__file__).with_name("one_sensor_model.json")
GRAVITY_M_S2 = 9.80665


@dataclass(frozen=True)
class OneSensorModel:
    """Linear model: flexion_deg = intercept + Σ coefficient · feature (features by name).

    ``neutral_flexion_deg`` is the typical true peak flexion of good hinges in the
    training data, what a personal reference's reps are corrected towards;
    ``max_reference_offset_deg`` bounds that correction. ``description`` says how the
    model was fitted (printed in the analysis calibration summary).
    """

    features: tuple[str, ...]
    coefficients: tuple[float, ...]
    intercept_deg: float
    neutral_flexion_deg: float
    max_reference_offset_deg: float
    description: dict

    def predict(self, features: dict[str, float]) -> float:
        return self.intercept_deg + sum(
            c * features[name] for name, c in zip(self.features, self.coefficients)
        )


@dataclass(frozen=True)
class ReferenceCorrection:
    """Personal offset (deg) subtracted from the estimate, learned from reference reps."""

    offset_deg: float
    reps_used: int

    def as_dict(self) -> dict:
        return {"offset_deg": round(self.offset_deg, 2), "reps_used": self.reps_used}


@lru_cache(maxsize=1)
def load_model(path: str | None = None) -> OneSensorModel:
    """The model stored with the package (or at ``path``)."""
    data = json.loads(Path(path or MODEL_PATH).read_text(encoding="utf-8"))
    return OneSensorModel(
        features=tuple(data["features"]),
        coefficients=tuple(float(c) for c in data["coefficients"]),
        intercept_deg=float(data["intercept_deg"]),
        neutral_flexion_deg=float(data["neutral_flexion_deg"]),
        max_reference_offset_deg=float(data["max_reference_offset_deg"]),
        description=data.get("description", {}),
    )


def sacrum_travel_m(
    acc_world_g: np.ndarray, forward_world: np.ndarray, span: RepSpan, rate_hz: float
) -> tuple[np.ndarray, np.ndarray]:
    """Forward and upward displacement (m) of the sacrum through a rep, from its start.

    The world acceleration is projected on the direction the pelvis faced at the rep's
    start (forward) and on the vertical, integrated to velocity, detrended so the velocity
    is zero at both ends (the body is at rest there), integrated again and detrended so the
    displacement is zero at both ends (the body returns where it started).
    """
    within = slice(span.start_index, span.end_index + 1)
    heading = forward_world[span.start_index]
    acc_m_s2 = acc_world_g[within] * GRAVITY_M_S2
    forward = acc_m_s2[:, :2] @ heading
    up = acc_m_s2[:, 2]
    return _anchored_double_integral(forward, rate_hz), _anchored_double_integral(up, rate_hz)


def _anchored_double_integral(acc_m_s2: np.ndarray, rate_hz: float) -> np.ndarray:
    """Displacement from acceleration with zero velocity and displacement at both ends."""
    dt_s = 1.0 / rate_hz
    velocity = np.concatenate([[0.0], np.cumsum(0.5 * (acc_m_s2[1:] + acc_m_s2[:-1])) * dt_s])
    velocity -= np.linspace(0.0, velocity[-1], len(velocity))
    position = np.concatenate([[0.0], np.cumsum(0.5 * (velocity[1:] + velocity[:-1])) * dt_s])
    position -= np.linspace(0.0, position[-1], len(position))
    return position


def rep_features(rep: RepResult, span: RepSpan, pelvis: SegmentTrack) -> dict[str, float]:
    """What the pelvis sensor saw in one rep, as the model's named features.

    ``tilt_deg``: peak pelvic tilt; ``back_cm``/``down_cm``: the sacrum's largest backward
    and downward travel; ``back_per_tilt_cm_per_10deg``: backward travel per 10° of tilt;
    ``eccentric_s``/``concentric_s``: the rep's phases.
    """
    forward_m, up_m = sacrum_travel_m(
        pelvis.world_acceleration_g(), pelvis.forward_world(), span, pelvis.stream.rate_hz
    )
    back_cm = 100.0 * max(0.0, -float(forward_m.min()))
    down_cm = 100.0 * max(0.0, -float(up_m.min()))
    tilt = max(rep.pelvis_tilt_deg, 1.0)
    return {
        "tilt_deg": rep.pelvis_tilt_deg,
        "back_cm": back_cm,
        "down_cm": down_cm,
        "back_per_tilt_cm_per_10deg": 10.0 * back_cm / tilt,
        "down_per_tilt_cm_per_10deg": 10.0 * down_cm / tilt,
        "eccentric_s": rep.eccentric_s,
        "concentric_s": rep.concentric_s,
    }


def estimate_reps(
    reps: list[RepResult],
    spans: list[RepSpan],
    pelvis: SegmentTrack,
    correction: ReferenceCorrection | None,
    model: OneSensorModel | None = None,
) -> list[RepResult]:
    """Copies of ``reps`` with estimated lumbar flexion, trunk inclination and hinge ratio."""
    model = model or load_model()
    offset_deg = correction.offset_deg if correction is not None else 0.0
    out = []
    for rep, span in zip(reps, spans):
        flexion_deg = model.predict(rep_features(rep, span, pelvis)) - offset_deg
        trunk_deg = rep.pelvis_tilt_deg + flexion_deg
        out.append(
            replace(
                rep,
                lumbar_flexion_deg=round(flexion_deg, 2),
                trunk_inclination_deg=round(trunk_deg, 2),
                lumbar_flexion_source=ESTIMATED,
                lockout_extension_deg=None,
                hinge_ratio=round(rep.pelvis_tilt_deg / trunk_deg, 3) if trunk_deg > 1.0 else None,
            )
        )
    return out


def fit_reference(
    reps: list[RepResult], spans: list[RepSpan], pelvis: SegmentTrack, model: OneSensorModel | None = None
) -> ReferenceCorrection:
    """The offset that brings the estimate on the user's good reps to a neutral value.

    The median over reps resists a stray rep; the offset is bounded so a reference that
    was not what it should be cannot swing the estimate arbitrarily.
    """
    model = model or load_model()
    estimates = [model.predict(rep_features(rep, span, pelvis)) for rep, span in zip(reps, spans)]
    offset = float(np.median(estimates)) - model.neutral_flexion_deg
    bound = model.max_reference_offset_deg
    return ReferenceCorrection(offset_deg=float(np.clip(offset, -bound, bound)), reps_used=len(estimates))
