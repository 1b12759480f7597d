"""``Progress``: everything the progression report shows, built from one folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .rule import DrillProgress, Suggestion, advice, progress_by_drill, suggestion_for
from .sessions import Session, Skipped, read_folder


@dataclass(frozen=True)
class Progress:
    """The folder's drills (programme order), the files set aside, and the suggestion."""

    folder: Path
    drills: tuple[DrillProgress, ...]
    skipped: tuple[Skipped, ...]
    suggestion: Suggestion | None

    @property
    def sessions(self) -> int:
        return sum(len(d.sessions) for d in self.drills)

    def advice(self, drill: DrillProgress) -> Suggestion:
        """The suggestion for one drill, knowing which drills have sessions."""
        return advice(drill, {d.profile.name for d in self.drills})


def build_progress(folder: str | Path, thresholds_for=None) -> Progress:
    """Read and analyse every session in ``folder`` and assemble the progression.

    ``thresholds_for(profile)``: the limits for each drill (default: the drill's own).
    """
    sessions, skipped = read_folder(folder, thresholds_for)
    return progress_from(Path(folder), sessions, skipped)


def progress_from(folder: Path, sessions: list[Session], skipped: list[Skipped]) -> Progress:
    """The progression of already analysed ``sessions`` (in time order)."""
    drills = progress_by_drill(sessions)
    return Progress(folder, tuple(drills), tuple(skipped), suggestion_for(drills))
