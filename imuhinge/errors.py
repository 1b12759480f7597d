"""The package's exception tree: one root, so callers can catch everything we raise.

``BadInputError`` and its children mean the user handed us something we cannot use
(a malformed recording, an impossible option); the command line turns them into one
sentence and exit status 2. Anything else escaping is a bug and exits with status 1.
"""


class ImuhingeError(Exception):
    """Root of every exception imuhinge raises on purpose."""


class BadInputError(ImuhingeError):
    """The input (a file, an option, a recording's content) cannot be used as given."""


class RecordingError(BadInputError):
    """A recording file is malformed; the message names the file, the line and the problem."""

    def __init__(self, path: str, problem: str, line: int | None = None):
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {problem}")


class AnalysisError(BadInputError):
    """The recording is well formed but cannot be analysed (too short, no quiet standing, ...)."""
