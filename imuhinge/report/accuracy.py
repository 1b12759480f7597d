"""How accurate the analysis is, as measured against the simulator's ground truth.

The HTML report quotes these figures in its Methods section. They are measured, never
assumed: a benchmark script analyses simulated sessions, scores the results against
their truth, and writes ``imuhinge/report/accuracy.json``. When that file is absent the
report says the accuracy has not been measured for this build.

Schema ``imuhinge.accuracy/1`` (every field optional except ``schema``; unknown fields
are ignored, so the benchmark can grow)::

    {
      "schema": "imuhinge.accuracy/1",
      "imuhinge_version": "0.1.0",        # the build that was measured
      "measured_on": "2025-05-01, simulator seeds 1-60, all exercises",  # free text
      "sessions": 60,                     # simulated sessions scored
      "reps": 900,                        # true reps in them
      "two_sensor": {                     # pelvis + thorax sensors
        "pelvis_tilt_rmse_deg": 1.2,      # RMS error of per-rep peak pelvic tilt
        "trunk_inclination_rmse_deg": 1.4,
        "lumbar_flexion_rmse_deg": 1.9,   # RMS error of per-rep peak lumbar flexion
        "lockout_extension_rmse_deg": 1.5,
        "rounded_f1": 0.95,               # F1 score of the "rounded" flag, 0-1
        "rounded_sensitivity": 0.96,      # share of truly rounded reps flagged, 0-1
        "rounded_specificity": 0.97,      # share of good reps not flagged, 0-1
        "overextended_f1": 0.9,
        "reps_found_pct": 99.3,           # true reps matched by a detected rep, %
        "extra_reps_pct": 0.5             # detected reps with no true rep, % of detected
      },
      "one_sensor": { ... the same keys, lumbar flexion being estimated ... }
    }
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

ACCURACY_SCHEMA = "imuhinge.accuracy/1"
ACCURACY_PATH = Path(__file__).with_name("accuracy.json")

MODE_KEYS = ("two_sensor", "one_sensor")

METRIC_LABELS: dict[str, tuple[str, str]] = {
    "pelvis_tilt_rmse_deg": ("Peak pelvic tilt, RMS error", "°"),
    "trunk_inclination_rmse_deg": ("Peak trunk inclination, RMS error", "°"),
    "lumbar_flexion_rmse_deg": ("Peak lumbar flexion, RMS error", "°"),
    "lockout_extension_rmse_deg": ("Lumbar extension at lockout, RMS error", "°"),
    "rounded_f1": ("Rounded reps flagged correctly (F1 score, 1 = perfect)", ""),
    "rounded_sensitivity": ("Rounded reps that were flagged", "share"),
    "rounded_specificity": ("Good reps that were not flagged", "share"),
    "overextended_f1": ("Arched reps flagged correctly (F1 score, 1 = perfect)", ""),
    "reps_found_pct": ("Reps found", "%"),
    "extra_reps_pct": ("Reps counted that were not there", "%"),
}
"""Plain-words label and unit of each known metric, in the order the report lists them."""


@dataclass
class Accuracy:
    """Measured accuracy: per mode, metric name -> value (see the module docstring)."""

    measured_on: str = ""
    imuhinge_version: str = ""
    sessions: int | None = None
    reps: int | None = None
    by_mode: dict[str, dict[str, float]] = field(default_factory=dict)


def load_accuracy(path: str | Path = ACCURACY_PATH) -> Accuracy | None:
    """The measured accuracy, or None when no usable file exists at ``path``.

    A file that cannot be read or is not of this schema counts as not measured: the
    report must never quote numbers it cannot vouch for.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != ACCURACY_SCHEMA:
        return None
    by_mode = {}
    for mode in MODE_KEYS:
        metrics = data.get(mode)
        if isinstance(metrics, dict):
            clean = {str(k): float(v) for k, v in metrics.items() if _is_number(v)}
            if clean:
                by_mode[mode] = clean
    if not by_mode:
        return None
    return Accuracy(
        measured_on=str(data.get("measured_on", "")),
        imuhinge_version=str(data.get("imuhinge_version", "")),
        sessions=_int_or_none(data.get("sessions")),
        reps=_int_or_none(data.get("reps")),
        by_mode=by_mode,
    )


def format_metric(name: str, value: float) -> str:
    """A metric's value with its unit, as the report prints it."""
    unit = METRIC_LABELS.get(name, ("", ""))[1]
    if unit == "°" or name.endswith("_deg"):
        return f"{value:.1f}°"
    if unit == "%" or name.endswith("_pct"):
        return f"{value:.1f}%"
    if unit == "share":
        return f"{100.0 * value:.0f}%"
    return f"{value:.2f}"


def metric_label(name: str) -> str:
    """A metric's plain-words label (unknown metrics read as their key)."""
    return METRIC_LABELS.get(name, (name.replace("_", " "), ""))[0]


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _int_or_none(value) -> int | None:
    return int(value) if _is_number(value) else None
