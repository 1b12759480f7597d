"""The per-session figure: one picture a clinician reads in ten seconds.

Top panel: the angle traces over time (pelvic tilt, trunk inclination, lumbar flexion),
every rep shaded (green when clean, red when flagged, grey when not judged) with its
number, the flag word ("rounded", "arched") over flagged reps, data gaps hatched, and the
rounding limit as a dashed line. Bottom panel: one bar per rep of peak lumbar flexion
against the same limit (red when over it), and lockout extension as a small bar below
zero against the arching limit.

The figure is a plain ``matplotlib.figure.Figure`` drawn by the Agg renderer, never a
pyplot window, so it works headless and leaves no global state behind in long live
sessions. matplotlib is imported only when a plot is made.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..pipeline.result import ESTIMATED, ONE_SENSOR, OVEREXTENDED, ROUNDED, Analysis, RepResult
from .wording import (
    display_name,
    duration_words,
    exercise_line,
    flag_word,
    flagged_count,
    is_not_judged,
    lower_back_judged,
    mode_short,
    not_judged_count,
    zero_words,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FIGURE_SIZE_IN = (12.0, 7.5)
DPI = 110
MINUTES_AFTER_S = 600.0
"""Sessions longer than this get a time axis in minutes."""

PELVIS_COLOUR = "#1f77b4"
TRUNK_COLOUR = "#7f7f7f"
LUMBAR_COLOUR = "#6a3d9a"
LIMIT_COLOUR = "#c62828"
CLEAN_FILL = "#dcedc8"
FLAGGED_FILL = "#ffcdd2"
NOT_JUDGED_FILL = "#e0e0e0"
BAR_OK = "#b8a5d6"
BAR_OVER = "#d32f2f"
LOCKOUT_OK = "#f0a35e"
LOCKOUT_OVER = "#8e0000"
FLAG_TEXT = "#b71c1c"
CAVEAT_COLOUR = "#8d5b00"
CAVEAT_WRAP_CHARS = 150
"""The caveats (fallback calibration, accelerometer only) under the title: colour and
line length in characters."""
GAP_HATCH_TOP = 0.86
"""Gaps are hatched up to here (axes fraction), leaving the rep labels above readable."""

LABEL_FONT_PT = 8.0
_POINTS_PER_CHAR = 0.62 * LABEL_FONT_PT
"""Rough width of one label character, to keep rep labels from overlapping."""


def plot_session(analysis: Analysis) -> "Figure":
    """Draw the session figure and return it (nothing is shown or saved)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_SIZE_IN, dpi=DPI, layout="constrained")
    if analysis.reps and lower_back_judged(analysis):
        traces_axes, bars_axes = figure.subplots(2, 1, height_ratios=[3, 2])
        _draw_traces(traces_axes, analysis)
        _draw_rep_bars(bars_axes, analysis)
    elif analysis.reps or analysis.holds:
        figure.set_figheight(FIGURE_SIZE_IN[1] * 0.65)
        traces_axes = figure.subplots()
        _draw_traces(traces_axes, analysis)
    else:
        figure.set_figheight(FIGURE_SIZE_IN[1] * 0.6)
        traces_axes = figure.subplots()
        _draw_traces(traces_axes, analysis)
        traces_axes.text(0.5, 0.9, "No reps found in this recording", transform=traces_axes.transAxes,
                         ha="center", va="top", fontsize=12, color="#424242")
    figure.suptitle(_title(analysis), fontsize=12, fontweight="bold")
    if analysis.exercise:
        import textwrap

        cue = "\n".join(textwrap.wrap(str(analysis.exercise.get("cue", "")), CAVEAT_WRAP_CHARS))
        figure.supxlabel(_literal(cue), fontsize=8, color="#616161")
    for hold in analysis.holds or ():
        scale, _ = _time_scale(analysis)
        traces_axes.axvspan(hold.start_s / scale, hold.end_s / scale, facecolor="#fde0dc" if hold.flags else "#e3f2fd",
                            zorder=0.5, label=None)
        traces_axes.text((hold.start_s + hold.end_s) / 2 / scale, 0.93,
                         _literal(f"{hold.duration_s:.0f} s" + (" unsteady" if hold.flags else "")),
                         transform=traces_axes.get_xaxis_transform(), ha="center", va="top",
                         fontsize=LABEL_FONT_PT, color=FLAG_TEXT if hold.flags else "#424242")
    if analysis.caveats:
        traces_axes.set_title(_literal(_caveat_caption(analysis)), fontsize=9, loc="left", color=CAVEAT_COLOUR)
    return figure


