"""Step 8: the one-sensor estimate of lumbar flexion.

A pelvis sensor cannot see the lumbar spine, but balance couples the two: for the same
pelvic tilt, a trunk that leans further forward (a rounded back) moves the body's mass
forward, so the hips travel further back to stay over the feet; and a back that rounds
leans the trunk early in the descent, so the hips go back early, before the pelvis has
tilted far. The estimate is a small linear model of peak lumbar flexion on what the
pelvis does in the rep: its peak tilt, the sacrum's backward and downward travel at the
bottom and its backward travel a quarter and half way down (world-frame acceleration from
the orientation, integrated twice within the rep with zero velocity and displacement at
its start and end), and the rep's timing; swings (ballistic reps) have their own
coefficients, as the swinging bell moves the balance differently. Its coefficients are data (``one_sensor_model.json``), fitted on simulator
training sessions by ``benchmarks/fit_one_sensor.py``.

A reference recording of the user's own good (neutral-spine) hinges personalises it: the
same estimate on those reps should come out at the small flexion good hinges have; the
difference, believed as far as people differed in training, is the user's offset,
removed from every rep.
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
class LinearModel:
    """flexion_deg = intercept + Σ coefficient · feature (features by name)."""

    features: tuple[str, ...]
    coefficients: tuple[float, ...]
    intercept_deg: float

    def predict(self, features: dict[str, float]) -> float:
        return self.intercept_deg + sum(c * features[n] for n, c in zip(self.features, self.coefficients))


@dataclass(frozen=True)
class OneSensorModel:
    """Two linear models: one for ballistic reps (shorter than ``ballistic_below_s``, a
    swing: the arms and bell swing behind, so balance moves the hips differently), one
    for controlled reps (deadlifts, hinges).

    ``neutral_flexion_deg`` is the typical true peak flexion of good hinges in the
    training data, what a personal reference's reps are corrected towards;
    ``max_reference_offset_deg`` bounds that correction. ``person_offset_sd_deg`` is how
    much the estimate's bias differed between people in training, and
    ``good_rep_residual_sd_deg`` its scatter from rep to rep on good hinges; together they
    set how far a reference of a few reps is believed. ``description`` says how the
    model was fitted (printed in the analysis calibration summary).
    """

    controlled: LinearModel
    ballistic: LinearModel
    ballistic_below_s: float
    neutral_flexion_deg: float
    max_reference_offset_deg: float
    person_offset_sd_deg: float
    good_rep_residual_sd_deg: float
    description: dict

    def predict(self, features: dict[str, float]) -> float:
        fast = features["eccentric_s"] + features["concentric_s"] < self.ballistic_below_s
        return (self.ballistic if fast else self.controlled).predict(features)


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

    def linear(part: dict) -> LinearModel:
        return LinearModel(
            features=tuple(part["features"]),
            coefficients=tuple(float(c) for c in part["coefficients"]),
            intercept_deg=float(part["intercept_deg"]),
        )

    return OneSensorModel(
        controlled=linear(data["controlled"]),
        ballistic=linear(data["ballistic"]),
        ballistic_below_s=float(data["ballistic_below_s"]),
        neutral_flexion_deg=float(data["neutral_flexion_deg"]),
        max_reference_offset_deg=float(data["max_reference_offset_deg"]),
        person_offset_sd_deg=float(data["person_offset_sd_deg"]),
        good_rep_residual_sd_deg=float(data["good_rep_residual_sd_deg"]),
        description=data.get("description", {}),
    )


def sacrum_travel_m(
    acc_world_g: np.ndarray, forward_world: np.ndarray, span: RepSpan, rate_hz: float
) -> tuple[np.ndarray, np.ndarray]:
    """Forward and upward displacement (m) of the sacrum through a rep, from its start.

    ``acc_world_g`` and ``forward_world`` cover the rep only (start to end inclusive).

    The world acceleration is projected on the direction the pelvis faced at the rep's
    start (forward) and on the vertical, integrated to velocity, detrended so the velocity
    is zero at both ends (the body is at rest there), integrated again and detrended so the
    displacement is zero at both ends (the body returns where it started).
    """
    heading = forward_world[0]
    acc_m_s2 = acc_world_g * GRAVITY_M_S2
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

    ``tilt_deg``: peak pelvic tilt; ``back_cm``/``down_cm``: the sacrum's backward and
    downward travel at the bottom; ``early_back_cm``/``half_back_cm``: its backward travel
    when the pelvis had tilted a quarter and half of the way (a rounding back leans the
    trunk early, so balance sends the hips back early); ``eccentric_s``/``concentric_s``:
    the rep's phases.
    """
    forward_m, up_m = sacrum_travel_m(
        pelvis.world_acceleration_g(span), pelvis.forward_world(span), span, pelvis.stream.rate_hz
    )
    tilt = pelvis.angles.sagittal_deg[span.start_index : span.bottom_index + 1]
    bottom = len(tilt) - 1
    early = int(np.argmax(tilt >= 0.25 * tilt[bottom]))
    half = int(np.argmax(tilt >= 0.5 * tilt[bottom]))
    return {
        "tilt_deg": rep.pelvis_tilt_deg,
        "back_cm": -100.0 * float(forward_m[bottom]),
        "down_cm": -100.0 * float(up_m[bottom]),
        "early_back_cm": -100.0 * float(forward_m[early]),
        "half_back_cm": -100.0 * float(forward_m[half]),
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
    """The offset that brings the estimate on the user's good reps towards a neutral value.

    The reps' mean estimate above the neutral value is the user's apparent offset, but a
    few reps scatter: it is shrunk by how much people really differed in training
    compared with that scatter (``τ² / (τ² + σ²/n)``), and bounded, so a short or odd
    reference cannot swing the estimate.
    """
    model = model or load_model()
    estimates = [model.predict(rep_features(rep, span, pelvis)) for rep, span in zip(reps, spans)]
    offset = float(np.mean(estimates)) - model.neutral_flexion_deg
    between = model.person_offset_sd_deg**2
    sampling = model.good_rep_residual_sd_deg**2 / len(estimates)
    shrink = between / (between + sampling) if between + sampling > 0 else 0.0
    bound = model.max_reference_offset_deg
    return ReferenceCorrection(
        offset_deg=float(np.clip(shrink * offset, -bound, bound)), reps_used=len(estimates)
    )
