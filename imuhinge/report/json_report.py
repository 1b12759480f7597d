"""Contract 2: the analysis as JSON (``imuhinge analyse FILE --json OUT``).

The keys and their order follow DESIGN.md's contract 2 exactly; fields added since are
appended after them (``side_bend_deg``, ``rotation_deg``, ``hip_extension_short_deg``,
``depth_change_pct`` and ``rep_rate_per_min`` per rep; ``source``, ``duration_s``,
``warnings``, ``metadata``, ``sensors``, ``accuracy_note``, and, when a drill was named,
``exercise`` and ``holds`` at the top level; ``calibration.method``); docs/contract-additions.md describes each. Numbers are
rounded to what the sensors can resolve: angles to 0.1°, times to 0.01 s, ratios to 0.01.
A value that is missing or not finite is ``null``, so the output is always valid JSON
(no NaN).
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import Any

from ..pipeline.result import Analysis, RepResult

SCHEMA = "imuhinge.analysis/1"

ANGLE_DECIMALS = 1
TIME_DECIMALS = 2
RATIO_DECIMALS = 2
RATE_DECIMALS = 2
OTHER_DECIMALS = 4
"""Decimals for numbers whose unit the key does not say (calibration internals)."""

REP_FIELDS: tuple[tuple[str, int | None], ...] = (
    ("rep", None),
    ("start_s", TIME_DECIMALS),
    ("bottom_s", TIME_DECIMALS),
    ("end_s", TIME_DECIMALS),
    ("pelvis_tilt_deg", ANGLE_DECIMALS),
    ("trunk_inclination_deg", ANGLE_DECIMALS),
    ("lumbar_flexion_deg", ANGLE_DECIMALS),
    ("lumbar_flexion_source", None),
    ("lockout_extension_deg", ANGLE_DECIMALS),
    ("hinge_ratio", RATIO_DECIMALS),
    ("eccentric_s", TIME_DECIMALS),
    ("concentric_s", TIME_DECIMALS),
    ("flags", None),
    ("reasons", None),
    ("side_bend_deg", ANGLE_DECIMALS),
    ("rotation_deg", ANGLE_DECIMALS),
)
"""Per-rep keys in output order (contract 2, then added fields) and their decimals."""
EXERCISE_REP_FIELDS: tuple[tuple[str, int | None], ...] = (
    ("hip_extension_short_deg", ANGLE_DECIMALS),
    ("depth_change_pct", ANGLE_DECIMALS),
    ("rep_rate_per_min", ANGLE_DECIMALS),
)
"""Per-rep keys appended when the analysis names its drill (``Analysis.exercise``)."""


def analysis_to_dict(analysis: Analysis) -> dict[str, Any]:
    """The analysis as a JSON-ready dict (contract 2, plus the added top-level fields)."""
    data = {
        "schema": SCHEMA,
        "mode": analysis.mode,
        "thresholds": json_safe(analysis.thresholds.as_dict()),
        "calibration": json_safe(analysis.calibration),
        "reps": [rep_to_dict(rep, analysis.exercise is not None) for rep in analysis.reps],
        "summary": {str(key): int(value) for key, value in analysis.summary().items()},
        "source": str(analysis.source),
        "duration_s": _round(analysis.duration_s, TIME_DECIMALS),
        "warnings": [str(warning) for warning in analysis.warnings],
        "metadata": {str(key): str(value) for key, value in analysis.metadata.items()},
        "sensors": {
            str(label): {
                "gyroscope": bool(info.get("gyroscope", True)),
                "calibration": str(info.get("calibration", "")),
            }
            for label, info in analysis.sensors.items()
        },
        "accuracy_note": None if analysis.accuracy_note is None else str(analysis.accuracy_note),
    }
    if analysis.exercise is not None:
        data["exercise"] = json_safe(analysis.exercise)
        data["holds"] = None if analysis.holds is None else [json_safe(hold.as_dict()) for hold in analysis.holds]
    return data


def rep_to_dict(rep: RepResult, exercise: bool = False) -> dict[str, Any]:
    """One rep's contract-2 object, keys in contract order (``exercise``: with the
    drill's metrics appended)."""
    out: dict[str, Any] = {}
    for name, decimals in REP_FIELDS + (EXERCISE_REP_FIELDS if exercise else ()):
        value = getattr(rep, name)
        if name == "rep":
            out[name] = int(value)
        elif name in ("flags", "reasons"):
            out[name] = [str(item) for item in value]
        elif decimals is None:
            out[name] = str(value)
        else:
            out[name] = _round(value, decimals)
    return out


def analysis_to_json(analysis: Analysis) -> str:
    """The analysis as JSON text: indented, UTF-8 kept, lists of numbers on one line."""
    text = json.dumps(analysis_to_dict(analysis), indent=2, ensure_ascii=False, allow_nan=False)
    return _NUMBER_LIST.sub(_join_numbers, text) + "\n"


_NUMBER = r"(?:-?\d[\d.eE+-]*|null)"
_NUMBER_LIST = re.compile(rf"\[\n\s*{_NUMBER}(?:,\n\s*{_NUMBER})*\n\s*\]")
"""An indented list holding only numbers (or nulls). It must span lines, and a JSON
string cannot hold a raw newline, so this never matches inside a string."""


def _join_numbers(match: re.Match) -> str:
    return "[" + ", ".join(item.strip() for item in match.group(0)[1:-1].split(",")) + "]"


def write_json(analysis: Analysis, path: str | Path) -> None:
    """Write the analysis JSON to ``path``; ``"-"`` writes it to standard output."""
    text = analysis_to_json(analysis)
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    Path(path).write_text(text, encoding="utf-8")


def json_safe(value: Any, key: str = "") -> Any:
    """``value`` made of plain JSON types: numpy arrays and scalars converted, floats
    rounded by what their key's unit suffix says, NaN and infinity as ``None``.

    Used for the free-form parts (calibration, thresholds) whose content the pipeline owns.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v, str(k)) for k, v in value.items()}
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return json_safe(value.tolist(), key)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(item, key) for item in value]
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _round(value, _decimals_for(key))
    return str(value)


def _decimals_for(key: str) -> int:
    if key.endswith("_deg"):
        return ANGLE_DECIMALS
    if key.endswith("_dps"):
        return RATE_DECIMALS
    if key.endswith("_s") or key.endswith("_hz"):
        return TIME_DECIMALS
    if "ratio" in key:
        return RATIO_DECIMALS
    return OTHER_DECIMALS


def _round(value: Any, decimals: int) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    rounded = round(number, decimals)
    return 0.0 if rounded == 0 else rounded