def _caveat_caption(analysis: Analysis) -> str:
    """The caveats under the title, first letter up, wrapped to the figure's width."""
    import textwrap

    lines = []
    for caveat in analysis.caveats:
        text = caveat[:1].upper() + caveat[1:] + "."
        lines += textwrap.wrap(text, CAVEAT_WRAP_CHARS)
    return "\n".join(lines)


def save_plot(analysis: Analysis, path: str | Path) -> "Figure":
    """Draw the session figure and write it to ``path`` (format from the suffix: png, svg, pdf)."""
    figure = plot_session(analysis)
    figure.savefig(path)
    return figure


def _literal(text: str) -> str:
    """``text`` shown as typed: a ``$`` would otherwise start matplotlib mathtext, and a
    file name such as ``a$\\frac{$.csv`` would make drawing fail."""
    return text.replace("$", r"\$")


def _title(analysis: Analysis) -> str:
    reps = len(analysis.reps)
    unjudged = not_judged_count(analysis)
    drill = exercise_line(analysis)
    if drill is not None:
        flagged = flagged_count(analysis) + sum(1 for hold in analysis.holds or () if hold.flags)
        return (
            f"{_literal(display_name(analysis.source))}  ·  {_literal(drill)}  ·  {mode_short(analysis)}  ·  "
            f"{duration_words(analysis.duration_s)}  ·  {flagged} flagged"
            + (f", {unjudged} not judged" if unjudged else "")
        )
    return (
        f"{_literal(display_name(analysis.source))}  ·  {mode_short(analysis)}  ·  "
        f"{duration_words(analysis.duration_s)}  ·  {reps} rep{'s' if reps != 1 else ''}, "
        f"{flagged_count(analysis)} flagged" + (f", {unjudged} not judged" if unjudged else "")
    )


def _time_scale(analysis: Analysis) -> tuple[float, str]:
    """Divisor and axis label for time: seconds, or minutes for long sessions."""
    if analysis.duration_s > MINUTES_AFTER_S:
        return 60.0, "Time (min)"
    return 1.0, "Time (s)"


def _draw_traces(axes: "Axes", analysis: Analysis) -> None:
    traces = analysis.traces
    scale, time_label = _time_scale(analysis)
    time = np.asarray(traces.time_s, dtype=float) / scale
    one_sensor = analysis.mode == ONE_SENSOR
    lumbar_estimated = traces.lumbar_flexion_source == ESTIMATED or one_sensor
    limit_deg = analysis.thresholds.max_lumbar_flexion_deg

    line_scale = 0.45 if analysis.duration_s > MINUTES_AFTER_S else 1.0
    drawn = []
    for values, label, colour, width, estimated, layer in (
        (traces.pelvis_tilt_deg, "Pelvic tilt (hip hinge)", PELVIS_COLOUR, 1.3 * line_scale, False, 3.2),
        (traces.trunk_inclination_deg, "Trunk inclination", TRUNK_COLOUR, 1.1 * line_scale, one_sensor, 3.0),
        (traces.lumbar_flexion_deg, "Lumbar flexion", LUMBAR_COLOUR, 1.8 * line_scale, lumbar_estimated, 3.4),
    ):
        if values is None or len(values) != len(time):
            continue
        values = np.asarray(values, dtype=float)
        axes.plot(
            time,
            values,
            color=colour,
            linewidth=width,
            linestyle="--" if estimated else "-",
            label=f"{label} (estimated)" if estimated else label,
            zorder=layer,
        )
        drawn.append(values)

    axes.axhline(0.0, color="black", linewidth=0.6, zorder=2)
    if _rounding_checked(analysis):
        axes.axhline(limit_deg, color=LIMIT_COLOUR, linestyle="--", linewidth=1.2, zorder=2,
                     label=f"Rounding limit ({limit_deg:g}°)")
    _set_trace_limits(axes, drawn, limit_deg)
    start_x, end_x = _time_extent(time, analysis, scale)
    axes.set_xlim(start_x, end_x)

    _shade_reps(axes, analysis.reps, scale)
    _hatch_gaps(axes, traces.gaps_s, scale)
    _label_reps(axes, analysis.reps, scale)

    axes.set_xlabel(time_label)
    zero = zero_words(analysis)
    axes.set_ylabel(f"Angle from {'most upright' if zero.startswith('the most') else zero} (°)")
    axes.grid(axis="y", color="#e6e6e6", linewidth=0.6, zorder=0)
    legend = axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9,
                         handles=_trace_legend_handles(axes, analysis))
    for line in legend.get_lines():
        line.set_linewidth(max(line.get_linewidth(), 1.5))


