"""Finding, reading, ordering and analysing the sessions in one person's folder.

Every ``*.csv`` file directly in the folder is a session (a contract-1 recording, or an
export of MetaBase, phyphox or Sensor Logger, imported on the way), and so is every
sub-folder that is an unpacked Sensor Logger or phyphox export. A sub-folder that holds
a session plan (``imuhinge live --plan``: one recording per drill, each with a ``# plan:``
line) gives one session per drill recorded, named ``folder/file``. A MetaBase session's
two files (accelerometer and gyroscope) count once. Other files (truth JSON, plots,
notes) are not sessions and are passed over without comment.

Each session is analysed with its drill, read from its ``# exercise: NAME`` line (a
recording without one is a kettlebell deadlift, as ``imuhinge analyse`` does), with the
drill's own limits unless thresholds are given.

Sessions are put in time order by when they were recorded: the recording's start time
when its metadata states one (``# start (UTC): …`` as the importers write it, or
``# start:`` / ``# started:`` / ``# date:``, ISO 8601), otherwise the file's
modification time; two sessions at the same time are ordered by file name. A file that
cannot be read or analysed is set aside with its one-sentence reason, so one bad file
never hides the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from ..errors import BadInputError
from ..exercises import ExerciseProfile, profile_named
from ..pipeline.result import Analysis
from ..settings import Thresholds

DEFAULT_EXERCISE = "kettlebell-deadlift"
"""The drill of a recording that names none (as in ``imuhinge analyse``)."""
EXERCISE_KEY = "exercise"
START_KEYS = ("start (UTC)", "start", "started", "date")
"""Metadata keys whose value is taken as the session's start time (ISO 8601)."""
FROM_METADATA = "recording start"
FROM_FILE_TIME = "file modified"
"""How a session's time was found: ``ordered_by`` of ``Session``."""


@dataclass(frozen=True)
class Session:
    """One analysed session: where it came from, when, the drill done and the analysis."""

    path: Path
    started: datetime
    """When it was recorded (UTC): see ``ordered_by``."""
    ordered_by: str
    """``FROM_METADATA`` or ``FROM_FILE_TIME``: where ``started`` came from."""
    profile: ExerciseProfile
    analysis: Analysis

    label: str = ""
    """How the session is named when not by its file name (a plan part: ``folder/file``)."""

    @property
    def name(self) -> str:
        return self.label or self.path.name


@dataclass(frozen=True)
class Skipped:
    """A file that could not be used, and why, in one sentence."""

    path: Path
    reason: str


def read_folder(
    folder: str | Path, thresholds_for=None
) -> tuple[list[Session], list[Skipped]]:
    """Every session of ``folder`` analysed and in time order, and the files set aside.

    ``thresholds_for(profile)`` gives the limits for a drill (default: the drill's own).
    A missing folder, a file given instead, or a folder with no candidate files at all
    is ``BadInputError``.
    """
    folder = Path(folder)
    if not folder.exists():
        raise BadInputError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise BadInputError(f"{folder} is a file; give the folder that holds a person's recordings")
    candidates = session_candidates(folder)
    if not candidates:
        raise BadInputError(f"{folder} holds no recordings (no .csv files or export folders)")
    sessions, skipped = [], []
    for path in candidates:
        try:
            session = analyse_session(path, thresholds_for)
            if path.parent != folder:
                session = replace(session, label=f"{path.parent.name}/{path.name}")
            sessions.append(session)
        except BadInputError as exc:
            skipped.append(Skipped(path, _one_sentence(str(exc), path)))
        except Exception as exc:  # a bug on one file must not hide every other session
            if os.environ.get("IMUHINGE_DEBUG"):
                raise
            skipped.append(Skipped(path, (
                f"{path.name}: unexpected error ({type(exc).__name__}: {exc}); run "
                "'imuhinge analyse' on it with IMUHINGE_DEBUG=1 for details and please report it"
            )))
    sessions.sort(key=lambda s: (s.started, s.name))
    return sessions, skipped


def session_candidates(folder: Path) -> list[Path]:
    """The files and export folders of ``folder`` that should each be one session."""
    from ..importers import detect_format
    from ..importers import metabase
    from ..plan_session.folder import plan_files

    found, partners = [], set()
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or path in partners:
            continue
        if path.is_dir():
            parts = plan_files(path)
            if parts:
                found += [part.path for part in parts]
                continue
            try:
                detect_format([path])
            except BadInputError:
                continue  # an ordinary sub-folder, not an export
            found.append(path)
        elif path.suffix.lower() == ".csv":
            try:
                if detect_format([path]) == metabase.FORMAT:
                    partners.add(metabase.find_partner(path))
            except (BadInputError, OSError):
                pass  # reading it as a session then says what is wrong
            found.append(path)
    return found


def analyse_session(path: Path, thresholds_for=None) -> Session:
    """Read, date and analyse one session; ``BadInputError`` when it cannot be."""
    from ..importers import load_recording
    from ..pipeline.analyse import analyse_recording

    try:
        recording = load_recording([str(path)])
    except OSError as exc:
        raise BadInputError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    name = (recording.metadata.get(EXERCISE_KEY) or DEFAULT_EXERCISE).strip()
    profile = profile_named(name)
    thresholds = thresholds_for(profile) if thresholds_for is not None else drill_thresholds(profile)
    analysis = analyse_recording(recording, thresholds, exercise=profile)
    started, ordered_by = session_time(recording.metadata, path)
    return Session(path=path, started=started, ordered_by=ordered_by, profile=profile, analysis=analysis)


def drill_thresholds(profile: ExerciseProfile) -> Thresholds:
    """The drill's own limits for rounding and arching, else the defaults."""
    default = Thresholds()
    limits = {c.flag: c.limit for c in profile.checks}
    return Thresholds(
        max_lumbar_flexion_deg=float(limits.get("rounded", default.max_lumbar_flexion_deg)),
        max_lockout_extension_deg=float(limits.get("overextended", default.max_lockout_extension_deg)),
    )


def session_time(metadata: dict[str, str], path: Path) -> tuple[datetime, str]:
    """When the session was recorded (UTC), and where that came from (see the module)."""
    for key in START_KEYS:
        value = metadata.get(key)
        if value:
            parsed = parse_time(value)
            if parsed is not None:
                return parsed, FROM_METADATA
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc), FROM_FILE_TIME


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 date or time as UTC (a time without zone is taken as UTC); None if not one."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _one_sentence(message: str, path: Path) -> str:
    """The error as one line that names the file (readers' messages already do)."""
    line = " ".join(message.split())
    return line if path.name in line else f"{path.name}: {line}"
