"""The progression printed to the terminal: an overview of every drill, then each
drill's sessions, its advice, the suggestion and the rule behind it.

Built from rich ``Text`` only: file names and reasons are untrusted text and must never
be read as rich markup. Styles follow ``imuhinge.report.table``.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..report.wording import MISSING
from ..report.table import CLEAN_STYLE, FLAG_STYLE, MISSING_STYLE, WARNING_STYLE
from .collect import Progress
from .json_report import ORDER_SENTENCE
from .numbers import SessionNumbers
from .rule import MAX_FLAGGED_SHARE, RULE_SENTENCE, DrillProgress
from .words import (
    ESTIMATED_NOTE, degrees_words, done_words, drill_heading, seconds_words, session_time_words,
    share_words, trend_words,
)


def render_progress(progress: Progress) -> RenderableType:
    """Everything printed for the progression."""
    parts: list[RenderableType] = [
        Text.assemble(("Progress across sessions: ", "bold"), str(progress.folder)),
        Text(
            f"{progress.sessions} session{'s' if progress.sessions != 1 else ''} of "
            f"{len(progress.drills)} drill{'s' if len(progress.drills) != 1 else ''}. {ORDER_SENTENCE}",
            style="dim",
        ),
    ]
    if progress.drills:
        parts += [overview_table(progress), Text("")]
    for drill in progress.drills:
        parts += [Text(drill_heading(drill), style="bold"), session_table(drill)]
        advice = progress.advice(drill)
        parts += [Text(advice.text, style=CLEAN_STYLE if advice.done_cleanly else ""), Text("")]
    if any(n.lumbar_flexion_estimated for d in progress.drills for n in d.numbers):
        parts.append(Text(ESTIMATED_NOTE, style="dim"))
    if progress.suggestion is not None:
        parts.append(Text.assemble(("Suggestion: ", "bold"), (progress.suggestion.text, "bold")))
        parts.append(Text(f"Rule: {RULE_SENTENCE}", style="dim"))
    for skipped in progress.skipped:
        parts.append(Text.assemble(("skipped: ", f"bold {WARNING_STYLE}"), (skipped.reason, WARNING_STYLE)))
    return Group(*parts)


def print_progress(progress: Progress, console: Console) -> None:
    console.print(render_progress(progress), highlight=False)


def _table() -> Table:
    return Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False, header_style="bold")


def overview_table(progress: Progress) -> Table:
    """One row per drill, in programme order: sessions, the last session against the
    target, and first → last session of the flagged share, depth and lumbar flexion."""
    table = _table()
    table.caption = "trends: first session → last; depth is the peak pelvic tilt"
    table.caption_justify = "left"
    table.add_column("drill (step)", ratio=1, overflow="fold", min_width=14)
    table.add_column("sessions", justify="right")
    table.add_column("last vs\ntarget", justify="right", no_wrap=True)
    table.add_column("flagged", justify="right", no_wrap=True)
    table.add_column("depth", justify="right", no_wrap=True)
    table.add_column("lumbar\nflexion", justify="right", no_wrap=True)
    table.add_column("done\ncleanly", no_wrap=True)
    for drill in progress.drills:
        hold = drill.profile.kind == "hold"
        table.add_row(
            Text(f"{drill.profile.order}. {drill.profile.title}"),
            Text(str(len(drill.sessions))),
            Text(done_words(drill.last)),
            Text(trend_words(drill, "flagged_share")),
            _dim_dash(trend_words(drill, "median_pelvis_tilt_deg") if not hold else MISSING),
            _dim_dash(trend_words(drill, "median_lumbar_flexion_deg") if not hold else MISSING),
            Text("yes", style=CLEAN_STYLE) if drill.done_cleanly else Text("not yet"),
        )
    return table


def session_table(drill: DrillProgress) -> Table:
    """One row per session of a drill, in time order; depth is the peak pelvic tilt."""
    table = _table()
    hold = drill.profile.kind == "hold"
    headers = ["#", "recorded\n(UTC)"]
    headers += ["holds", "unsteady", "longest\nsteady hold", "target\nreached"] if hold else [
        "reps /\ntarget", "flagged", "depth", "lumbar\nflexion", "last 5\nclean"
    ]
    for header in headers:
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("file", ratio=1, overflow="fold", min_width=8)
    for number, (session, numbers) in enumerate(zip(drill.sessions, drill.numbers), start=1):
        cells = [Text(str(number)), Text(session_time_words(session))]
        if hold:
            cells += [
                Text(str(numbers.holds)),
                Text(str(numbers.unsteady_holds), style=FLAG_STYLE if numbers.unsteady_holds else ""),
                Text(f"{seconds_words(numbers.longest_steady_hold_s)} / {numbers.target_hold_s:g} s"),
                _yes_no(numbers.target_reached),
            ]
        else:
            cells += [
                Text(done_words(numbers)),
                _share(numbers),
                _dim_dash(degrees_words(numbers.median_pelvis_tilt_deg)),
                _dim_dash(degrees_words(numbers.median_lumbar_flexion_deg, numbers.lumbar_flexion_estimated)),
                _yes_no(numbers.last_reps_clean),
            ]
        table.add_row(*cells, Text(session.name))
    return table


def _share(numbers: SessionNumbers) -> Text:
    share = numbers.flagged_share
    words = share_words(share)
    if share is None:
        return Text(words, style=MISSING_STYLE)
    detail = f" ({numbers.flagged_reps}/{numbers.judged_reps})"
    return Text(words + detail, style=FLAG_STYLE if share > MAX_FLAGGED_SHARE else "")


def _yes_no(value: bool) -> Text:
    return Text("yes", style=CLEAN_STYLE) if value else Text("no")


def _dim_dash(words: str) -> Text:
    return Text(words, style=MISSING_STYLE if words == MISSING else "")