def _time_extent(time: np.ndarray, analysis: Analysis, scale: float) -> tuple[float, float]:
    if time.size:
        return float(time[0]), float(max(time[-1], analysis.duration_s / scale))
    return 0.0, max(analysis.duration_s / scale, 1.0)


def _set_trace_limits(axes: "Axes", traces: list[np.ndarray], limit_deg: float) -> None:
    """Fit the traces and the limit line, with head room above for the rep labels."""
    low, high = -5.0, limit_deg + 5.0
    for values in traces:
        finite = values[np.isfinite(values)]
        if finite.size:
            low = min(low, float(np.percentile(finite, 0.05)) - 3.0)
            high = max(high, float(np.percentile(finite, 99.95)) + 3.0)
    axes.set_ylim(low, high + 0.22 * (high - low))


def _rep_fill(rep: RepResult) -> str:
    if rep.is_clean:
        return CLEAN_FILL
    return NOT_JUDGED_FILL if is_not_judged(rep) else FLAGGED_FILL


def _shade_reps(axes: "Axes", reps: list[RepResult], scale: float) -> None:
    """One rectangle per rep, full height, in one collection (fast for hundreds of reps)."""
    from matplotlib.collections import PolyCollection

    if not reps:
        return
    boxes, colours = [], []
    for rep in reps:
        start, end = rep.start_s / scale, rep.end_s / scale
        if not (math.isfinite(start) and math.isfinite(end)):
            continue
        boxes.append([(start, 0.0), (start, 1.0), (end, 1.0), (end, 0.0)])
        colours.append(_rep_fill(rep))
    axes.add_collection(
        PolyCollection(boxes, facecolors=colours, edgecolors="none", zorder=1,
                       transform=axes.get_xaxis_transform()),
        autolim=False,
    )


def _hatch_gaps(axes: "Axes", gaps_s: list[tuple[float, float]], scale: float) -> None:
    for start_s, end_s in gaps_s:
        axes.axvspan(start_s / scale, end_s / scale, ymax=GAP_HATCH_TOP, facecolor="white",
                     edgecolor="#616161", hatch="////", linewidth=0.0, zorder=2.5)


