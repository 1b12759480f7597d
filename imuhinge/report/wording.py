"""Plain words shared by the table, the plot and the HTML report.

One place decides how a flag, a mode, a duration or a missing number reads, so the
terminal, the figure and the report never disagree.
"""

from __future__ import annotations

import math
from pathlib import PurePath

from ..pipeline.result import (
    ACCELEROMETER_ONLY,
    GAP,
    NOT_JUDGED_FLAGS,
    ONE_SENSOR,
    OVEREXTENDED,
    ROUNDED,
    SATURATED,
    Analysis,
)

MISSING = "–"

FLAG_WORDS = {
    ROUNDED: "rounded",
    OVEREXTENDED: "arched",
    GAP: "gap",
    SATURATED: "saturated",
    ACCELEROMETER_ONLY: "not judged",
    "side_bend": "side bend",
    "rotation": "twisted",
    "shallow": "shallow",
    "short_of_neutral": "hips short",
    "no_lockout": "no lockout",
    "depth_varies": "depth varies",
    "unsteady": "unsteady",
}
"""Short word for each flag, as drawn above a flagged rep in the plot."""

_SUMMARY_ORDER = (ROUNDED, OVEREXTENDED, GAP, SATURATED, ACCELEROMETER_ONLY)
NOT_JUDGED_WORDS = {
    GAP: "not judged (data gap)",
    SATURATED: "not judged (sensor saturated)",
    ACCELEROMETER_ONLY: "not judged (accelerometer only)",
}
"""How a summary names the reps carrying each not-judged flag."""


def flag_word(flag: str) -> str:
    """The short word for ``flag`` (unknown flags read as themselves, underscores as spaces)."""
    return FLAG_WORDS.get(flag, flag.replace("_", " "))


def is_not_judged(rep) -> bool:
    """True when a rep is flagged only for untrustworthy data (a gap, saturation): not judged."""
    return bool(rep.flags) and set(rep.flags) <= set(NOT_JUDGED_FLAGS)


def arching_measured(analysis: Analysis) -> bool:
    """True when lockout extension (arching) was measured for at least one rep.

    It needs the upper-back sensor, so a one-sensor session never has it.
    """
    return any(rep.lockout_extension_deg is not None for rep in analysis.reps)


def flagged_count(analysis: Analysis) -> int:
    """Number of reps carrying a judgement (a flag other than the not-judged ones)."""
    return sum(1 for rep in analysis.reps if rep.flags and not is_not_judged(rep))


def not_judged_count(analysis: Analysis) -> int:
    """Number of reps that were reported but not judged."""
    return sum(1 for rep in analysis.reps if is_not_judged(rep))


def lower_back_judged(analysis: Analysis) -> bool:
    """False when nothing about the lower back can be said: one pelvis sensor that has
    no gyroscope (the one-sensor estimate needs its orientation)."""
    return not (analysis.mode == ONE_SENSOR and not analysis.sensors.get("pelvis", {}).get("gyroscope", True))


def without_gyroscope(analysis: Analysis) -> list[str]:
    """Labels of the sensors that had no gyroscope (accelerometer only)."""
    return [label for label, info in analysis.sensors.items() if not info.get("gyroscope", True)]


def summary_line(analysis: Analysis) -> str:
    """One line of counts, e.g. ``12 reps: 9 clean, 2 rounded, 1 overextended``.

    Rounded and overextended are always named (the two judgements every session gets),
    except overextended when arching could not be measured (one sensor); other flags only
    when they occur. A rep may carry several flags, so the counts after "clean" can add
    up to more than the flagged reps.
    """
    counts = analysis.summary()
    reps = counts["reps"]
    if analysis.exercise and analysis.exercise.get("kind") == "hold":
        holds = analysis.holds or []
        unsteady = sum(1 for hold in holds if hold.flags)
        if not holds:
            return "No hold found"
        return f"{len(holds)} hold{'s' if len(holds) != 1 else ''}: " + (
            f"{unsteady} unsteady" if unsteady else "steady"
        )
    if reps == 0:
        return "No reps found"
    parts = [f"{counts['clean']} clean"]
    if _checks(analysis, ROUNDED) or counts[ROUNDED]:
        parts.append(f"{counts[ROUNDED]} rounded")
    if (arching_measured(analysis) and _checks(analysis, OVEREXTENDED)) or counts[OVEREXTENDED]:
        parts.append(f"{counts[OVEREXTENDED]} overextended")
    others = [flag for flag in counts if flag not in ("reps", "clean", ROUNDED, OVEREXTENDED)]
    for flag in sorted(others, key=lambda f: (_SUMMARY_ORDER + (f,)).index(f)):
        label = NOT_JUDGED_WORDS.get(flag, flag.replace("_", " "))
        parts.append(f"{counts[flag]} {label}")
    return f"{reps} rep{'s' if reps != 1 else ''}: " + ", ".join(parts)


