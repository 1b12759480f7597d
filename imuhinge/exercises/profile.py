"""``ExerciseProfile``: one drill of the hip-hinge programme, as data.

Each drill is a small TOML file in ``profiles/`` (one per drill, read with the standard
library's ``tomllib``), so adding or tuning a drill is an edit to data, not to code. A
profile says how the drill starts (lying on the back, kneeling or standing), which
segment angle makes a rep and in which direction, the range a rep is expected to
cover, the target (reps, or seconds for an isometric hold), the cue shown to the user,
and its checks: each a metric of a rep, a limit, and the plain sentence that explains
a flag. The analysis computes the metrics; the profile only decides which matter.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources

from ..errors import BadInputError

POSTURES = ("lying", "kneeling", "standing")
"""Start postures: lying on the back, tall or half kneeling, standing."""
KINDS = ("reps", "hold")
"""``reps``: count repetitions; ``hold``: an isometric hold, timed, with no reps."""
REP_ANGLES = ("pelvis_tilt", "trunk_inclination")
DIRECTIONS = ("forward", "backward")
"""Which way the rep angle moves from the start posture: ``forward`` (a hinge: the pelvis
tips forward) or ``backward`` (a bridge or a kneeling raise: the pelvis rotates back
towards hip extension)."""
METRICS = {
    "lumbar_flexion_deg": "peak lumbar flexion in the rep (°)",
    "lockout_extension_deg": "lumbar extension at the top of the rep (°)",
    "hip_extension_short_deg": "how far the pelvis stayed short of neutral at the top (°)",
    "side_bend_deg": "peak side bend of the pelvis or trunk in the rep (°, either side)",
    "rotation_deg": "peak twist about the vertical in the rep (°, either way)",
    "depth_change_pct": "how far the rep's depth differs from the set's median depth (%)",
    "rep_rate_per_min": "the set's pace (reps per minute)",
    "hold_sway_deg": "how far the trunk moved during a hold (°, rms)",
}
"""Every metric a check may use, with what it means."""
NEEDS = ("pelvis", "thorax")


@dataclass(frozen=True)
class Check:
    """Flag a rep ``flag`` when ``metric`` is above ``above`` (or below ``below``).

    ``needs``: the sensor the metric needs (``thorax``: only measurable with two
    sensors). ``reason``: one sentence for the user, with ``{value}`` and ``{limit}``
    (formatted numbers) where they belong.
    """

    flag: str
    metric: str
    reason: str
    above: float | None = None
    below: float | None = None
    needs: str = "pelvis"

    def fires(self, value: float | None) -> bool:
        """True if ``value`` (None: not measured) breaks the limit."""
        if value is None:
            return False
        return (self.above is not None and value > self.above) or (self.below is not None and value < self.below)

    @property
    def limit(self) -> float:
        return self.above if self.above is not None else self.below

    def sentence(self, value: float) -> str:
        """The reason with ``value`` filled in: whole numbers, or one decimal where a whole
        number would read as the limit itself ("10.4° (limit 10°)", not "10° (limit 10°)")."""
        shown = f"{value:.0f}"
        if float(shown) == round(self.limit):
            shown = f"{value:.1f}"
        return self.reason.format(value=shown, limit=f"{self.limit:.0f}")


@dataclass(frozen=True)
class ExerciseProfile:
    """One drill (see the module docstring); ``order`` is its place in the progression."""

    name: str
    title: str
    order: int
    cue: str
    start_posture: str
    kind: str
    rep_angle: str
    direction: str
    expected_range_deg: tuple[float, float]
    target_reps: int = 15
    target_hold_s: float = 0.0
    checks: tuple[Check, ...] = field(default_factory=tuple)
    next_drill: str | None = None

    def checks_measurable(self, sensors: tuple[str, ...]) -> tuple[Check, ...]:
        """The checks the worn ``sensors`` can make (a thorax check needs a thorax sensor)."""
        return tuple(c for c in self.checks if c.needs in sensors)


def _profile_from(data: dict, source: str) -> ExerciseProfile:
    """Build and validate a profile read from ``source`` (a file name, for messages)."""

    def bad(problem: str) -> BadInputError:
        return BadInputError(f"exercise profile {source}: {problem}")

    try:
        rep = data["rep"]
        checks = tuple(Check(**c) for c in data.get("checks", ()))
        profile = ExerciseProfile(
            name=data["name"], title=data["title"], order=int(data["order"]), cue=data["cue"],
            start_posture=data["start_posture"], kind=data["kind"], rep_angle=rep["angle"],
            direction=rep["direction"], expected_range_deg=tuple(float(v) for v in rep["expected_range_deg"]),
            target_reps=int(data.get("target_reps", 15)), target_hold_s=float(data.get("target_hold_s", 0.0)),
            checks=checks, next_drill=data.get("next_drill"),
        )
    except KeyError as exc:
        raise bad(f"missing {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise bad(str(exc)) from None
    for value, allowed, what in (
        (profile.start_posture, POSTURES, "start_posture"), (profile.kind, KINDS, "kind"),
        (profile.rep_angle, REP_ANGLES, "rep.angle"), (profile.direction, DIRECTIONS, "rep.direction"),
    ):
        if value not in allowed:
            raise bad(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    low, high = profile.expected_range_deg if len(profile.expected_range_deg) == 2 else (1.0, 0.0)
    if not 0 <= low < high:
        raise bad("rep.expected_range_deg must be two angles, smallest first")
    for check in profile.checks:
        if check.metric not in METRICS:
            raise bad(f"check {check.flag!r} uses unknown metric {check.metric!r}")
        if (check.above is None) == (check.below is None):
            raise bad(f"check {check.flag!r} needs exactly one of 'above' or 'below'")
        if check.needs not in NEEDS:
            raise bad(f"check {check.flag!r}: needs must be one of {', '.join(NEEDS)}")
        try:
            check.sentence(1.0)
        except (KeyError, IndexError, ValueError) as exc:
            raise bad(f"check {check.flag!r}: its reason cannot be filled in ({exc})") from None
    if profile.kind == "hold" and profile.target_hold_s <= 0:
        raise bad("a hold needs target_hold_s")
    return profile


def load_profiles() -> dict[str, ExerciseProfile]:
    """Every bundled profile by name, in programme order."""
    profiles = []
    for entry in resources.files(__package__).joinpath("profiles").iterdir():
        if entry.name.endswith(".toml"):
            try:
                data = tomllib.loads(entry.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise BadInputError(f"exercise profile {entry.name}: {exc}") from None
            profiles.append(_profile_from(data, entry.name))
    profiles.sort(key=lambda p: p.order)
    return {p.name: p for p in profiles}


def profile_named(name: str) -> ExerciseProfile:
    """The profile called ``name``; ``BadInputError`` naming the known ones otherwise."""
    profiles = load_profiles()
    try:
        return profiles[name]
    except KeyError:
        raise BadInputError(
            f"unknown exercise '{name}'; 'imuhinge exercises' lists them: {', '.join(profiles)}"
        ) from None
