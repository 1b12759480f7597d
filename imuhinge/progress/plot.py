"""The trend figure: one small panel per drill, sessions left to right.

In each panel the bars are the share of flagged reps per session (left axis, %, with
the 10% of the done-cleanly rule dashed; "not judged" when no rep could be) and the line is the session's median peak
lumbar flexion (right axis, °, with the drill's rounding limit dotted when it has one;
a hollow marker and a dashed line when it is estimated with one sensor). A hold drill
shows the share of unsteady holds and the longest steady hold (s) against its target
instead. The panel's title says whether the drill is done cleanly.

Drawn on a plain ``matplotlib.figure.Figure`` (Agg, no pyplot state), as the session
plot is (``imuhinge.report.plot``), whose colours it shares.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..report.plot import DPI, LIMIT_COLOUR, LUMBAR_COLOUR, _literal
from .collect import Progress
from .rule import MAX_FLAGGED_SHARE, DrillProgress

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PANEL_SIZE_IN = (4.6, 3.3)
COLUMNS = 3
BAR_COLOUR = "#ef9a9a"
BAR_EDGE = "#c62828"
HOLD_COLOUR = "#1f77b4"
DONE_COLOUR = "#2e7d32"
NOT_DONE_COLOUR = "#616161"


def plot_progress(progress: Progress) -> "Figure":
    """Draw the trend figure and return it (nothing is shown or saved)."""
    from matplotlib.figure import Figure

    count = max(len(progress.drills), 1)
    columns = min(COLUMNS, count)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(PANEL_SIZE_IN[0] * columns, PANEL_SIZE_IN[1] * rows + 0.5), dpi=DPI,
                    layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False)
    for index, axes in enumerate(grid.flat):
        if index < len(progress.drills):
            draw_drill(axes, progress.drills[index])
        else:
            axes.set_axis_off()
    figure.suptitle(_literal(f"Progress across sessions: {progress.folder.name or progress.folder}"),
                    fontsize=12, fontweight="bold")
    return figure


def draw_drill(axes: "Axes", drill: DrillProgress) -> None:
    """One drill's panel (see the module docstring)."""
    numbers = drill.numbers
    x = list(range(1, len(numbers) + 1))
    shares = [100.0 * n.flagged_share if n.flagged_share is not None else math.nan for n in numbers]
    axes.bar(x, shares, width=0.55, color=BAR_COLOUR, edgecolor=BAR_EDGE, linewidth=0.8, zorder=2,
             label="flagged (%)")
    for position, share in zip(x, shares):
        label = "not\njudged" if math.isnan(share) else f"{share:.0f}%"
        axes.text(position, 13.0 if math.isnan(share) else share + 1.5, label, ha="center", va="bottom",
                  fontsize=7, color="#757575" if math.isnan(share) else BAR_EDGE, zorder=5)
    if drill.profile.kind == "reps":  # a hold drill's rule is the steady hold's length
        axes.axhline(100 * MAX_FLAGGED_SHARE, color=BAR_EDGE, linestyle="--", linewidth=0.8, zorder=3)
        axes.text(0.99, 100 * MAX_FLAGGED_SHARE + 1.0, f"{MAX_FLAGGED_SHARE:.0%} rule",
                  transform=axes.get_yaxis_transform(), ha="right", va="bottom", fontsize=6.5, color=BAR_EDGE)
    axes.set_ylim(0, 110)
    axes.set_yticks(range(0, 101, 20))
    axes.set_ylabel("flagged " + ("holds" if drill.profile.kind == "hold" else "reps") + " (%)", fontsize=8)
    axes.set_xticks(x, [f"{i}\n{s.started:%d %b}" for i, s in zip(x, drill.sessions)], fontsize=7)
    axes.set_xlim(0.4, len(numbers) + 0.6)
    axes.tick_params(axis="y", labelsize=7)
    axes.grid(axis="y", color="#eeeeee", linewidth=0.6, zorder=0)

    right = axes.twinx()
    if drill.profile.kind == "hold":
        _draw_line(right, x, [n.longest_steady_hold_s for n in numbers], HOLD_COLOUR, False,
                   "longest steady hold (s)")
        right.axhline(drill.profile.target_hold_s, color=HOLD_COLOUR, linestyle=":", linewidth=1.0)
        _line_label(right, drill.profile.target_hold_s, f"target {drill.profile.target_hold_s:g} s", HOLD_COLOUR)
        top = max([drill.profile.target_hold_s] + [n.longest_steady_hold_s or 0.0 for n in numbers])
        right.set_ylim(0, top * 1.25)
    else:
        estimated = any(n.lumbar_flexion_estimated for n in numbers)
        values = [n.median_lumbar_flexion_deg for n in numbers]
        label = "median lumbar flexion (°)" + (", estimated" if estimated else "")
        _draw_line(right, x, values, LUMBAR_COLOUR, estimated, label)
        limit = next((c.limit for c in drill.profile.checks if c.flag == "rounded"), None)
        top = max([v for v in values if v is not None] + [limit or 0.0, 10.0])
        if limit is not None:
            right.axhline(limit, color=LIMIT_COLOUR, linestyle=":", linewidth=1.0)
            _line_label(right, limit, f"rounding limit {limit:g}°", LIMIT_COLOUR)
        bottom = min([v for v in values if v is not None] + [0.0])
        right.set_ylim(bottom - 2.0, top * 1.25)
    right.tick_params(axis="y", labelsize=7)
    right.set_ylabel(right.get_lines()[0].get_label() if right.get_lines() else "", fontsize=8)

    done = drill.done_cleanly
    axes.set_title(
        _literal(f"{drill.profile.order}. {drill.profile.title}\n")
        + ("done cleanly ✓" if done else "not done cleanly yet"),
        fontsize=9, loc="left", color=DONE_COLOUR if done else NOT_DONE_COLOUR,
    )


def _line_label(axes: "Axes", value: float, text: str, colour: str) -> None:
    axes.text(0.01, value, text, transform=axes.get_yaxis_transform(), ha="left", va="bottom",
              fontsize=6.5, color=colour)


def _draw_line(axes: "Axes", x: list[int], values: list[float | None], colour: str, estimated: bool,
               label: str) -> None:
    y = [math.nan if v is None else v for v in values]
    axes.plot(x, y, color=colour, linewidth=1.6, linestyle="--" if estimated else "-", marker="o",
              markersize=5, markerfacecolor="white" if estimated else colour, markeredgecolor=colour,
              zorder=4, label=label)
