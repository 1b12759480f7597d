"""Each drill's progress across sessions, and the rule that says when to move on.

A drill is **done cleanly** when its most recent session

- reached the target: at least ``target_reps`` reps (a hold drill: one steady hold at
  least ``target_hold_s`` long),
- with at most ``MAX_FLAGGED_SHARE`` (10%) of its judged reps flagged, and
- with none of the last ``LAST_REPS`` (5) judged reps flagged.

Why these: 10% lets one off rep in a set of 15 pass (1/15 ≈ 7%) but not two (13%), so a
single stray rep does not hold a person back while a recurring fault does. The last reps
matter on their own because form breaks down with fatigue at the end of a set; a set
that finishes clean shows the pattern holds when tired, which is what the next, harder
drill asks for. Only the most recent session counts, because it is where the person is
now. When the drill is done cleanly the suggestion is its ``next_drill``; otherwise it
is to keep practising it, naming its most common fault in the last session in plain
words. The suggestion for the person is the one for the furthest drill of the
programme they have recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..exercises import ExerciseProfile, load_profiles
from ..report.wording import FLAG_PLAIN, flag_word
from .numbers import LAST_REPS, SessionNumbers, session_numbers
from .sessions import Session

MAX_FLAGGED_SHARE = 0.10
"""The most of a session's judged reps that may be flagged for a drill to be done cleanly."""
RULE_SENTENCE = (
    "A drill is done cleanly when its most recent session reached the target (reps, or a "
    f"steady hold as long as the target) with at most {MAX_FLAGGED_SHARE:.0%} of the reps "
    f"flagged and none of the last {LAST_REPS} reps flagged; then the next drill of the "
    "programme is suggested."
)


@dataclass(frozen=True)
class DrillProgress:
    """One drill's sessions in time order, with their numbers."""

    profile: ExerciseProfile
    sessions: tuple[Session, ...]
    numbers: tuple[SessionNumbers, ...]

    @property
    def last(self) -> SessionNumbers:
        return self.numbers[-1]

    @property
    def done_cleanly(self) -> bool:
        return done_cleanly(self.last)

    def trend(self, attribute: str) -> tuple[float | None, float | None]:
        """``attribute`` of ``SessionNumbers`` in the first and last session that have it."""
        values = [getattr(n, attribute) for n in self.numbers]
        values = [v for v in values if v is not None]
        return (values[0], values[-1]) if values else (None, None)


@dataclass(frozen=True)
class Suggestion:
    """What to do next: the drill it is about, whether that is done cleanly, the drill
    suggested (the next one, or the same again) and the sentence that says so."""

    drill: str
    done_cleanly: bool
    suggested_drill: str | None
    """The drill to do next; None after the last drill of the programme."""
    text: str


def progress_by_drill(sessions: list[Session]) -> list[DrillProgress]:
    """The sessions grouped by drill, drills in programme order, sessions in time order."""
    groups: dict[str, list[Session]] = {}
    for session in sessions:
        groups.setdefault(session.profile.name, []).append(session)
    ordered = sorted(groups.values(), key=lambda group: (group[0].profile.order, group[0].profile.name))
    return [
        DrillProgress(
            profile=group[0].profile,
            sessions=tuple(group),
            numbers=tuple(session_numbers(s.analysis, s.profile) for s in group),
        )
        for group in ordered
    ]


def done_cleanly(numbers: SessionNumbers) -> bool:
    """The rule of the module docstring, applied to one session's numbers."""
    if numbers.kind == "hold":
        return numbers.target_reached
    share = numbers.flagged_share
    return numbers.target_reached and share is not None and share <= MAX_FLAGGED_SHARE and numbers.last_reps_clean


def advice(drill: DrillProgress, practised: set[str] = frozenset()) -> Suggestion:
    """The suggestion for one drill from its most recent session.

    ``practised``: the drills that have sessions, so a next drill already under way is
    said to be.
    """
    profile, last = drill.profile, drill.last
    if drill.done_cleanly:
        return _move_on(profile, last, practised)
    problems = _shortfalls(last)
    fault = last.most_common_fault()
    text = f"Keep practising the {_lower(profile.title)}: " + "; ".join(problems)
    if fault is not None:
        count = last.flag_counts[fault]
        unit = "hold" if last.kind == "hold" else "rep"
        text += (
            f". Most common fault: {FLAG_PLAIN.get(fault, flag_word(fault))} "
            f"({count} {unit}{'s' if count != 1 else ''})"
        )
    return Suggestion(profile.name, False, profile.name, text + ".")


def suggestion_for(drills: list[DrillProgress]) -> Suggestion | None:
    """The person's suggestion: the advice for the furthest drill of the programme
    recorded (None without any drill)."""
    if not drills:
        return None
    practised = {d.profile.name for d in drills}
    furthest = max(drills, key=lambda d: d.profile.order)
    return advice(furthest, practised)


def _move_on(profile: ExerciseProfile, last: SessionNumbers, practised: set[str]) -> Suggestion:
    if last.kind == "hold":
        done = f"a steady hold of {last.longest_steady_hold_s:.0f} s, target {last.target_hold_s:g} s"
    else:
        done = (
            f"{last.reps} of {last.target_reps} reps, {last.flagged_share:.0%} flagged, "
            f"the last {LAST_REPS} clean"
        )
    head = f"{profile.title} is done cleanly ({done})"
    following = load_profiles().get(profile.next_drill or "")
    if following is None:
        return Suggestion(profile.name, True, None, f"{head}: it is the last drill of the programme; keep it up.")
    if following.name in practised:
        text = f"{head}; the next drill, {following.title} (step {following.order}), is already under way."
    else:
        text = f"{head}: move on to {following.title} (step {following.order}). How: {following.cue}"
    return Suggestion(profile.name, True, following.name, text)


def _shortfalls(last: SessionNumbers) -> list[str]:
    """What kept the most recent session from being done cleanly, in plain words."""
    if last.kind == "hold":
        if not last.holds:
            return ["no hold was found in the last session"]
        steady = last.longest_steady_hold_s
        if steady is None:
            return [f"the last session had no steady hold (target {last.target_hold_s:g} s)"]
        return [f"the longest steady hold was {steady:.0f} s of {last.target_hold_s:g} s"]
    problems = []
    if not last.target_reached:
        problems.append(f"{last.reps} of {last.target_reps} reps in the last session")
    share = last.flagged_share
    if last.judged_reps < LAST_REPS:
        problems.append(
            f"only {last.judged_reps} rep{'s' if last.judged_reps != 1 else ''} could be judged "
            "(data gaps, or a sensor that cannot judge the lower back)"
        )
    else:
        if share is not None and share > MAX_FLAGGED_SHARE:
            problems.append(f"{share:.0%} of the reps were flagged (aim for at most {MAX_FLAGGED_SHARE:.0%})")
        if not last.last_reps_clean:
            problems.append(f"a rep among the last {LAST_REPS} was flagged")
    return problems


def _lower(title: str) -> str:
    """A drill title inside a sentence: ``Hip hinge`` → ``hip hinge``."""
    return title[:1].lower() + title[1:]
