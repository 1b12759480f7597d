"""What ``imuhinge analyse PLAN_FOLDER`` prints: a header, one summary row per drill,
then each drill in a few lines: its counts, one line per fault naming the reps that had
it with their values, and its warnings.

Eleven full rep tables would run to hundreds of lines; the rows say how each drill went,
and the fault lines name the reps to look at (``imuhinge analyse`` on one drill's file,
or the ``--report`` page, gives every rep with its reasons). Like the single-recording
table, everything is built from rich ``Text``, so file names, metadata and reasons are
never read as markup. In a terminal narrower than ``WIDE_COLUMNS`` (a pipe counts as 80)
each flag sits on its own line of its cell, and a drill's not-analysable reason moves
from its cell to a line under the table.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from ..pipeline.result import NOT_JUDGED_FLAGS
from ..report.table import CLEAN_STYLE, FLAG_STYLE, MISSING_STYLE, WARNING_STYLE
from ..report.wording import MISSING, duration_words, missing_checks_sentence, mode_short, summary_line
from .collect import ANALYSED, NOT_ANALYSABLE, NOT_RECORDED, DrillOutcome, PlanSessionAnalysis
from .words import (
    DEPTH_NOTE, ESTIMATED_NOTE, all_estimated, any_estimated, depth_words, done_words, flag_groups,
    flagged_cell, flagged_words, header_words, lumbar_words, note_words,
)

WIDE_COLUMNS = 120
"""From this width the summary's cells hold their flags on one line and the full notes."""


def render_plan_session(session: PlanSessionAnalysis, limits: str | None = None) -> RenderableType:
    """Everything printed for a plan session; ``limits``: one line on the limits used."""
    parts: list[RenderableType] = [
        Text(f"Session plan: {session.title}", style="bold"),
        Text.assemble(header_words(session, title=False), (f" · {session.folder}", "dim")),
        Text(""),
        _SummaryFitted(session),
        Text(DEPTH_NOTE, style="dim"),
    ]
    if any_estimated(session) and not all_estimated(session):
        parts.append(Text(ESTIMATED_NOTE, style="dim"))
    if limits:
        parts.append(Text(limits, style="dim"))
    for drill in session.drills:
        if drill.status != NOT_RECORDED:
            parts += [Text(""), *drill_details(drill)]
    if session.left_out:
        parts.append(Text(""))
    for sentence in session.left_out:
        parts.append(Text.assemble(("note: ", f"bold {WARNING_STYLE}"), (sentence, WARNING_STYLE)))
    return Group(*parts)


def print_plan_session(session: PlanSessionAnalysis, console: Console, limits: str | None = None) -> None:
    console.print(render_plan_session(session, limits), highlight=False)


class _SummaryFitted:
    """The summary table laid out for the width it is printed at (see the module)."""

    def __init__(self, session: PlanSessionAnalysis):
        self.session = session

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        wide = options.max_width >= WIDE_COLUMNS
        yield summary_table(self.session, wide)
        if not wide:
            for drill in self.session.drills:
                note = note_words(drill)
                if note and drill.status != NOT_RECORDED:
                    style = WARNING_STYLE if drill.status == NOT_ANALYSABLE else ""
                    yield Text.assemble((f"{drill.index}. ", f"bold {style}"), (note, style))


