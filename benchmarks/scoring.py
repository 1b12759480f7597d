"""Scoring an analysis against the simulator's truth: rep matching and accuracy figures.

A plain module the accuracy benchmark and the tuning script share. Found reps are matched
one to one with true reps by time overlap (largest overlaps first); the figures are then:

- found %: true reps that were matched; real %: found reps that were matched;
- exact count %: sessions where the number of reps found equals the truth;
- median |start error| and |end error| (s) over matched reps;
- RMSE (deg) of peak pelvic tilt, trunk inclination, lumbar flexion and lockout extension
  over matched reps that were judged (neither the truth nor the analysis puts the rep in
  a data gap; lockout only where it was measured), and the same over all matched reps
  (``*_all`` figures);
- F1 of the ``rounded`` and ``overextended`` flags against the truth labels, over all reps
  (an unmatched true rep with the label is a miss, an unmatched found rep with the flag a
  false alarm); reps in a data gap (truth label or found flag ``gap``) are not judged and
  left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FLAGS = ("rounded", "overextended")


@dataclass
class SessionScore:
    """The raw material of one session's score (lists over matched reps)."""

    seed: int
    true_reps: int
    found_reps: int
    matched: int
    start_error_s: list[float] = field(default_factory=list)
    end_error_s: list[float] = field(default_factory=list)
    pelvis_error_deg: list[float] = field(default_factory=list)
    trunk_error_deg: list[float] = field(default_factory=list)
    lumbar_error_deg: list[float] = field(default_factory=list)
    lockout_error_deg: list[float] = field(default_factory=list)
    judged: list[bool] = field(default_factory=list)
    flag_counts: dict[str, list[int]] = field(default_factory=dict)
    """Per flag: [true positives, false positives, false negatives]."""


def match_reps(found, truth_reps) -> list[tuple[int, int]]:
    """One-to-one (found index, true index) pairs by largest time overlap first."""
    pairs = []
    for i, f in enumerate(found):
        for j, t in enumerate(truth_reps):
            overlap = min(f.end_s, t.end_s) - max(f.start_s, t.start_s)
            if overlap > 0:
                pairs.append((overlap, i, j))
    pairs.sort(reverse=True)
    used_found, used_true, matches = set(), set(), []
    for _, i, j in pairs:
        if i in used_found or j in used_true:
            continue
        if not truth_reps[j].start_s <= found[i].bottom_s <= truth_reps[j].end_s:
            continue
        used_found.add(i)
        used_true.add(j)
        matches.append((i, j))
    return sorted(matches)


def score_session(analysis, truth) -> SessionScore:
    """Compare an ``Analysis`` with a simulator ``Truth``."""
    found, true_reps = analysis.reps, truth.reps
    matches = match_reps(found, true_reps)
    score = SessionScore(truth.seed, len(true_reps), len(found), len(matches))
    for i, j in matches:
        f, t = found[i], true_reps[j]
        score.judged.append("gap" not in f.flags and "gap" not in t.labels)
        score.start_error_s.append(f.start_s - t.start_s)
        score.end_error_s.append(f.end_s - t.end_s)
        score.pelvis_error_deg.append(f.pelvis_tilt_deg - t.pelvis_tilt_deg)
        nan = float("nan")
        score.trunk_error_deg.append(
            nan if f.trunk_inclination_deg is None else f.trunk_inclination_deg - t.trunk_inclination_deg
        )
        score.lumbar_error_deg.append(
            nan if f.lumbar_flexion_deg is None else f.lumbar_flexion_deg - t.lumbar_flexion_deg
        )
        score.lockout_error_deg.append(
            nan if f.lockout_extension_deg is None else f.lockout_extension_deg - t.lockout_extension_deg
        )
    matched_found = {i for i, _ in matches}
    matched_true = {j for _, j in matches}
    for flag in FLAGS:
        tp = fp = fn = 0
        for i, j in matches:
            if "gap" in found[i].flags or "gap" in true_reps[j].labels:
                continue
            said, real = flag in found[i].flags, flag in true_reps[j].labels
            tp += said and real
            fp += said and not real
            fn += real and not said
        fp += sum(flag in found[i].flags for i in range(len(found)) if i not in matched_found)
        fn += sum(
            flag in true_reps[j].labels and "gap" not in true_reps[j].labels
            for j in range(len(true_reps))
            if j not in matched_true
        )
        score.flag_counts[flag] = [tp, fp, fn]
    return score


def summarise(scores: list[SessionScore]) -> dict[str, float]:
    """The benchmark's figures over many sessions (percentages, seconds, degrees)."""
    def pooled(name, judged_only=False):
        values = np.array([v for s in scores for v in getattr(s, name)], dtype=float)
        if judged_only:
            values = values[np.array([j for s in scores for j in s.judged], dtype=bool)]
        return values[np.isfinite(values)]

    def rmse(name, judged_only=True):
        values = pooled(name, judged_only)
        return float(np.sqrt(np.mean(values**2))) if values.size else float("nan")

    def median_abs(name):
        values = pooled(name)
        return float(np.median(np.abs(values))) if values.size else float("nan")

    true_total = sum(s.true_reps for s in scores)
    found_total = sum(s.found_reps for s in scores)
    matched = sum(s.matched for s in scores)
    out = {
        "sessions": len(scores),
        "true_reps": true_total,
        "found_pct": 100.0 * matched / true_total if true_total else float("nan"),
        "real_pct": 100.0 * matched / found_total if found_total else float("nan"),
        "exact_count_pct": 100.0 * np.mean([s.true_reps == s.found_reps for s in scores]),
        "start_median_s": median_abs("start_error_s"),
        "end_median_s": median_abs("end_error_s"),
        "pelvis_rmse_deg": rmse("pelvis_error_deg"),
        "trunk_rmse_deg": rmse("trunk_error_deg"),
        "lumbar_rmse_deg": rmse("lumbar_error_deg"),
        "lockout_rmse_deg": rmse("lockout_error_deg"),
        "pelvis_rmse_all_deg": rmse("pelvis_error_deg", False),
        "trunk_rmse_all_deg": rmse("trunk_error_deg", False),
        "lumbar_rmse_all_deg": rmse("lumbar_error_deg", False),
    }
    for flag in FLAGS:
        tp, fp, fn = (sum(s.flag_counts[flag][k] for s in scores) for k in range(3))
        out[f"{flag}_f1"] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")
    return out


TARGETS = {
    "two-sensor": {
        "found_pct": (">=", 99.5), "real_pct": (">=", 99.5), "exact_count_pct": (">=", 95.0),
        "start_median_s": ("<=", 0.15), "end_median_s": ("<=", 0.15),
        "pelvis_rmse_deg": ("<=", 1.0), "trunk_rmse_deg": ("<=", 1.0), "lumbar_rmse_deg": ("<=", 1.0),
        "rounded_f1": (">=", 0.98), "overextended_f1": (">=", 0.95),
    },
    "one-sensor": {
        "found_pct": (">=", 99.0), "real_pct": (">=", 99.0), "pelvis_rmse_deg": ("<=", 1.0),
        "rounded_f1": (">=", 0.90),
    },
}
"""The accuracy each mode must reach (figure: (comparison, limit))."""


def failures(summary: dict[str, float], mode: str) -> list[str]:
    """The figures of ``summary`` that miss their target for ``mode``, in words."""
    missed = []
    for name, (op, limit) in TARGETS[mode].items():
        value = summary[name]
        ok = value >= limit if op == ">=" else value <= limit
        if not ok or value != value:
            missed.append(f"{name} = {value:.3g} (target {op} {limit:g})")
    return missed
