"""Everything ``imuhinge analyse PLAN_FOLDER`` shows and writes, in one call.

As for one recording (``report.outputs``): the summary goes to the terminal, the JSON,
plot and HTML page are written when asked for, then one line per file written says
where; with ``json_path="-"`` the JSON goes to standard output and everything else to
standard error. The panel figure is drawn once and shared by the PNG and the page.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from ..errors import BadInputError
from ..report.outputs import STDOUT, write_file
from .collect import PlanSessionAnalysis
from .table import print_plan_session


def write_plan_outputs(
    session: PlanSessionAnalysis,
    json_path: str | Path | None = None,
    plot_path: str | Path | None = None,
    report_path: str | Path | None = None,
    limits: str | None = None,
    console: Console | None = None,
) -> list[Path]:
    """Print the summary and details, write the requested files, return the paths written.

    ``BadInputError`` (after printing) when no drill could be analysed: then no file is
    written (when that was for an unexpected error, the error itself, so the command ends
    with status 1). ``limits``: one line on the limits used, printed under the table.
    """
    json_to_stdout = json_path is not None and str(json_path) == STDOUT
    if console is None:
        console = Console(stderr=json_to_stdout, highlight=False)
    print_plan_session(session, console, limits)
    if not session.analysed:
        bug = next((d.unexpected for d in session.drills if d.unexpected is not None), None)
        if bug is not None:
            raise bug
        raise BadInputError(
            f"no drill recorded in {session.folder} could be analysed ({session.recorded} of "
            f"{session.count} recorded; the reasons are above)"
        )

    written: list[tuple[str, Path]] = []
    if json_path is not None:
        from .json_report import write_plan_session_json

        write_file("the plan session JSON", json_path, lambda: write_plan_session_json(session, json_path))
        if not json_to_stdout:
            written.append(("plan session JSON", Path(json_path)))
    if plot_path is not None or report_path is not None:
        from .plot import plot_plan_session

        figure = plot_plan_session(session)
        if plot_path is not None:
            write_file("the plot", plot_path, lambda: figure.savefig(plot_path), image=True)
            written.append(("plot (one panel per drill)", Path(plot_path)))
        if report_path is not None:
            from .html import write_plan_session_report

            write_file("the report", report_path, lambda: write_plan_session_report(session, report_path, figure))
            written.append(("report", Path(report_path)))
    for label, path in written:
        console.print(Text.assemble(f"{label} written to ", (str(path), "bold")), highlight=False)
    return [path for _, path in written]