FLAG_PLAIN = {
    ROUNDED: "the lower back rounded",
    OVEREXTENDED: "the lower back arched at the top",
    "side_bend": "bending to the side",
    "rotation": "twisting",
    "short_of_neutral": "the hips stopping short of straight",
    "no_lockout": "the hips not locking out",
    "depth_varies": "a depth unlike the other reps",
    "unsteady": "the trunk moving during the hold",
}
"""What each check looks for, in plain words (for "which checks need the second sensor")."""


def exercise_line(analysis: Analysis) -> str | None:
    """The drill and how the session did against its target, e.g.
    ``Kettlebell swing · Reps 12 / 15``; a hold drill gives the hold time against its
    target. None when no drill was named."""
    record = analysis.exercise
    if not record:
        return None
    if record.get("kind") == "hold":
        held = sum(hold.duration_s for hold in analysis.holds or ())
        target = record.get("target_hold_s") or 0.0
        longest = max((hold.duration_s for hold in analysis.holds or ()), default=0.0)
        return (
            f"{record['title']} · held {held:.0f} s / target {target:g} s"
            + (f" (longest {longest:.0f} s)" if len(analysis.holds or ()) > 1 else "")
        )
    target = record.get("target_reps")
    return f"{record['title']} · {reps_against_target(analysis.reps, target)}"


def drill_limits(analysis: Analysis) -> list[tuple[str, str]]:
    """The named drill's own checks that were made, besides rounding and arching:
    (short word, "what it measures above N") pairs, for the limits the report prints."""
    record = analysis.exercise
    if not record:
        return []
    from ..exercises.profile import METRICS, load_profiles

    profile = load_profiles().get(record.get("name", ""))
    if profile is None:
        return []
    made = set(record.get("checks_measured", [])) | set(record.get("checks_estimated", []))
    limits = []
    for check in profile.checks:
        if check.flag in made and check.flag not in (ROUNDED, OVEREXTENDED):
            side = f"above {check.above:g}" if check.above is not None else f"below {check.below:g}"
            unit = "%" if check.metric.endswith("_pct") else "°" if check.metric.endswith("_deg") else ""
            what = METRICS[check.metric].replace(" (°)", "").replace(" (%)", "").replace("(°, ", "(")
            limits.append((flag_word(check.flag), f"{what} {side}{unit}"))
    return limits


SET_PAUSE_S = 15.0
"""A pause of at least this long (s) between one rep's end and the next one's start
separates two sets; a drill's target is reps per set."""


def rep_sets(reps) -> list[int]:
    """How many reps each set had, in order: reps grouped by pauses of ``SET_PAUSE_S``."""
    sets: list[int] = []
    previous_end_s = None
    for rep in reps:
        if previous_end_s is None or rep.start_s - previous_end_s >= SET_PAUSE_S:
            sets.append(0)
        sets[-1] += 1
        previous_end_s = rep.end_s
    return sets


def reps_against_target(reps, target: int | None) -> str:
    """``Reps 12 / 15`` for one set; ``2 sets: 15 + 13 reps (target 15 a set)`` for more."""
    sets = rep_sets(reps)
    if len(sets) <= 1:
        return f"Reps {len(reps)}" + (f" / {target}" if target else "")
    counts = " + ".join(str(n) for n in sets)
    return f"{len(sets)} sets: {counts} reps" + (f" (target {target} a set)" if target else "")


