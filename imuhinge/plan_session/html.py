"""A plan session as one self-contained HTML page, to file in notes or show a patient.

Self-contained as the single-recording report is (``report.html``, whose styles and
sections it reuses): inline styles, figures embedded as base64 PNGs, nothing fetched
from the network; every string from a file (names, metadata, reasons) is HTML-escaped.

Order: the summary table (one row per drill, each linking to its section), the panels
of every drill at a glance, then one section per drill with what the single-recording
report shows of it (summary, warnings, plot, rep table, limits), then the recordings'
details and the methods once for the whole session.
"""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..report import html as report_html
from ..report.accuracy import ACCURACY_PATH, load_accuracy
from ..report.wording import duration_words, mode_words
from ..progress.sessions import parse_time
from .collect import ANALYSED, NOT_RECORDED, DrillOutcome, PlanSessionAnalysis
from .words import (
    DEPTH_NOTE, ESTIMATED_NOTE, all_estimated, any_estimated, depth_words, done_words, flagged_words,
    flags_words, header_words, lumbar_words, note_words,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CSS = report_html.CSS + """
section.drill { border-top: 3px solid #bdbdbd; margin-top: 36px; }
section.drill > h2 { border: 0; margin-top: 14px; }
section.drill p.cue { color: var(--muted); margin: 0 0 4px; max-width: 90ch; }
section.drill.missing { color: var(--muted); }
table.plan td a { color: inherit; }
table.plan tr.notrecorded td, table.plan tr.notanalysable td { color: var(--muted); }
table.plan tr.notanalysable td.note { color: #8d5b00; }
table.plan td.bad { color: var(--bad); font-weight: 600; }
"""


def write_plan_session_report(session: PlanSessionAnalysis, path: str | Path,
                              figure: "Figure | None" = None) -> None:
    """Write the page to ``path``; ``figure`` is the panel figure if already drawn."""
    Path(path).write_text(render_plan_session_report(session, figure), encoding="utf-8")


def render_plan_session_report(session: PlanSessionAnalysis, figure: "Figure | None" = None,
                               accuracy_path: str | Path = ACCURACY_PATH) -> str:
    """The page as one HTML string."""
    if figure is None:
        from .plot import plot_plan_session

        figure = plot_plan_session(session)
    analysed = session.analysed
    body = [
        _header(session),
        _summary(session),
        _panels(figure),
        *(_drill(drill) for drill in session.drills if drill.status != NOT_RECORDED),
    ]
    if analysed:
        body += [_recordings(session),
                 report_html.methods_html(analysed[0].analysis, load_accuracy(accuracy_path))]
    body.append(
        f'<footer>Made with imuhinge {escape(__version__)}. This report supports, and does not '
        "replace, a clinician's judgement.</footer>"
    )
    title = escape(f"{session.title}: {session.folder.name or session.folder}")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Session plan report: {title}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<main>\n" + "\n".join(part for part in body if part) + "\n</main>\n</body>\n</html>\n"
    )


def _header(session: PlanSessionAnalysis) -> str:
    return (
        "<header>\n<h1>Session plan report</h1>\n"
        f'<p class="file">{escape(header_words(session))}</p>\n'
        f'<p class="sub">{escape(str(session.folder))}</p>\n</header>'
    )


def _summary(session: PlanSessionAnalysis) -> str:
    est = " <small>(estimated)</small>" if all_estimated(session) else ""
    head = (
        '<tr><th class="num">#</th><th>Drill</th><th class="num">Reps or hold / target</th>'
        '<th class="num">Flagged</th><th>Flags (reps)</th><th class="num">Depth (°)</th>'
        f'<th class="num">Lumbar flexion (°){est}</th><th>Note</th></tr>'
    )
    rows = []
    for drill in session.drills:
        flagged = flagged_words(drill)
        bad = " bad" if flagged not in ("0", "–") else ""
        title = escape(drill.title)
        if drill.status != NOT_RECORDED:
            title = f'<a href="#drill-{drill.index}">{title}</a>'
        cells = [
            f'<td class="num">{drill.index}</td>', f"<td>{title}</td>",
            f'<td class="num">{escape(done_words(drill))}</td>',
            f'<td class="num{bad}">{escape(flagged)}</td>',
            f'<td class="{bad.strip()}">{escape(flags_words(drill))}</td>',
            f'<td class="num">{escape(depth_words(drill))}</td>',
            f'<td class="num">{escape(lumbar_words(drill, mark_estimated=not est))}</td>',
            f'<td class="note">{escape(note_words(drill))}</td>',
        ]
        rows.append(f'<tr class="{drill.status.replace(" ", "")}">{"".join(cells)}</tr>')
    notes = [DEPTH_NOTE] + ([ESTIMATED_NOTE] if any_estimated(session) and not est else [])
    left_out = ""
    if session.left_out:
        items = "".join(f"<li>{escape(sentence)}</li>" for sentence in session.left_out)
        left_out = f'<section class="warnings">\n<h3>Files left out</h3>\n<ul>{items}</ul>\n</section>\n'
    return (
        '<section class="summary">\n<h2>Drills</h2>\n<div class="scroll"><table class="reps plan">\n'
        f"<thead>{head}</thead>\n<tbody>{''.join(rows)}</tbody>\n</table></div>\n"
        + "".join(f'<p class="note">{escape(note)}</p>\n' for note in notes)
        + left_out + "</section>"
    )


