"""Step 7: flags and the plain-words reason behind each.

``rounded``: peak lumbar flexion above the limit. ``overextended``: lumbar extension at
lockout above the limit. ``gap``: the rep overlaps a data gap too long to bridge; such a
rep is reported but not judged, because its numbers may be wrong. ``saturated``: a
sensor sat at the end of its measuring range during the rep; likewise not judged.
``accelerometer_only``: one pelvis sensor without gyroscope measures the hip hinge but
gives nothing to estimate the lower back from; the rep is counted, not judged. Each reason is one
sentence a patient understands, with the number that triggered it and the limit; in
one-sensor mode the number is called an estimate.
"""

from __future__ import annotations

from dataclasses import replace

from ..settings import Thresholds
from .result import ACCELEROMETER_ONLY, ESTIMATED, GAP, NOT_JUDGED_FLAGS, OVEREXTENDED, ROUNDED, SATURATED, RepResult


def judge_rep(
    rep: RepResult,
    thresholds: Thresholds,
    gaps_s: list[tuple[float, float]],
    saturated_s: list[tuple[float, float, str]] = (),
) -> RepResult:
    """A copy of ``rep`` with its flags and reasons filled in.

    ``saturated_s``: (start, end, which sensor part) where a sensor was at full scale.
    """
    flags: list[str] = []
    reasons: list[str] = []
    lost_s = overlapping_gap_s(rep.start_s, rep.end_s, gaps_s)
    if lost_s > 0.0:
        flags.append(GAP)
        reasons.append(gap_reason(lost_s))
    clipped = [what for a, b, what in saturated_s if a < rep.end_s and b > rep.start_s]
    if clipped:
        flags.append(SATURATED)
        reasons.append(saturated_reason(clipped[0]))
    if flags:
        return replace(rep, flags=flags, reasons=reasons)
    estimated = rep.lumbar_flexion_source == ESTIMATED
    if rep.lumbar_flexion_deg is not None and rep.lumbar_flexion_deg > thresholds.max_lumbar_flexion_deg:
        flags.append(ROUNDED)
        reasons.append(rounded_reason(rep.lumbar_flexion_deg, thresholds.max_lumbar_flexion_deg, estimated))
    if (
        rep.lockout_extension_deg is not None
        and rep.lockout_extension_deg > thresholds.max_lockout_extension_deg
    ):
        flags.append(OVEREXTENDED)
        reasons.append(
            overextended_reason(rep.lockout_extension_deg, thresholds.max_lockout_extension_deg)
        )
    return replace(rep, flags=flags, reasons=reasons)


def not_judged_without_gyroscope(rep: RepResult) -> RepResult:
    """``rep`` (already judged) flagged ``accelerometer_only``, unless it is already not
    judged for another reason: one accelerometer-only pelvis sensor cannot judge the back."""
    if set(rep.flags) & set(NOT_JUDGED_FLAGS):
        return rep
    return replace(rep, flags=[*rep.flags, ACCELEROMETER_ONLY], reasons=[*rep.reasons, accelerometer_only_reason()])


def accelerometer_only_reason() -> str:
    return (
        "The pelvis sensor measures acceleration only, so the hip hinge was measured but "
        "the lower back could not be judged."
    )


def overlapping_gap_s(start_s: float, end_s: float, gaps_s: list[tuple[float, float]]) -> float:
    """Total time (s) of the listed gaps that falls within [start_s, end_s]."""
    return sum(max(0.0, min(end_s, b) - max(start_s, a)) for a, b in gaps_s)


def rounded_reason(flexion_deg: float, limit_deg: float, estimated: bool) -> str:
    if estimated:
        return (
            f"Your lower back probably rounded, by an estimated {_beyond(flexion_deg, limit_deg)}° "
            f"(limit {limit_deg:.0f}°): keep your back long and push the hips back."
        )
    return (
        f"Your lower back rounded by {_beyond(flexion_deg, limit_deg)}° (limit {limit_deg:.0f}°): "
        "keep your back long and push the hips back."
    )


def overextended_reason(extension_deg: float, limit_deg: float) -> str:
    return (
        f"Your lower back arched by {_beyond(extension_deg, limit_deg)}° at the top of the rep "
        f"(limit {limit_deg:.0f}°): finish by squeezing your buttocks, ribs down, without arching."
    )


def _beyond(value_deg: float, limit_deg: float) -> str:
    """``value_deg`` for a sentence that says it is over ``limit_deg``: whole degrees, or
    one decimal where whole degrees would read as the limit itself ("10.4°", not "10°")."""
    whole = f"{value_deg:.0f}"
    return f"{value_deg:.1f}" if float(whole) <= limit_deg else whole


def gap_reason(lost_s: float) -> str:
    return (
        f"The sensor signal dropped out for {lost_s:.1f} s during this rep, "
        "so it was not judged."
    )


def saturated_reason(what: str) -> str:
    return (
        f"The sensor's {what} reached the end of its measuring range during this rep, "
        "so its numbers are not reliable and it was not judged."
    )
