"""The plan session at a glance: one small panel per drill, in plan order, in one figure.

Each panel draws the drill's rep angle (the pelvic tilt) over that drill's recording,
turned so that a rep goes up whichever way the drill moves (the bridge's hip extension
too, as the summary's depth reads), every rep shaded (green clean, red flagged, grey not
judged) with a red cross at the bottom of each flagged rep, and a hold shaded blue
(steady) or red (unsteady). Its title gives the drill, reps (or the hold) against the
target and the flags. A drill not recorded or not analysable keeps its place, with the
reason written in it, so the grid always reads in plan order.

A plain ``matplotlib.figure.Figure`` (Agg, no pyplot), as ``report.plot`` draws.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING

import numpy as np

from ..report.plot import CLEAN_FILL, FLAGGED_FILL, FLAG_TEXT, NOT_JUDGED_FILL, PELVIS_COLOUR
from ..report.wording import is_not_judged, zero_words
from .collect import ANALYSED, DrillOutcome, PlanSessionAnalysis
from .words import done_words, flags_words, found_nothing, header_words, note_words

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

COLUMNS = 3
PANEL_SIZE_IN = (5.2, 2.5)
DPI = 100
HOLD_FILL = "#bbdefb"
UNSTEADY_FILL = FLAGGED_FILL
MISSING_TEXT = "#757575"
CLEAN_TEXT = "#2e7d32"
NOTHING_FOUND_TEXT = "#8d5b00"
TRACE_TRIM_PERCENTILE = 0.5
"""The y range leaves out this share (%) at each end of a trace, so one spike (a step
while getting up) does not flatten every rep."""


def plot_plan_session(session: PlanSessionAnalysis) -> "Figure":
    """Draw the panels and return the figure (nothing is shown or saved)."""
    from matplotlib.figure import Figure

    count = max(len(session.drills), 1)
    columns = min(COLUMNS, count)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(PANEL_SIZE_IN[0] * columns, PANEL_SIZE_IN[1] * rows + 0.9), dpi=DPI,
                    layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False)
    for slot, axes in enumerate(grid.flat):
        if slot < len(session.drills):
            _draw_drill(axes, session.drills[slot])
        else:
            axes.set_axis_off()
    figure.suptitle(_literal(header_words(session)), fontsize=13, fontweight="bold")
    figure.legend(handles=_legend_handles(), loc="outside lower center", ncol=6, frameon=False, fontsize=9)
    return figure


def _draw_drill(axes: "Axes", drill: DrillOutcome) -> None:
    title = _literal(f"{drill.index}. {drill.title}")
    if drill.status != ANALYSED:
        axes.set_title(title, fontsize=10, fontweight="bold", loc="left", color=MISSING_TEXT, pad=14)
        words = note_words(drill)
        axes.text(0.5, 0.5, _literal("\n".join(textwrap.wrap(words, 60))), transform=axes.transAxes,
                  ha="center", va="center", fontsize=9, color=MISSING_TEXT)
        axes.set_xticks([])
        axes.set_yticks([])
        for spine in axes.spines.values():
            spine.set_color("#e0e0e0")
        return
    analysis, profile = drill.analysis, drill.profile
    flags = flags_words(drill)
    axes.set_title(title, fontsize=10, fontweight="bold", loc="left", pad=14)
    if found_nothing(drill):
        subtitle, colour = f"{done_words(drill)} · {note_words(drill)}", NOTHING_FOUND_TEXT
    else:
        subtitle = f"{done_words(drill)}" + (f" · {flags}" if flags else " · clean")
        colour = FLAG_TEXT if flags else CLEAN_TEXT
    axes.annotate(_literal(subtitle), xy=(0.0, 1.0), xycoords="axes fraction", xytext=(0, 3),
                  textcoords="offset points", ha="left", va="bottom", fontsize=8, color=colour)
    sign = -1.0 if profile.direction == "backward" else 1.0
    traces = analysis.traces
    values = getattr(traces, f"{profile.rep_angle}_deg")
    time_s = np.asarray(traces.time_s, dtype=float)
    if values is not None and len(values) == len(time_s):
        shown = sign * np.asarray(values, dtype=float)
        axes.plot(time_s, shown, color=PELVIS_COLOUR, linewidth=0.9, zorder=3)
        bottoms = [sign * getattr(rep, f"{profile.rep_angle}_deg") for rep in analysis.reps
                   if getattr(rep, f"{profile.rep_angle}_deg") is not None]
        finite = shown[np.isfinite(shown)]
        if finite.size:
            low = min(-3.0, float(np.percentile(finite, TRACE_TRIM_PERCENTILE)) - 3.0)
            high = max(10.0, float(np.percentile(finite, 100 - TRACE_TRIM_PERCENTILE)) + 3.0,
                       max(bottoms, default=0.0) + 4.0)
            axes.set_ylim(low, high)
    for rep in analysis.reps:
        fill = CLEAN_FILL if rep.is_clean else NOT_JUDGED_FILL if is_not_judged(rep) else FLAGGED_FILL
        axes.axvspan(rep.start_s, rep.end_s, facecolor=fill, edgecolor="none", zorder=1)
        if rep.flags and not is_not_judged(rep):
            bottom = getattr(rep, f"{profile.rep_angle}_deg")
            if bottom is not None and math.isfinite(bottom):
                axes.plot([rep.bottom_s], [sign * bottom], marker="x", color=FLAG_TEXT, markersize=6,
                          markeredgewidth=1.6, zorder=4)
    for hold in analysis.holds or ():
        axes.axvspan(hold.start_s, hold.end_s, facecolor=UNSTEADY_FILL if hold.flags else HOLD_FILL,
                     edgecolor="none", zorder=1)
    axes.axhline(0.0, color="black", linewidth=0.5, zorder=2)
    axes.set_xlim(float(time_s[0]) if time_s.size else 0.0, max(analysis.duration_s, 1.0))
    axes.tick_params(labelsize=8)
    axes.set_xlabel("time (s)", fontsize=8, labelpad=1)
    axes.set_ylabel(f"° from {_short_zero(zero_words(analysis))}", fontsize=8)
    axes.grid(axis="y", color="#eeeeee", linewidth=0.5, zorder=0)


def _literal(text: str) -> str:
    """``text`` drawn as typed: a ``$`` would start matplotlib's mathtext."""
    return text.replace("$", r"\$")


def _short_zero(words: str) -> str:
    return {"lying on your back": "lying", "the most upright posture reached": "most upright"}.get(words, words)


def _legend_handles() -> list:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [
        Line2D([], [], color=PELVIS_COLOUR, linewidth=1.2, label="Pelvic tilt (reps drawn upward)"),
        Patch(facecolor=CLEAN_FILL, label="Clean rep"),
        Patch(facecolor=FLAGGED_FILL, label="Flagged rep (or unsteady hold)"),
        Line2D([], [], color=FLAG_TEXT, marker="x", linestyle="none", markeredgewidth=1.6,
               label="Bottom of a flagged rep"),
        Patch(facecolor=NOT_JUDGED_FILL, label="Not judged (data gap)"),
        Patch(facecolor=HOLD_FILL, label="Steady hold"),
    ]