def missing_checks_sentence(analysis: Analysis) -> str | None:
    """One sentence naming the drill's checks the worn sensors cannot make and what they
    need (the upper-back sensor, a gyroscope), or None when every check was made."""
    record = analysis.exercise
    if not record or not record.get("checks_not_measurable"):
        return None
    needs = record.get("checks_need", {})
    thorax = [f for f in record["checks_not_measurable"] if needs.get(f) == "thorax"]
    others = [f for f in record["checks_not_measurable"] if needs.get(f) != "thorax"]
    parts = []
    if thorax:
        parts.append(
            f"{_joined([FLAG_PLAIN.get(f, flag_word(f)) for f in thorax])} (needs the second "
            "sensor, on the upper back)"
        )
    if others:
        parts.append(
            f"{_joined([FLAG_PLAIN.get(f, flag_word(f)) for f in others])} (needs a pelvis sensor "
            "with a gyroscope)"
        )
    return "Not checked: " + "; ".join(parts) + "."


def _joined(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _checks(analysis: Analysis, flag: str) -> bool:
    """True when the session is judged for ``flag`` (every session without a named drill
    is judged for rounding and arching; a drill only for its checks)."""
    record = analysis.exercise
    if not record:
        return True
    return flag in record.get("checks_measured", ()) or flag in record.get("checks_estimated", ())


def mode_words(mode: str | Analysis) -> str:
    """What the sensors were, and so what was measured, in a few words.

    Given the whole ``Analysis``, sensors without a gyroscope are named too.
    """
    analysis = mode if isinstance(mode, Analysis) else None
    mode = analysis.mode if analysis is not None else mode
    no_gyro = without_gyroscope(analysis) if analysis is not None else []
    if mode == ONE_SENSOR and no_gyro:
        return "one sensor (pelvis, accelerometer only): hip hinge measured, lower back not judged"
    if mode == ONE_SENSOR:
        return "one sensor (pelvis): lumbar flexion estimated"
    words = "two sensors (pelvis and upper back): lumbar flexion measured"
    if no_gyro:
        words += f", {' and '.join(no_gyro)} accelerometer only"
    return words


def mode_short(mode: str | Analysis) -> str:
    """The mode as a short label for titles (given the ``Analysis``, with "accelerometer
    only" named)."""
    analysis = mode if isinstance(mode, Analysis) else None
    mode = analysis.mode if analysis is not None else mode
    if analysis is not None and not lower_back_judged(analysis):
        label = "one sensor, accelerometer only"
    else:
        label = "one sensor, lumbar flexion estimated" if mode == ONE_SENSOR else "two sensors"
        if analysis is not None and without_gyroscope(analysis):
            label += ", accelerometer only"
    return label


def zero_words(analysis: Analysis) -> str:
    """What the angles are measured from: the drill's start posture (standing unless the
    drill starts lying on the back or kneeling), or (no still window at all) the most
    upright posture reached."""
    if analysis.calibration.get("method") == "fallback-mean-gravity":
        return "the most upright posture reached"
    posture = (analysis.exercise or {}).get("start_posture", "standing")
    return {"lying": "lying on your back", "kneeling": "kneeling"}.get(posture, "standing")


def duration_words(duration_s: float) -> str:
    """A duration as people say it: ``48 s``, ``5 min 12 s``, ``1 h 02 min``."""
    if not _finite(duration_s) or duration_s < 0:
        return MISSING
    seconds = int(round(duration_s))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def display_name(source: str) -> str:
    """The file name part of a source path, for titles (the full path goes in details)."""
    name = PurePath(source).name if source else ""
    return name or source or "recording"


def fmt_number(value: float | None, decimals: int = 1) -> str:
    """A number with fixed decimals, or a dash when it is missing or not finite."""
    if not _finite(value):
        return MISSING
    return f"{value:.{decimals}f}"


def _finite(value) -> bool:
    if value is None or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
