"""The per-rep table and summary printed to the terminal after an analysis.

Built from rich ``Text`` objects only: the file name, metadata, warnings and reasons are
untrusted text and must never be read as rich markup (a file named ``[red]x[/red]``
prints as those characters). Sized to read well in a 100-column terminal; in narrower
ones the reasons move from under each verdict to a list under the table.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from ..pipeline.result import ACCELEROMETER_ONLY, ESTIMATED, ONE_SENSOR, Analysis, RepResult
from ..pipeline.verdicts import accelerometer_only_reason
from .wording import (
    MISSING,
    arching_measured,
    display_name,
    duration_words,
    drill_limits,
    exercise_line,
    flag_word,
    fmt_number,
    missing_checks_sentence,
    is_not_judged,
    lower_back_judged,
    mode_short,
    summary_line,
)

_AS_NAMED = ("rounded", "overextended", "gap", "saturated")
"""Flags the verdict column shows by their name (as it always has); others in plain words."""
CLEAN_STYLE = "green"
FLAG_STYLE = "bold red"
NOT_JUDGED_STYLE = "yellow"
WARNING_STYLE = "yellow"
MISSING_STYLE = "dim"
WIDE_COLUMNS = 90


def render_session(analysis: Analysis) -> RenderableType:
    """Everything printed for one analysis: heading, rep table, summary, limits, warnings."""
    parts: list[RenderableType] = [_heading(analysis)]
    drill = exercise_line(analysis)
    if drill is not None:
        parts.append(Text(drill, style="bold"))
        parts.append(Text(str(analysis.exercise.get("cue", "")), style="dim"))
    if analysis.reps:
        parts += [_RepTableFitted(analysis), Text("")]
    if analysis.holds:
        parts += [hold_table(analysis), Text("")]
    parts.append(Text(summary_line(analysis), style="bold"))
    parts.append(_limits_line(analysis))
    missing = missing_checks_sentence(analysis)
    if missing is not None:
        parts.append(Text(missing, style="dim"))
    for warning in analysis.warnings:
        parts.append(Text.assemble(("warning: ", f"bold {WARNING_STYLE}"), (str(warning), WARNING_STYLE)))
    return Group(*parts)


def print_session(analysis: Analysis, console: Console) -> None:
    """Print the session's table and summary on ``console``."""
    console.print(render_session(analysis), highlight=False)


class _RepTableFitted:
    """The rep table laid out for the width it is printed at.

    At ``WIDE_COLUMNS`` or more each flagged rep's reasons sit under its verdict; in a
    narrower terminal (or a pipe, which rich treats as 80 columns) they would wrap into
    a thin column, so they are listed under the table instead, one line per rep.
    """

    def __init__(self, analysis: Analysis):
        self.analysis = analysis

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        wide = options.max_width >= WIDE_COLUMNS
        yield rep_table(self.analysis, reasons_inline=wide)
        if not wide:
            for rep in self.analysis.reps:
                reasons = shown_reasons(rep)
                if reasons:
                    line = Text(f"rep {rep.rep}: ", style="bold")
                    line.append(" ".join(reasons))
                    yield line


def rep_table(analysis: Analysis, reasons_inline: bool = True) -> Table:
    """One row per rep: times, peak angles, and the verdict with the reasons under it.

    Columns no rep has a value for (lockout extension with one sensor) are left out.
    Estimated values are marked "est.": in the column header when every rep's lumbar
    flexion is estimated, otherwise next to each estimated number.
    """
    reps = analysis.reps
    all_estimated = bool(reps) and all(rep.lumbar_flexion_source == ESTIMATED for rep in reps)
    est_header = " est." if all_estimated else ""
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False, header_style="bold")
    columns = [  # (header, cell, the RepResult field whose absence drops the column)
        ("rep", lambda rep: Text(str(rep.rep)), None),
        ("start\ns", lambda rep: Text(fmt_number(rep.start_s)), None),
        ("bottom→end\ns", lambda rep: Text(f"{fmt_number(rep.bottom_s)}→{fmt_number(rep.end_s)}"), None),
        ("pelvis\ntilt °", lambda rep: _number(rep.pelvis_tilt_deg), None),
        (f"trunk\nincl. °{est_header}",
         lambda rep: _number(rep.trunk_inclination_deg, _mark(rep, all_estimated)), "trunk_inclination_deg"),
        (f"lumbar\nflex. °{est_header}",
         lambda rep: _number(rep.lumbar_flexion_deg, _mark(rep, all_estimated)),
         None if lower_back_judged(analysis) else "lumbar_flexion_deg"),
        ("lockout\next. °", lambda rep: _number(rep.lockout_extension_deg), "lockout_extension_deg"),
        ("hinge\nratio", lambda rep: _number(rep.hinge_ratio, decimals=2), "hinge_ratio"),
    ]
    columns = [
        (header, cell)
        for header, cell, field in columns
        if field is None or any(getattr(rep, field) is not None for rep in reps)
    ]
    for header, _ in columns:
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("verdict", min_width=14, ratio=1, overflow="fold")
    for rep in reps:
        table.add_row(*(cell(rep) for _, cell in columns), _verdict(rep, reasons_inline))
    return table


