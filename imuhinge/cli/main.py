"""The ``imuhinge`` command line (contract 3 in DESIGN.md).

Every sub-command has its own ``--help``. Exit status: 0 on success, 2 on bad input or
bad usage (one sentence, no traceback), 1 on anything unexpected. Heavy modules
(pandas, scipy, matplotlib) are imported inside the handlers so ``--help`` and small
recordings start fast.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import BadInputError

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one sentence with exit status 2."""

    def error(self, message: str) -> None:  # noqa: D102 - argparse API
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="imuhinge",
        description="Watch a hip hinge with one or two IMUs: reps, trunk inclination, "
        "lumbar flexion, and which reps rounded.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"imuhinge {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    from . import analyse_cmd, exercises_cmd, import_cmd, live_cmd, plot_cmd, progress_cmd, scan_cmd, simulate_cmd

    for module in (analyse_cmd, plot_cmd, simulate_cmd, import_cmd, scan_cmd, live_cmd, exercises_cmd, progress_cmd):
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or EXIT_OK)
    except BadInputError as exc:
        print(f"imuhinge: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("imuhinge: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: say so plainly, keep the traceback for a report
        if os.environ.get("IMUHINGE_DEBUG"):
            raise
        print(
            f"imuhinge: unexpected error ({type(exc).__name__}: {exc}); "
            "run again with IMUHINGE_DEBUG=1 for details and please report it",
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