def summary_table(session: PlanSessionAnalysis, wide: bool = True) -> Table:
    """One row per drill of the plan, in plan order (see ``words`` for each cell).

    ``wide``: with a note column; otherwise a drill not analysed says so in its flagged
    cell, and the notes are printed under the table (``_SummaryFitted``).
    """
    estimated_header = " est." if all_estimated(session) else ""
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False,
                  header_style="bold")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("drill", min_width=12, ratio=3, overflow="fold")
    table.add_column("reps or hold\n/ target", justify="right", no_wrap=True)
    if wide:
        table.add_column("flagged", min_width=10, ratio=3, overflow="fold")
    else:
        table.add_column("flagged", no_wrap=True)
    table.add_column("depth\n°", justify="right", no_wrap=True)
    table.add_column(f"lumbar\nflex. °{estimated_header}", justify="right", no_wrap=True)
    if wide:
        table.add_column("note", min_width=14, ratio=3, overflow="fold")
    for drill in session.drills:
        analysed = drill.status == ANALYSED
        flagged = flagged_words(drill) not in ("0", MISSING)
        if analysed or wide:
            flagged_text = _dim_dash(flagged_cell(drill, wide), FLAG_STYLE if flagged else "")
        else:
            flagged_text = Text(drill.status, style=WARNING_STYLE if drill.status == NOT_ANALYSABLE else MISSING_STYLE)
        cells = [
            Text(str(drill.index)),
            Text(drill.title, style="" if analysed else MISSING_STYLE),
            _dim_dash(done_words(drill)),
            flagged_text,
            _dim_dash(depth_words(drill)),
            _dim_dash(lumbar_words(drill, mark_estimated=not estimated_header)),
        ]
        if wide:
            style = "" if analysed else WARNING_STYLE if drill.status == NOT_ANALYSABLE else MISSING_STYLE
            cells.append(Text(note_words(drill), style=style))
        table.add_row(*cells)
    return table


def drill_details(drill: DrillOutcome) -> list[RenderableType]:
    """A drill in a few lines: title, file, sensors and duration; its counts; one line per
    fault with the reps that had it; the checks not made; its warnings on one line."""
    heading = Text(f"{drill.index}. {drill.title}", style="bold")
    if drill.path is not None:
        heading.append(f" · {drill.path.name}", style="")
    if drill.status != ANALYSED:
        heading.append(" · ")
        heading.append(note_words(drill), style=WARNING_STYLE)
        return [heading]
    analysis = drill.analysis
    heading.append(f" · {mode_short(analysis)} · {duration_words(analysis.duration_s)}", style="")
    lines: list[RenderableType] = [heading]
    counts = summary_line(analysis)
    if analysis.holds:
        counts += " (" + ", ".join(
            f"{hold.duration_s:.0f} s, sway {hold.sway_deg:.1f}° rms" for hold in analysis.holds) + ")"
    lines.append(Text(f"  {counts}", style=CLEAN_STYLE if _all_clean(drill) else ""))
    for group in flag_groups(drill):
        not_judged = group.flag in NOT_JUDGED_FLAGS
        label = Text(f"  {group.label}", style=MISSING_STYLE if not_judged else FLAG_STYLE)
        if group.limit:
            label.append(f" ({group.limit})")
        label.append(": ")
        lines.append(_ItemsLine(label, group.items))
    missing = missing_checks_sentence(analysis)
    if missing is not None:
        lines.append(Text(f"  {missing}", style="dim"))
    if analysis.warnings:
        lines.append(Text.assemble(("  warnings: ", f"bold {WARNING_STYLE}"),
                                   ("; ".join(str(w) for w in analysis.warnings), WARNING_STYLE)))
    return lines


class _ItemsLine:
    """``label`` then ``items`` separated by commas, wrapped between items only (never
    inside ``rep 12 19°``), continued lines indented under the first item."""

    def __init__(self, label: Text, items: tuple[str, ...]):
        self.label = label
        self.items = items

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        indent = len(self.label.plain) if len(self.label.plain) <= width // 2 else 4
        line = self.label.copy()
        for number, item in enumerate(self.items):
            word = item + ("," if number < len(self.items) - 1 else "")
            if len(line.plain) > indent and len(line.plain) + 1 + len(word) > width:
                yield line
                line = Text(" " * indent)
            elif len(line.plain) > indent and not line.plain.endswith(": "):
                line.append(" ")
            line.append(word)
        yield line


def _all_clean(drill: DrillOutcome) -> bool:
    analysis = drill.analysis
    if analysis.holds is not None:
        return bool(analysis.holds) and not any(hold.flags for hold in analysis.holds)
    return bool(analysis.reps) and all(rep.is_clean for rep in analysis.reps)


def _dim_dash(words: str, style: str = "") -> Text:
    return Text(words, style=MISSING_STYLE if words == MISSING else style)
