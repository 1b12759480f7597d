"""How a plan session's summary reads, shared by the terminal, the HTML page and the plot."""

from __future__ import annotations

from dataclasses import dataclass

from ..pipeline.result import NOT_JUDGED_FLAGS, OVEREXTENDED, ROUNDED
from ..report.wording import MISSING, NOT_JUDGED_WORDS, flag_word, is_not_judged, rep_sets
from .collect import ANALYSED, NOT_RECORDED, DrillOutcome, PlanSessionAnalysis, start_time

ESTIMATED_MARK = "est."
DEPTH_NOTE = (
    "Depth: the median over the reps of the pelvic tilt at the bottom of the rep, from the "
    "drill's start posture (for the bridge, how far the hips extended). Lumbar flexion: the "
    "median peak of the judged reps."
)
ESTIMATED_NOTE = "est.: lumbar flexion estimated from the pelvis sensor alone (one sensor worn)."


def header_words(session: PlanSessionAnalysis, title: bool = True) -> str:
    """``The hip-hinge progression · 2026-11-23 22:50 UTC · 9 of 11 drills recorded``
    (``title=False``: without the plan's title)."""
    parts = [session.title] if title else []
    started = start_time(session)
    if started is not None:
        parts.append(started.strftime("%Y-%m-%d %H:%M UTC"))
    parts.append(f"{session.recorded} of {session.count} drills recorded")
    analysed = len(session.analysed)
    if analysed != session.recorded:
        parts[-1] += f", {analysed} analysed"
    return " · ".join(parts)


def done_words(drill: DrillOutcome) -> str:
    """Reps found against the target (``14 / 15``), or the longest hold (``22 s / 20 s``)."""
    row = drill.row
    if row is None:
        return MISSING
    numbers = row.numbers
    if numbers.kind == "hold":
        held = MISSING if numbers.longest_hold_s is None else f"{numbers.longest_hold_s:.0f} s"
        return f"{held} / {numbers.target_hold_s:g} s"
    sets = rep_sets(drill.analysis.reps) if drill.analysis is not None else []
    done = "+".join(str(n) for n in sets) if len(sets) > 1 else str(numbers.reps)
    return f"{done} / {numbers.target_reps}"


def flagged_words(drill: DrillOutcome) -> str:
    """How many judged reps (unsteady holds) were flagged: ``3``, or a dash when there
    was nothing to judge (not analysed, or no rep or hold found)."""
    row = drill.row
    if row is None:
        return MISSING
    numbers = row.numbers
    if not (numbers.holds if numbers.kind == "hold" else numbers.reps):
        return MISSING
    return str(numbers.unsteady_holds if numbers.kind == "hold" else numbers.flagged_reps)


def flags_words(drill: DrillOutcome, separator: str = ", ") -> str:
    """Which flags, with how many reps carried each (``arched 3, hips short 2``), then the
    reps not judged (``gap 1 (not judged)``); empty when there are none."""
    row = drill.row
    if row is None:
        return ""
    parts = [f"{flag_word(flag)} {count}" for flag, count in row.numbers.flag_counts.items()]
    if drill.analysis is not None and row.not_judged_reps:
        not_judged: dict[str, int] = {}
        for rep in drill.analysis.reps:
            if is_not_judged(rep):
                not_judged[rep.flags[0]] = not_judged.get(rep.flags[0], 0) + 1
        parts += [f"{flag_word(flag)} {count} (not judged)" for flag, count in not_judged.items()]
    return separator.join(parts)


def flagged_cell(drill: DrillOutcome, one_line: bool = True) -> str:
    """The flagged count and which flags: ``4: arched 3, hips short 2``, ``0``, or a dash;
    ``one_line=False`` puts each flag on its own line, under the first."""
    flagged, flags = flagged_words(drill), flags_words(drill, "\n")
    if not flags:
        return flagged
    head = f"{flagged}: " if flagged not in ("0", MISSING) else ""
    lines = flags.split("\n")
    if one_line:
        return head + ", ".join(lines)
    return head + ("\n" + " " * len(head)).join(lines)


@dataclass(frozen=True)
class FlagGroup:
    """The reps (or holds) of a drill that carry one flag, with each one's value."""

    flag: str
    label: str
    limit: str
    items: tuple[str, ...]
    """``rep 3 18°`` per rep (``rep 28`` when the flag has no value, as a data gap)."""


