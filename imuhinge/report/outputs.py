"""Everything a command shows and writes at the end of an analysis, in one call.

The rep table and summary go to the terminal; the JSON, plot and HTML report are written
when asked for, then one line per file written says where. With ``json_path="-"`` the
JSON goes to standard output and everything else to standard error, so
``imuhinge analyse FILE --json - | jq`` gets pure JSON. Warnings that qualify every number
(``Analysis.caveats``) also go to standard error on their own line. A file that cannot be written is
reported as one sentence (``BadInputError``), not a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

from ..errors import BadInputError
from ..pipeline.result import Analysis
from .table import print_session

STDOUT = "-"


def write_outputs(
    analysis: Analysis,
    json_path: str | Path | None = None,
    plot_path: str | Path | None = None,
    report_path: str | Path | None = None,
    console: Console | None = None,
) -> list[Path]:
    """Print the session table, write the requested files, and return the paths written.

    ``console`` defaults to the terminal (standard error when the JSON goes to stdout).
    The plot is drawn once and shared by the PNG and the HTML report.
    """
    json_to_stdout = json_path is not None and str(json_path) == STDOUT
    if console is None:
        console = Console(stderr=json_to_stdout, highlight=False)
        if not json_to_stdout:
            print_caveats(analysis)
    print_session(analysis, console)

    written: list[tuple[str, Path]] = []
    if json_path is not None:
        from .json_report import write_json

        write_file("the analysis JSON", json_path, lambda: write_json(analysis, json_path))
        if not json_to_stdout:
            written.append(("analysis JSON", Path(json_path)))

    if plot_path is not None or report_path is not None:
        from .plot import plot_session

        figure = plot_session(analysis)
        if plot_path is not None:
            write_file("the plot", plot_path, lambda: figure.savefig(plot_path), image=True)
            written.append(("plot", Path(plot_path)))
        if report_path is not None:
            from .html import write_report

            write_file("the report", report_path, lambda: write_report(analysis, report_path, figure=figure))
            written.append(("report", Path(report_path)))

    for label, path in written:
        console.print(Text.assemble(f"{label} written to ", (str(path), "bold")), highlight=False)
    return [path for _, path in written]


def print_caveats(analysis: Analysis) -> None:
    """Each warning that qualifies every number (``Analysis.caveats``: a calibration
    without quiet standing, a sensor without gyroscope) as one line on standard error,
    so it is seen even when the table is redirected to a file. (When the table itself
    goes to standard error, it already shows them.)"""
    for caveat in analysis.caveats:
        print(f"imuhinge: warning: {caveat}", file=sys.stderr)


def write_file(what: str, path: str | Path, action, image: bool = False) -> None:
    """Run ``action``; turn the ways writing a user-named file fails into one sentence.

    ``what`` names the file in the sentence ("the plot"); every command that writes a
    file the user named goes through here.

    For images, matplotlib's ValueError means a file suffix it has no format for.
    """
    try:
        action()
    except OSError as exc:
        raise BadInputError(f"cannot write {what} to {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        if not image:
            raise
        raise BadInputError(f"cannot write {what} to {path}: {exc}") from None