def _panels(figure: "Figure") -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    caption = (
        "Each drill's pelvic tilt over its recording, drawn so that a rep goes up (for the "
        "bridge: hip extension). Reps are shaded green when clean and red when flagged; a "
        "cross marks the bottom of each flagged rep. Each drill's own section below shows "
        "its angles and verdicts in full."
    )
    return (
        '<section>\n<h2>At a glance</h2>\n<figure>'
        f'<img src="data:image/png;base64,{encoded}" alt="One small plot per drill: pelvic tilt over '
        f'time with the reps shaded">'
        f"<figcaption>{escape(caption)}</figcaption></figure>\n</section>"
    )


def _drill(drill: DrillOutcome) -> str:
    heading = f'<h2>{drill.index}. {escape(drill.title)}</h2>\n'
    where = f'<p class="sub">{escape(drill.path.name)}' if drill.path is not None else '<p class="sub">'
    if drill.status != ANALYSED:
        return (
            f'<section class="drill missing" id="drill-{drill.index}">\n{heading}{where}</p>\n'
            f"<p><strong>Not analysable:</strong> {escape(str(drill.reason))}</p>\n</section>"
        )
    analysis = drill.analysis
    where += f" · {escape(mode_words(analysis).capitalize())} · {escape(duration_words(analysis.duration_s))}</p>\n"
    cue = f'<p class="cue">{escape(str(analysis.exercise.get("cue", "")))}</p>\n' if analysis.exercise else ""
    from ..report.plot import plot_session

    figure = plot_session(analysis)
    parts = [
        report_html.summary_html(analysis),
        report_html.warnings_html(analysis),
        report_html.plot_html(figure, analysis),
        report_html.rep_table_html(analysis),
        report_html.limits_html(analysis),
    ]
    inner = "\n".join(_demote(part) for part in parts if part)
    return f'<section class="drill" id="drill-{drill.index}">\n{heading}{where}{cue}{inner}\n</section>'


def _recordings(session: PlanSessionAnalysis) -> str:
    """The recordings' details in one table: file, sensors, calibration, duration, start."""
    head = ('<tr><th class="num">#</th><th>File</th><th>Sensors</th><th>Calibrated from</th>'
            '<th class="num">Duration</th><th class="num">Start (UTC)</th></tr>')
    rows = []
    for drill in session.drills:
        if drill.status != ANALYSED:
            continue
        analysis = drill.analysis
        started = parse_time(drill.start_utc) if drill.start_utc else None
        cells = [
            (str(drill.index), "num"), (drill.path.name, ""), (mode_words(analysis), ""),
            (report_html.calibration_words(analysis), ""), (duration_words(analysis.duration_s), "num"),
            (started.strftime("%Y-%m-%d %H:%M:%S") if started else (drill.start_utc or "–"), "num"),
        ]
        rows.append("<tr>" + "".join(f'<td class="{c}">{escape(t)}</td>' for t, c in cells) + "</tr>")
    return (
        '<section>\n<h2>Recordings</h2>\n<div class="scroll"><table class="reps">'
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>\n</section>"
    )


def _demote(html: str) -> str:
    """A single-report section one heading level down, to sit inside a drill's section.

    Only the report's own tags are rewritten: text from files is escaped, so it holds no
    ``<h2>``."""
    for level in (4, 3, 2):
        html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(f"</h{level}>", f"</h{level + 1}>")
    return html