def _label_reps(axes: "Axes", reps: list[RepResult], scale: float) -> None:
    """Rep numbers along the top, and the flag word under the number of each flagged rep.

    Labels that would overlap the previous one are skipped: rep numbers are thinned to
    every 2nd, 5th, 10th... rep for long sessions; flag words are kept where they fit,
    and a flagged rep whose word does not fit gets a short red tick instead.
    """
    if not reps:
        return
    x_per_point = _data_per_point(axes)
    numbers_gap = x_per_point * _POINTS_PER_CHAR * (len(str(len(reps))) + 1.5)
    step = _label_step(reps, numbers_gap, scale)
    transform = axes.get_xaxis_transform()

    last_x = -math.inf
    for rep in reps:
        x = (rep.start_s + rep.end_s) / 2.0 / scale
        if rep.rep % step and rep.rep != 1:
            continue
        if x - last_x < numbers_gap or not math.isfinite(x):
            continue
        axes.text(x, 0.985, str(rep.rep), transform=transform, ha="center", va="top",
                  fontsize=LABEL_FONT_PT, color="#424242", zorder=4)
        last_x = x

    last_end = -math.inf
    unlabelled: list[tuple[float, str]] = []
    for rep in reps:
        x = (rep.start_s + rep.end_s) / 2.0 / scale
        if rep.is_clean or not math.isfinite(x):
            continue
        word = _literal("/".join(flag_word(flag) for flag in rep.flags))
        colour = "#616161" if is_not_judged(rep) else FLAG_TEXT
        half_width = x_per_point * _POINTS_PER_CHAR * (len(word) + 1) / 2.0
        if x - half_width < last_end:
            unlabelled.append((x, colour))
            continue
        axes.text(x, 0.93, word, transform=transform, ha="center", va="top",
                  fontsize=LABEL_FONT_PT, color=colour, fontweight="bold", zorder=4)
        last_end = x + half_width
    if unlabelled:
        xs, colours = zip(*unlabelled)
        axes.vlines(xs, 0.845, 0.875, colors=colours, linewidth=1.2, transform=transform, zorder=4)


def _data_per_point(axes: "Axes") -> float:
    """How many x-data units one typographic point spans on this axes."""
    figure = axes.get_figure()
    width_in = axes.get_position().width * figure.get_figwidth() * 0.85
    low, high = axes.get_xlim()
    return (high - low) / max(width_in * 72.0, 1.0)


def _label_step(reps: list[RepResult], min_gap: float, scale: float) -> int:
    """Smallest of 1, 2, 5, 10, 20, 25, 50... such that most labelled reps are min_gap apart."""
    centres = np.array([(rep.start_s + rep.end_s) / 2.0 / scale for rep in reps])
    centres = centres[np.isfinite(centres)]
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        chosen = centres[step - 1 :: step]
        if chosen.size < 2 or np.median(np.diff(chosen)) >= min_gap:
            return step
    return 1000


def _trace_legend_handles(axes: "Axes", analysis: Analysis) -> list:
    from matplotlib.patches import Patch

    handles, _ = axes.get_legend_handles_labels()
    if any(rep.is_clean for rep in analysis.reps):
        handles.append(Patch(facecolor=CLEAN_FILL, label="Clean rep"))
    if any(rep.flags and not is_not_judged(rep) for rep in analysis.reps):
        handles.append(Patch(facecolor=FLAGGED_FILL, label="Flagged rep"))
    if any(is_not_judged(rep) for rep in analysis.reps):
        handles.append(Patch(facecolor=NOT_JUDGED_FILL, label="Not judged"))
    if analysis.traces.gaps_s:
        handles.append(Patch(facecolor="white", edgecolor="#616161", hatch="////", linewidth=0.0,
                             label="Data gap"))
    return handles