METRIC_OF_FLAG = {ROUNDED: "lumbar_flexion_deg", OVEREXTENDED: "lockout_extension_deg"}
"""Where a rep's value for the back's own flags is (the drill's other checks name theirs)."""


def flag_groups(drill: DrillOutcome) -> list[FlagGroup]:
    """The flagged reps grouped by flag, in the drill's order of checks, then the reps not
    judged: so a drill's faults read as one line each (``arched (limit 10°): rep 3 18°, …``)."""
    analysis, profile = drill.analysis, drill.profile
    if analysis is None or profile is None:
        return []
    checks = {check.flag: check for check in profile.checks}
    limits = {ROUNDED: analysis.thresholds.max_lumbar_flexion_deg,
              OVEREXTENDED: analysis.thresholds.max_lockout_extension_deg}
    units = []
    if analysis.holds is not None:
        units = [(f"hold {n}", hold.flags, {"hold_sway_deg": hold.sway_deg}) for n, hold in
                 enumerate(analysis.holds, start=1)]
    units += [(f"rep {rep.rep}", rep.flags, rep) for rep in analysis.reps]
    seen = [flag for _, flags, _ in units for flag in flags]
    order = [flag for flag in checks if flag in seen] + sorted(set(seen) - set(checks) - set(NOT_JUDGED_FLAGS))
    order += [flag for flag in NOT_JUDGED_FLAGS if flag in seen]
    groups = []
    for flag in order:
        check = checks.get(flag)
        metric = check.metric if check is not None else METRIC_OF_FLAG.get(flag)
        limit = limits.get(flag, check.limit if check is not None else None)
        unit = "%" if (metric or "").endswith("_pct") else "°"
        items = []
        for name, flags, source in units:
            if flag not in flags:
                continue
            value = source.get(metric) if isinstance(source, dict) else getattr(source, metric or "", None)
            items.append(name if value is None or flag in NOT_JUDGED_FLAGS else f"{name} {abs(value):.0f}{unit}")
        label = NOT_JUDGED_WORDS.get(flag, flag_word(flag))
        groups.append(FlagGroup(flag, label, "" if limit is None or flag in NOT_JUDGED_FLAGS
                                else f"limit {limit:g}{unit}", tuple(items)))
    return groups


def depth_words(drill: DrillOutcome) -> str:
    row = drill.row
    if row is None or row.median_depth_deg is None:
        return MISSING
    return f"{row.median_depth_deg:.0f}"


def lumbar_words(drill: DrillOutcome, mark_estimated: bool = True) -> str:
    row = drill.row
    if row is None or row.median_lumbar_flexion_deg is None:
        return MISSING
    text = f"{row.median_lumbar_flexion_deg:.0f}"
    return text + (f" {ESTIMATED_MARK}" if mark_estimated and row.lumbar_flexion_estimated else "")


def note_words(drill: DrillOutcome) -> str:
    """Not recorded, or not analysable with its reason; for an analysed drill, what a
    reader must know (nothing found, target not reached, a calibration without quiet start)."""
    if drill.status == NOT_RECORDED:
        return "not recorded"
    if drill.status != ANALYSED:
        reason = str(drill.reason)
        if reason[1:2].islower():
            reason = reason[:1].lower() + reason[1:]
        return f"not analysable: {reason}"
    numbers = drill.row.numbers
    notes = []
    if numbers.kind == "hold" and not numbers.holds:
        notes.append("no hold found")
    elif numbers.kind != "hold" and not numbers.reps:
        notes.append("no reps found")
    if drill.analysis.calibration.get("method", "quiet-standing") != "quiet-standing":
        notes.append("no quiet start: angles carry an offset")
    return "; ".join(notes)


def all_estimated(session: PlanSessionAnalysis) -> bool:
    """Every lumbar flexion value of the summary is a one-sensor estimate."""
    rows = [d.row for d in session.analysed if d.row and d.row.median_lumbar_flexion_deg is not None]
    return bool(rows) and all(row.lumbar_flexion_estimated for row in rows)


def found_nothing(drill: DrillOutcome) -> bool:
    """An analysed drill in which no rep (or, for a hold drill, no hold) was found."""
    if drill.row is None:
        return False
    numbers = drill.row.numbers
    return not (numbers.holds if numbers.kind == "hold" else numbers.reps)


def any_estimated(session: PlanSessionAnalysis) -> bool:
    return any(d.row and d.row.median_lumbar_flexion_deg is not None and d.row.lumbar_flexion_estimated
               for d in session.analysed)
