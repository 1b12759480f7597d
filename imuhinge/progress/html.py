"""The progression as one self-contained HTML file, to file in notes or show a patient.

Self-contained as the session report is (``imuhinge.report.html``, whose styles it
uses): inline styles, the trend figure embedded as a base64 PNG, nothing fetched from
the network. Every string that came from a file (file names, the folder, reasons) is
HTML-escaped.
"""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..report.html import CSS as REPORT_CSS
from ..report.wording import MISSING
from .collect import Progress
from .json_report import ORDER_SENTENCE
from .rule import MAX_FLAGGED_SHARE, RULE_SENTENCE, DrillProgress
from .words import (
    ESTIMATED_NOTE, degrees_words, done_words, drill_heading, seconds_words, session_time_words,
    share_words, trend_words,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_CSS = REPORT_CSS + """
.suggestion { border: 2px solid #a5d6a7; background: #f1f8e9; border-radius: 8px; padding: 8px 16px; }
.suggestion.keep { border-color: #ffe082; background: #fff8e1; }
.suggestion p { margin: 4px 0; max-width: 85ch; }
p.advice { max-width: 85ch; }
p.advice.done { color: var(--good); font-weight: 600; }
td.bad { color: var(--bad); font-weight: 600; }
td.good { color: var(--good); font-weight: 600; }
"""


def write_progress_report(progress: Progress, path: str | Path, figure: "Figure | None" = None) -> None:
    """Write the HTML report to ``path``; ``figure`` is the trend figure if already drawn."""
    Path(path).write_text(render_progress_report(progress, figure), encoding="utf-8")


def render_progress_report(progress: Progress, figure: "Figure | None" = None) -> str:
    """The report as one HTML string."""
    if figure is None:
        from .plot import plot_progress

        figure = plot_progress(progress)
    folder = escape(progress.folder.name or str(progress.folder))
    body = "\n".join([
        _header(progress),
        _suggestion(progress),
        _overview(progress),
        _plot(figure),
        *(_drill(progress, drill) for drill in progress.drills),
        _skipped(progress),
        f'<footer>Made with imuhinge {escape(__version__)}. {escape(ORDER_SENTENCE)} This report '
        "supports, and does not replace, a clinician's judgement.</footer>",
    ])
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Progress across sessions: {folder}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _header(progress: Progress) -> str:
    sessions, drills = progress.sessions, len(progress.drills)
    return (
        "<header>\n<h1>Progress across sessions</h1>\n"
        f'<p class="file">{escape(str(progress.folder))}</p>\n'
        f'<p class="sub">{sessions} session{"s" if sessions != 1 else ""} of {drills} '
        f'drill{"s" if drills != 1 else ""}'
        + (f", {len(progress.skipped)} file(s) skipped" if progress.skipped else "")
        + "</p>\n</header>"
    )


def _suggestion(progress: Progress) -> str:
    suggestion = progress.suggestion
    if suggestion is None:
        return ""
    kind = "" if suggestion.done_cleanly else " keep"
    return (
        f'<section class="suggestion{kind}">\n<h2>What next</h2>\n'
        f"<p><strong>{escape(suggestion.text)}</strong></p>\n"
        f'<p class="note">{escape(RULE_SENTENCE)}</p>\n</section>'
    )


def _overview(progress: Progress) -> str:
    head = (
        '<tr><th class="num">Step</th><th>Drill</th><th class="num">Sessions</th>'
        '<th class="num">Last session vs target</th><th class="num">Flagged, first → last</th>'
        '<th class="num">Depth (pelvic tilt), first → last</th>'
        '<th class="num">Lumbar flexion, first → last</th><th>Done cleanly</th></tr>'
    )
    rows = []
    for drill in progress.drills:
        hold = drill.profile.kind == "hold"
        done = drill.done_cleanly
        cells = [
            (str(drill.profile.order), "num"), (drill.profile.title, ""), (str(len(drill.sessions)), "num"),
            (done_words(drill.last), "num"), (trend_words(drill, "flagged_share"), "num"),
            (MISSING if hold else trend_words(drill, "median_pelvis_tilt_deg"), "num"),
            (MISSING if hold else trend_words(drill, "median_lumbar_flexion_deg"), "num"),
            ("yes" if done else "not yet", "good" if done else ""),
        ]
        rows.append("<tr>" + "".join(f'<td class="{c}">{escape(t)}</td>' for t, c in cells) + "</tr>")
    note = _estimated_note(progress)
    return (
        '<section>\n<h2>Drills</h2>\n<div class="scroll"><table class="reps">\n'
        f"<thead>{head}</thead>\n<tbody>{''.join(rows)}</tbody>\n</table></div>\n{note}</section>"
    )


def _estimated_note(progress: Progress) -> str:
    if any(n.lumbar_flexion_estimated for d in progress.drills for n in d.numbers):
        return f'<p class="note">{escape(ESTIMATED_NOTE)}</p>\n'
    return ""


def _plot(figure: "Figure") -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    caption = (
        "Per drill, sessions left to right. Bars: share of flagged reps (dashed: the "
        f"{MAX_FLAGGED_SHARE:.0%} of the done-cleanly rule). Line: median peak lumbar flexion "
        "per session (dotted: the rounding limit; hollow markers and a dashed line: estimated "
        "with one sensor). A hold drill shows unsteady holds and the longest steady hold "
        "against its target."
    )
    return (
        '<section>\n<h2>Trends</h2>\n<figure>'
        f'<img alt="Trend plots: flagged reps and lumbar flexion per session, one panel per drill" '
        f'src="data:image/png;base64,{encoded}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>\n</section>"
    )


def _drill(progress: Progress, drill: DrillProgress) -> str:
    hold = drill.profile.kind == "hold"
    headers = ["#", "Recorded (UTC)", "File"] + (
        ["Holds", "Unsteady", "Longest steady hold / target", "Target reached"] if hold else
        ["Reps / target", "Flagged", "Depth (pelvic tilt)", "Lumbar flexion", "Last reps clean"]
    )
    rows = []
    for number, (session, n) in enumerate(zip(drill.sessions, drill.numbers), start=1):
        cells = [(str(number), "num"), (session_time_words(session), "num"), (session.name, "")]
        if hold:
            cells += [
                (str(n.holds), "num"), (str(n.unsteady_holds), "num bad" if n.unsteady_holds else "num"),
                (f"{seconds_words(n.longest_steady_hold_s)} / {n.target_hold_s:g} s", "num"),
                ("yes" if n.target_reached else "no", "good" if n.target_reached else ""),
            ]
        else:
            share = n.flagged_share
            flagged = share_words(share) + (f" ({n.flagged_reps}/{n.judged_reps})" if share is not None else "")
            cells += [
                (done_words(n), "num"),
                (flagged, "num bad" if share is not None and share > MAX_FLAGGED_SHARE else "num"),
                (degrees_words(n.median_pelvis_tilt_deg), "num"),
                (degrees_words(n.median_lumbar_flexion_deg, n.lumbar_flexion_estimated), "num"),
                ("yes" if n.last_reps_clean else "no", "good" if n.last_reps_clean else ""),
            ]
        rows.append("<tr>" + "".join(f'<td class="{c}">{escape(t)}</td>' for t, c in cells) + "</tr>")
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    advice = progress.advice(drill)
    return (
        f"<section>\n<h2>{escape(drill_heading(drill))}</h2>\n"
        f'<p class="sub cue">{escape(drill.profile.cue)}</p>\n'
        f'<div class="scroll"><table class="reps">\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>{''.join(rows)}</tbody>\n</table></div>\n"
        f'<p class="advice{" done" if advice.done_cleanly else ""}">{escape(advice.text)}</p>\n</section>'
    )


def _skipped(progress: Progress) -> str:
    if not progress.skipped:
        return ""
    items = "".join(f"<li>{escape(s.reason)}</li>" for s in progress.skipped)
    return (
        '<section class="warnings">\n<h2>Files skipped</h2>\n'
        f"<p>These files could not be analysed and are left out:</p>\n<ul>{items}</ul>\n</section>"
    )