def _draw_rep_bars(axes: "Axes", analysis: Analysis) -> None:
    """Peak lumbar flexion per rep (bars up) and lockout extension (bars down)."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator, MultipleLocator

    reps = analysis.reps
    limits = analysis.thresholds
    estimated = analysis.mode == ONE_SENSOR or any(r.lumbar_flexion_source == ESTIMATED for r in reps)
    numbers = np.array([rep.rep for rep in reps], dtype=float)
    flexion = np.array([_value(rep.lumbar_flexion_deg) for rep in reps])
    extension = np.array([_value(rep.lockout_extension_deg) for rep in reps])
    over = np.array([ROUNDED in rep.flags or flexion[i] > limits.max_lumbar_flexion_deg
                     for i, rep in enumerate(reps)])
    arched = np.array([OVEREXTENDED in rep.flags or extension[i] > limits.max_lockout_extension_deg
                       for i, rep in enumerate(reps)])
    has_extension = bool(np.isfinite(extension).any())
    many = len(reps) > 60

    axes.bar(numbers, np.nan_to_num(flexion), width=1.0 if many else 0.8,
             color=np.where(over, BAR_OVER, BAR_OK), hatch=None if many or not estimated else "//",
             edgecolor="white", linewidth=0.0, zorder=3)
    rounding = _rounding_checked(analysis)
    if rounding:
        axes.axhline(limits.max_lumbar_flexion_deg, color=LIMIT_COLOUR, linestyle="--", linewidth=1.2, zorder=4)
    if has_extension:
        axes.bar(numbers, -np.nan_to_num(extension), width=0.8 if many else 0.45,
                 color=np.where(arched, LOCKOUT_OVER, LOCKOUT_OK), zorder=3)
        axes.axhline(-limits.max_lockout_extension_deg, color=LOCKOUT_OVER, linestyle=":", linewidth=1.2,
                     zorder=4)
    axes.axhline(0.0, color="black", linewidth=0.6, zorder=4)
    for rep, value in zip(reps, flexion) if not many else ():
        if not math.isfinite(value):
            axes.text(rep.rep, 0.5, "not judged" if is_not_judged(rep) else "no value", rotation=90,
                      ha="center", va="bottom", fontsize=8, color="#616161", zorder=5)

    top = max(limits.max_lumbar_flexion_deg, float(np.nanmax(flexion, initial=0.0))) * 1.15 + 2.0
    depth = max(limits.max_lockout_extension_deg, float(np.nanmax(extension, initial=0.0))) if has_extension else 0.0
    axes.set_ylim(-depth * 1.25 - 2.0, top)
    axes.set_xlim(numbers.min() - 0.7, numbers.max() + 0.7)
    if len(reps) <= 30:
        axes.xaxis.set_major_locator(MultipleLocator(1))
    else:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=20))
    axes.grid(axis="y", color="#e6e6e6", linewidth=0.6, zorder=0)
    axes.set_xlabel("Rep")
    flexion_label = "Peak lumbar flexion (°)" + (", estimated" if estimated else "")
    axes.set_ylabel(flexion_label + ("\nbelow 0: arching at lockout" if has_extension else ""))

    handles = [
        Patch(facecolor=BAR_OK, hatch="//" if estimated else None, edgecolor="white",
              label="Peak lumbar flexion" + (" (estimated)" if estimated else "")),
    ]
    if rounding:
        handles += [
            Patch(facecolor=BAR_OVER, label=f"Over {limits.max_lumbar_flexion_deg:g}°: rounded"),
            _line_handle(LIMIT_COLOUR, "--", f"Rounding limit ({limits.max_lumbar_flexion_deg:g}°)"),
        ]
    if has_extension:
        handles += [
            Patch(facecolor=LOCKOUT_OK, label="Extension at lockout"),
            Patch(facecolor=LOCKOUT_OVER, label=f"Over {limits.max_lockout_extension_deg:g}°: arched"),
            _line_handle(LOCKOUT_OVER, ":", f"Arching limit ({limits.max_lockout_extension_deg:g}°)"),
        ]
    else:
        handles.append(Patch(facecolor="none", edgecolor="none",
                             label="Arching at lockout is not\nmeasured with one sensor"))
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)


def _line_handle(colour: str, style: str, label: str):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=colour, linestyle=style, linewidth=1.2, label=label)


def _value(value: float | None) -> float:
    if value is None:
        return math.nan
    number = float(value)
    return number if math.isfinite(number) else math.nan


def _rounding_checked(analysis: Analysis) -> bool:
    """False for a drill that is not judged for rounding (a bridge): no rounding limit is drawn."""
    record = analysis.exercise
    if not record:
        return True
    return "rounded" in record.get("checks_measured", []) + record.get("checks_estimated", [])
