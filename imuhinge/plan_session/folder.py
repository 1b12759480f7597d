"""Recognising a session plan's folder and finding which recording is which drill.

``imuhinge live --plan NAME`` records a plan session as a folder with one contract-1
recording per drill done (``01-bridge.csv``, …: ``exercises.plan.plan_file_name``), each
carrying a ``# plan: NAME, drill I of N`` line (``exercises.plan.plan_line``). A folder
is a plan session when at least one ``*.csv`` directly in it carries such a line. Only
the metadata lines at the head of each file are read to tell, so recognising a folder
costs little whatever the recordings' length, and an export folder (Sensor Logger,
phyphox), whose files carry no such line, is never mistaken for one.

Which drill a file is comes from its ``# plan:`` line, not from its name, so a renamed
file still counts. Files that do not belong (another plan's, a second file for the same
drill, CSVs without a ``# plan:`` line) are left out with one sentence each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInputError
from ..exercises.plan import PLAN_KEY, PlanPlace, parse_plan_line, plan_file_name

HEAD_LINES = 64
"""How many lines at a file's head are read for its metadata (they come first)."""
HEAD_BYTES = 16384
"""…and at most this many bytes."""


@dataclass(frozen=True)
class PlanFile:
    """One recording of a plan folder: its path, its place in the plan, its head metadata."""

    path: Path
    place: PlanPlace
    metadata: dict[str, str]


@dataclass(frozen=True)
class PlanFolder:
    """A plan session folder: the plan named by its files and the recording of each drill.

    ``files``: by drill index (1-based), the drills recorded. ``left_out``: one sentence
    per file in the folder that was not taken as a drill's recording.
    """

    folder: Path
    plan: str
    count: int
    files: dict[int, PlanFile]
    left_out: tuple[str, ...] = field(default_factory=tuple)


def head_metadata(path: Path) -> dict[str, str]:
    """The ``# key: value`` lines at the head of a CSV (empty when it cannot be read).

    Read as the recording reader reads them (``recording.csv_io``): leading lines that
    start with ``#``, split at the first colon; blank lines are skipped.
    """
    metadata: dict[str, str] = {}
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return metadata
    for line in head.splitlines()[:HEAD_LINES]:
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        key, sep, value = stripped[1:].partition(":")
        if sep:
            metadata[key.strip()] = value.strip()
    return metadata


def plan_files(folder: Path) -> list[PlanFile]:
    """Every ``*.csv`` directly in ``folder`` whose ``# plan:`` line parses, by name."""
    found = []
    for path in sorted(folder.glob("*.csv"), key=lambda p: p.name):
        if path.name.startswith(".") or not path.is_file():
            continue
        metadata = head_metadata(path)
        place = parse_plan_line(metadata.get(PLAN_KEY, ""))
        if place is not None:
            found.append(PlanFile(path, place, metadata))
    return found


def is_plan_folder(path: str | Path) -> bool:
    """True when ``path`` is a folder holding at least one recording of a session plan."""
    path = Path(path)
    return path.is_dir() and bool(plan_files(path))


def read_plan_folder(folder: str | Path) -> PlanFolder:
    """The plan folder's drills (see the module); ``BadInputError`` if it is not one.

    When files name different plans, the plan most of them name is taken (ties: the
    first file's) and the others are left out; for one drill index, the file with the
    name the live session gives it (``plan_file_name``) is taken, else the first by name.
    """
    folder = Path(folder)
    files = plan_files(folder) if folder.is_dir() else []
    if not files:
        raise BadInputError(
            f"{folder} is not a session plan folder (no recording in it has a '# {PLAN_KEY}:' line)"
        )
    names = [f.place.plan for f in files]
    plan = max(dict.fromkeys(names), key=names.count)
    counts = [f.place.count for f in files if f.place.plan == plan]
    count = max(dict.fromkeys(counts), key=counts.count)
    taken: dict[int, PlanFile] = {}
    left_out = []
    for plan_file in sorted(files, key=lambda f: (not _named_as_written(f), f.path.name)):
        place, name = plan_file.place, plan_file.path.name
        if place.plan != plan:
            left_out.append(f"{name} belongs to another plan ({place.plan}) and was left out.")
        elif not 1 <= place.index <= count:
            left_out.append(f"{name} says drill {place.index} of {place.count}, outside this plan's "
                            f"{count} drills, and was left out.")
        elif place.index in taken:
            left_out.append(f"{name} is a second recording of drill {place.index} (besides "
                            f"{taken[place.index].path.name}) and was left out.")
        else:
            taken[place.index] = plan_file
    plan_paths = {f.path for f in files}
    for path in sorted(folder.glob("*.csv"), key=lambda p: p.name):
        if path not in plan_paths and not path.name.startswith("."):
            left_out.append(f"{path.name} has no '# {PLAN_KEY}:' line, so it is not part of the plan, "
                            "and was left out.")
    return PlanFolder(folder, plan, count, dict(sorted(taken.items())), tuple(left_out))


def _named_as_written(plan_file: PlanFile) -> bool:
    """The file has the name ``imuhinge live --plan`` gives it (``01-bridge.csv``)."""
    drill = plan_file.metadata.get("exercise", "").strip()
    return plan_file.path.name == plan_file_name(plan_file.place.index, drill)
