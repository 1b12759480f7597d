"""How the progression's numbers read, shared by the terminal table, the plot and the HTML."""

from __future__ import annotations

from ..report.wording import MISSING
from .numbers import SessionNumbers
from .rule import DrillProgress

ESTIMATED_MARK = "est."
ESTIMATED_NOTE = "est.: lumbar flexion estimated from the pelvis sensor alone (one sensor worn)."
ARROW = " → "


def share_words(share: float | None) -> str:
    return MISSING if share is None else f"{share:.0%}"


def degrees_words(value: float | None, estimated: bool = False) -> str:
    if value is None:
        return MISSING
    return f"{value:.0f}°" + (f" {ESTIMATED_MARK}" if estimated else "")


def seconds_words(value: float | None) -> str:
    return MISSING if value is None else f"{value:.0f} s"


def done_words(numbers: SessionNumbers) -> str:
    """Reps (or hold time) against the target, e.g. ``12 / 15`` or ``22 s / 20 s``."""
    if numbers.kind == "hold":
        return f"{seconds_words(numbers.longest_steady_hold_s)} / {numbers.target_hold_s:g} s"
    return f"{numbers.reps} / {numbers.target_reps}"


def trend_words(drill: DrillProgress, attribute: str) -> str:
    """First → last session of ``attribute``, or the one value when there is one session."""
    first, last = drill.trend(attribute)
    if first is None:
        return MISSING
    if attribute == "flagged_share":
        words = share_words
    elif attribute.endswith("_s"):
        words = seconds_words
    else:
        estimated = any(n.lumbar_flexion_estimated for n in drill.numbers) and "lumbar" in attribute

        def words(value):
            return degrees_words(value, estimated)

    if len(drill.numbers) == 1:
        return words(last)
    return words(first).replace(f" {ESTIMATED_MARK}", "") + ARROW + words(last)


def drill_heading(drill: DrillProgress) -> str:
    count = len(drill.sessions)
    return f"{drill.profile.order}. {drill.profile.title} · {count} session{'s' if count != 1 else ''}"


def session_time_words(session) -> str:
    return session.started.strftime("%Y-%m-%d %H:%M")
