"""``SessionPlan``: several drills done one after another in one session, as data.

A plan is a small TOML file in ``plans/`` (name, title, description, the drills in
order). ``imuhinge live --plan NAME`` walks through its drills: one set of each drill's
target reps (or its one hold), then the next. A plan session is recorded as a folder
with one contract-1 recording per drill (``plan_file_name``), each naming its drill
(``# exercise:``) and its place in the plan (``# plan:``, ``plan_line``), so every part
is an ordinary recording that ``imuhinge analyse`` and ``imuhinge progress`` read as is.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources

from ..errors import BadInputError
from .profile import ExerciseProfile, load_profiles

PLAN_KEY = "plan"
"""The metadata key of a plan part's recording: ``# plan: progression, drill 2 of 11``."""
TARGET_REPS_KEY = "target reps"
"""The metadata key of the set's target the session ran with: ``# target reps: 5`` (a live
session or plan run with ``--target-reps``; a live session of a rep drill always writes it)."""
_PLAN_LINE = re.compile(r"^\s*(?P<name>[\w-]+)\s*,\s*drill\s+(?P<index>\d+)\s+of\s+(?P<count>\d+)\s*$")


def target_reps_from(metadata: dict) -> int | None:
    """The set's target a recording was made with (its ``# target reps:`` line), or None
    when it names none (or not a positive whole number): then the drill's own applies."""
    text = str(metadata.get(TARGET_REPS_KEY, "")).strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


@dataclass(frozen=True)
class SessionPlan:
    """A named sequence of drills (``drills``: profile names, in the order they are done)."""

    name: str
    title: str
    description: str
    drills: tuple[str, ...]

    def profiles(self) -> tuple[ExerciseProfile, ...]:
        """The drills' profiles, in plan order."""
        profiles = load_profiles()
        return tuple(profiles[name] for name in self.drills)


@dataclass(frozen=True)
class PlanPlace:
    """Where one recording sits in a plan: drill ``index`` (1-based) of ``count``."""

    plan: str
    index: int
    count: int


def plan_line(plan: SessionPlan, index: int) -> str:
    """The ``# plan:`` metadata value of the recording of drill ``index`` (1-based)."""
    return f"{plan.name}, drill {index} of {len(plan.drills)}"


def parse_plan_line(value: str) -> PlanPlace | None:
    """A ``# plan:`` metadata value read back; None if it is not one."""
    match = _PLAN_LINE.match(value or "")
    if not match:
        return None
    return PlanPlace(match["name"], int(match["index"]), int(match["count"]))


def plan_file_name(index: int, drill: str) -> str:
    """The recording's file name of drill ``index`` (1-based) in a plan folder: ``01-bridge.csv``."""
    return f"{index:02d}-{drill}.csv"


def load_plans() -> dict[str, SessionPlan]:
    """Every bundled plan by name."""
    profiles = load_profiles()
    plans = {}
    for entry in sorted(resources.files(__package__).joinpath("plans").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            plan = SessionPlan(
                name=data["name"], title=data["title"], description=data.get("description", ""),
                drills=tuple(data["drills"]),
            )
        except tomllib.TOMLDecodeError as exc:
            raise BadInputError(f"session plan {entry.name}: {exc}") from None
        except KeyError as exc:
            raise BadInputError(f"session plan {entry.name}: missing {exc.args[0]!r}") from None
        unknown = [name for name in plan.drills if name not in profiles]
        if unknown or not plan.drills:
            raise BadInputError(f"session plan {entry.name}: unknown drill {unknown[0]!r}" if unknown
                                else f"session plan {entry.name}: no drills")
        plans[plan.name] = plan
    return plans


def plan_named(name: str) -> SessionPlan:
    """The plan called ``name``; ``BadInputError`` naming the known ones otherwise."""
    plans = load_plans()
    try:
        return plans[name]
    except KeyError:
        raise BadInputError(f"unknown plan '{name}'; known plans: {', '.join(plans)}") from None