def hold_table(analysis: Analysis) -> Table:
    """One row per hold of a hold drill: when, how long, the sway and the verdict."""
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False, header_style="bold")
    for header in ("hold", "start\ns", "end\ns", "held\ns", "sway\n° rms"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("verdict", min_width=14, ratio=1, overflow="fold")
    for number, hold in enumerate(analysis.holds or (), start=1):
        verdict = Text("steady", style=CLEAN_STYLE)
        if hold.flags:
            verdict = Text(", ".join(flag_word(f) for f in hold.flags), style=FLAG_STYLE)
            for reason in hold.reasons:
                verdict.append("\n")
                verdict.append(str(reason))
        table.add_row(
            Text(str(number)), Text(fmt_number(hold.start_s)), Text(fmt_number(hold.end_s)),
            Text(fmt_number(hold.duration_s)), _number(hold.sway_deg), verdict,
        )
    return table


def _mark(rep: RepResult, all_estimated: bool) -> bool:
    return rep.lumbar_flexion_source == ESTIMATED and not all_estimated


def _number(value: float | None, estimated: bool = False, decimals: int = 1) -> Text:
    text = fmt_number(value, decimals)
    if text == MISSING:
        return Text(text, style=MISSING_STYLE)
    if estimated:
        return Text.assemble(text, (" est.", MISSING_STYLE))
    return Text(text)


def _verdict(rep: RepResult, with_reasons: bool) -> Text:
    """"clean" in green, or the flags in red with the reasons on the lines below."""
    if rep.is_clean:
        return Text("clean", style=CLEAN_STYLE)
    style = NOT_JUDGED_STYLE if is_not_judged(rep) else FLAG_STYLE
    verdict = Text()
    words = [
        "not judged" if flag == ACCELEROMETER_ONLY else str(flag) if flag in _AS_NAMED else flag_word(flag)
        for flag in rep.flags
    ]
    verdict.append(", ".join(words), style=style)
    for reason in shown_reasons(rep) if with_reasons else ():
        verdict.append("\n")
        verdict.append(reason)
    return verdict


def shown_reasons(rep: RepResult) -> list[str]:
    """The reasons worth a line under a rep: all but the accelerometer-only one, which
    is the same for every rep and said once, in the warnings."""
    skip = accelerometer_only_reason()
    return [str(reason) for reason in rep.reasons if str(reason) != skip]


def _heading(analysis: Analysis) -> Text:
    heading = Text(display_name(analysis.source), style="bold")
    heading.append(f" · {mode_short(analysis)} · {duration_words(analysis.duration_s)}")
    return heading


def _limits_line(analysis: Analysis) -> Text:
    line = _back_limits_line(analysis)
    drill = drill_limits(analysis)
    if drill:
        line.append("\nThis drill's own checks: " + "; ".join(f"{word}: {rule}" for word, rule in drill) + ".")
    return line


def _back_limits_line(analysis: Analysis) -> Text:
    limits = analysis.thresholds
    record = analysis.exercise
    if record and not ({"rounded", "overextended"} & {c for c in record.get("checks_measured", []) + record.get("checks_estimated", [])}):
        return Text("This drill is not judged for rounding or arching of the lower back.", style="dim")
    if not lower_back_judged(analysis):
        return Text(
            "The lower back is not judged with one accelerometer-only sensor; reps and the hip "
            "hinge angle are measured.",
            style="dim",
        )
    rounded = f"Limits: rounded above {limits.max_lumbar_flexion_deg:g}° lumbar flexion"
    if analysis.mode == ONE_SENSOR and not arching_measured(analysis):
        return Text(f"{rounded}. Arching at lockout is not measured with one sensor.", style="dim")
    return Text(
        f"{rounded}, overextended above {limits.max_lockout_extension_deg:g}° extension at lockout.",
        style="dim",
    )
