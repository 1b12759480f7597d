"""How far the live verdicts agreed with the end-of-session analysis of the same recording."""

from __future__ import annotations

from dataclasses import dataclass

from ..pipeline.result import RepResult
from .events import LiveRep


@dataclass(frozen=True)
class Agreement:
    """Reps found offline and live, how many were matched, and how many of those had the
    same verdict (the same set of flags; no flags is "clean")."""

    offline_reps: int
    live_reps: int
    matched: int
    agreed: int

    def sentence(self) -> str:
        if not self.offline_reps and not self.live_reps:
            return "No reps were found, live or in the end-of-session analysis."
        return (
            f"Live feedback agreed with the end-of-session analysis on {self.agreed} of "
            f"{self.offline_reps} reps (live found {self.live_reps}, matched {self.matched})."
        )


def overlap_s(a_start_s: float, a_end_s: float, b_start_s: float, b_end_s: float) -> float:
    """Time (s) two intervals share; 0 when they do not meet."""
    return max(0.0, min(a_end_s, b_end_s) - max(a_start_s, b_start_s))


def match_reps(live: list[LiveRep], offline: list[RepResult]) -> list[tuple[LiveRep, RepResult]]:
    """Pairs of a live and an offline rep that overlap in time, each rep used at most once
    (greedily, largest overlap first)."""
    candidates = [
        (overlap_s(l.start_s, l.end_s, o.start_s, o.end_s), i, j)
        for i, l in enumerate(live)
        for j, o in enumerate(offline)
    ]
    used_live, used_offline, pairs = set(), set(), []
    for shared_s, i, j in sorted(candidates, reverse=True):
        if shared_s <= 0.0:
            break
        if i in used_live or j in used_offline:
            continue
        used_live.add(i)
        used_offline.add(j)
        pairs.append((live[i], offline[j]))
    return sorted(pairs, key=lambda pair: pair[1].start_s)


def compare(live: list[LiveRep], offline: list[RepResult]) -> Agreement:
    pairs = match_reps(live, offline)
    agreed = sum(set(l.flags) == set(o.flags) for l, o in pairs)
    return Agreement(len(offline), len(live), len(pairs), agreed)


@dataclass(frozen=True)
class HoldAgreement:
    """A hold drill's holds, live and in the end-of-session analysis: how many, the time
    held in each (s), how many were matched (they overlap) and how many of those had the
    same verdict (``unsteady`` or not)."""

    offline_holds: int
    live_holds: int
    offline_s: float
    live_s: float
    matched: int
    agreed: int

    def sentence(self) -> str:
        if not self.offline_holds and not self.live_holds:
            return "No hold was found, live or in the end-of-session analysis."
        return (
            f"Live timing: {self.live_s:.0f} s held in {self.live_holds} hold(s); the end-of-session "
            f"analysis: {self.offline_s:.0f} s in {self.offline_holds}. The steadiness verdict agreed on "
            f"{self.agreed} of {self.offline_holds} hold(s)."
        )


def compare_holds(live: list, offline: list) -> HoldAgreement:
    """``HoldAgreement`` of two lists of ``pipeline.holds.Hold`` (matched as reps are)."""
    used, agreed, matched = set(), 0, 0
    for hold in offline:
        shared = [(overlap_s(h.start_s, h.end_s, hold.start_s, hold.end_s), i) for i, h in enumerate(live) if i not in used]
        best = max(shared, default=(0.0, None))
        if best[0] > 0.0:
            used.add(best[1])
            matched += 1
            agreed += set(live[best[1]].flags) == set(hold.flags)
    return HoldAgreement(
        len(offline), len(live), sum(h.duration_s for h in offline), sum(h.duration_s for h in live), matched, agreed
    )
