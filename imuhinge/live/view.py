"""The live terminal screen: what the sensors send, how to calibrate, the angles, the reps.

Laid out for an 80×24 terminal: a header (sensors, elapsed time, samples, lost samples,
the recording file, and, while there is any, what each Bluetooth link is going through:
reconnecting, notifications lost or malformed, outages), the drill's title and cue, one
status line (hold still in the start posture / do a first rep / tracking), the three
angles as numbers with a bar, the current set's rep count against the target (a
pause as long as the analysis's ``set_break_s`` starts a new set; for a hold: the time
held against the target), the newest reps with their verdicts (green clean, red
flagged, in plain words), and the newest flagged rep's reason in full. The rep rows fill
what the rest leaves of the height. A flagged rep rings the terminal bell. Device names and file names are
untrusted text: they are shown as ``Text``, never parsed as markup.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ..exercises import ExerciseProfile
from ..pipeline.exercise import split_sets
from ..pipeline.result import NOT_JUDGED_FLAGS
from ..pipeline.settings import ExerciseSettings
from ..report.wording import flag_word
from .events import CurrentAngles, LiveRep

REFRESH_HZ = 4.0
BAR_CELLS = 24
BAR_FULL_DEG = 90.0
REASON_LINES = 2
"""Lines kept for the newest flagged rep's reason (it wraps to two at 80 columns)."""
START_POSTURE_WORDS = {"standing": "stand tall", "kneeling": "kneel tall", "lying": "lie on your back"}


@dataclass
class LiveStatus:
    """Everything the screen shows at one moment (s, deg, counts)."""

    sensor_names: dict[str, str]
    elapsed_s: float = 0.0
    samples: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    recording_path: str = ""
    state: str = "waiting"
    calibration_left_s: float = 0.0
    axes_known: bool = False
    current: CurrentAngles | None = None
    reps: list[LiveRep] = field(default_factory=list)
    target_reps: int = 10
    max_lumbar_flexion_deg: float = 20.0
    message: str = ""
    link_notes: dict[str, str] = field(default_factory=dict)
    """Per sensor, what its Bluetooth link is going through ("reconnecting…", packets lost
    or malformed, outages); empty for a sensor with nothing to report."""
    exercise: ExerciseProfile | None = None
    """The drill (title, cue, start posture, reps or hold); None: hinges, as before drills."""
    holds: list = field(default_factory=list)
    """For a hold: the finished holds (``pipeline.holds.Hold``), each with its verdict."""
    hold_done_s: float = 0.0
    hold_now_s: float = 0.0
    """For a hold: seconds held in finished holds, and in the one under way."""
    plan_step: str = ""
    """In a session plan: where in it the drill is ("drill 2 of 11 · next: …"); else empty."""
    plan_keys: str = ""
    """In a session plan run in a terminal: the keys it takes."""
    waiting_for_posture: bool = False
    """In a session plan: calibration waits for the body to take the new start posture."""


def render(status: LiveStatus, height: int = 24, width: int = 80):
    """The screen for ``status`` as a rich renderable, fitting ``height`` × ``width``."""
    parts = [_header(status), *_drill(status), _status_line(status), _angles(status), _rep_count(status)]
    if _is_hold(status):
        return Group(*parts, *_hold_verdicts(status.holds[-3:]))
    measure = Console(width=width, file=io.StringIO(), color_system=None)
    used = sum(len(measure.render_lines(part, pad=False)) for part in parts)
    rows = max(1, height - used - 1 - REASON_LINES - 1)  # the table's title row; one spare
    parts.append(_rep_table(status.reps[-rows:], status.exercise))
    parts.append(_last_reason(status.reps))
    return Group(*parts)


def _is_hold(status: LiveStatus) -> bool:
    return status.exercise is not None and status.exercise.kind == "hold"


def _drill(status: LiveStatus) -> list[Text]:
    """The drill's title and its cue (none without a drill)."""
    if status.exercise is None:
        return []
    title = Text.assemble((status.exercise.title, "bold cyan"), ("  " + status.exercise.cue, "italic"))
    if not status.plan_step:
        return [title]
    step = Text(status.plan_step, style="cyan")
    if status.plan_keys:
        step.append(f"   ({status.plan_keys})", style="dim")
    return [step, title]


def _header(status: LiveStatus) -> Text:
    line = Text("imuhinge live", style="bold")
    for label, name in status.sensor_names.items():
        line.append(f"  {label}: ", style="dim")
        line.append(name)
    minutes, seconds = divmod(int(status.elapsed_s), 60)
    received = sum(status.samples.values())
    lost = sum(status.lost.values())
    second = Text(f"{minutes}:{seconds:02d}  ", style="bold")
    second.append(f"{received:,} samples  ")
    second.append(f"{lost:,} lost  ", style="yellow" if lost else "dim")
    second.append("→ ", style="dim")
    second.append(status.recording_path)
    lines = [line, second]
    notes = [(label, note) for label, note in status.link_notes.items() if note]
    if notes:
        third = Text()
        for label, note in notes:
            third.append(f"{label}: ", style="dim")
            third.append(f"{note}  ", style="bold yellow" if "reconnecting" in note else "yellow")
        lines.append(third)
    return Text("\n").join(lines)


def _status_line(status: LiveStatus) -> Text:
    if status.message:
        return Text(status.message, style="bold yellow")
    if status.state == "waiting":
        return Text("Waiting for the sensors…", style="yellow")
    posture = START_POSTURE_WORDS[status.exercise.start_posture] if status.exercise else "stand tall"
    if status.state == "calibrating" and status.waiting_for_posture:
        return Text(f"Get into position: {posture}, then hold still", style="bold yellow")
    if status.state == "calibrating":
        return Text(
            f"Calibrating: {posture} and hold still ({status.calibration_left_s:.0f} s left)",
            style="bold yellow",
        )
    if _is_hold(status):
        return Text("Ready. Take up the hold and keep still; the clock runs while you do.", style="bold green")
    if not status.axes_known:
        return Text("Ready. Do your first rep (it also tells which way is forward).", style="bold green")
    if status.exercise is not None and status.exercise.start_posture != "standing":
        return Text("Tracking. Each rep is judged when you are back in the start position.", style="green")
    return Text("Tracking: hinge away. Each rep is judged when you are back up.", style="green")


def _angles(status: LiveStatus):
    table = Table.grid(padding=(0, 1))
    table.add_column(width=18)
    table.add_column(justify="right", width=5)
    table.add_column(width=BAR_CELLS)
    table.add_column()
    current = status.current
    provisional = current is None or current.provisional
    rows = [("Pelvis tilt", None if current is None else current.pelvis_tilt_deg, "")]
    if "thorax" in status.sensor_names:
        rows.append(("Trunk inclination", None if current is None else current.trunk_inclination_deg, ""))
        lumbar = None if current is None else current.lumbar_flexion_deg
        checked = status.exercise is None or any(c.flag == "rounded" for c in status.exercise.checks)
        rows.append(("Lumbar flexion", lumbar, f"limit {status.max_lumbar_flexion_deg:.0f}°" if checked else ""))
    for name, value, note in rows:
        style = "red" if note and value is not None and value > status.max_lumbar_flexion_deg else "cyan"
        number = "–" if value is None else f"{int(round(value))}°"
        table.add_row(name, number, _bar(value, style), Text(note, style="dim"))
    if provisional and current is not None:
        if _is_hold(status):
            return Group(table, Text("(how far from the start posture, either way)", style="dim"))
        return Group(table, Text("(how far from standing; forward or back is known after the first rep)", style="dim"))
    return table


def _bar(value_deg: float | None, style: str) -> Text:
    if value_deg is None:
        return Text("")
    cells = int(round(min(abs(value_deg), BAR_FULL_DEG) / BAR_FULL_DEG * BAR_CELLS))
    return Text("█" * cells, style=style) + Text("·" * (BAR_CELLS - cells), style="dim")


def _rep_count(status: LiveStatus) -> Text:
    if _is_hold(status):
        return _hold_time(status)
    sets = split_sets([(rep.start_s, rep.end_s) for rep in status.reps], ExerciseSettings().set_break_s)
    current = [status.reps[i] for i in sets[-1]] if sets else []
    done = len(current)
    flagged = sum(1 for rep in current if _judged_flags(rep))
    line = Text(f"Set {max(1, len(sets))}: reps {done} / {status.target_reps}", style="bold")
    if done:
        line.append(f"   {done - flagged} clean", style="green")
        if flagged:
            line.append(f", {flagged} flagged", style="red")
    if done >= status.target_reps and not status.plan_step:
        line.append("   set done: rest when you are ready", style="bold green")
    return line


def _hold_time(status: LiveStatus) -> Text:
    """Time held (finished holds and the one under way) against the drill's target."""
    target_s = status.exercise.target_hold_s
    held_s = status.hold_done_s + status.hold_now_s
    line = Text(f"Held {held_s:.0f} s / {target_s:.0f} s", style="bold")
    if status.hold_now_s > 0:
        line.append(f"   holding now: {status.hold_now_s:.0f} s", style="green")
    if held_s >= target_s:
        line.append("   target reached: relax when you are ready", style="bold green")
    return line


def _hold_verdicts(holds: list) -> list[Text]:
    """One line per finished hold: how long, and steady (green) or why not (red)."""
    lines = []
    for number, hold in enumerate(holds, start=1):
        line = Text(f"Hold {number}: {hold.duration_s:.0f} s  ", style="bold")
        if hold.flags:
            line.append("✗ " + " ".join(hold.reasons), style="red")
        else:
            line.append("✓ steady", style="green")
        lines.append(line)
    return lines


def _rep_table(reps: list[LiveRep], exercise: ExerciseProfile | None = None) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="dim")
    table.add_column("rep", justify="right", width=3)
    table.add_column("at", justify="right", width=5)
    table.add_column("pelvis", justify="right", width=6)
    table.add_column("lumbar", justify="right", width=7)
    table.add_column("verdict", no_wrap=True, overflow="ellipsis")
    for rep in reversed(reps):
        minutes, seconds = divmod(int(rep.end_s), 60)
        lumbar = "–" if rep.lumbar_flexion_deg is None else f"{round(rep.lumbar_flexion_deg) + 0:.0f}°"
        if rep.lumbar_flexion_deg is not None and rep.lumbar_flexion_source == "estimated":
            lumbar = "~" + lumbar
        table.add_row(str(rep.rep), f"{minutes}:{seconds:02d}", f"{rep.pelvis_tilt_deg:.0f}°", lumbar, verdict(rep, exercise))
    return table


def verdict(rep: LiveRep, exercise: ExerciseProfile | None = None) -> Text:
    """A rep's verdict in a few plain words: green when clean, red when flagged (a clean
    hinge from standing says the hips did the work; other drills just say good)."""
    judged = _judged_flags(rep)
    if judged:
        return Text("✗ " + ", ".join(_flag_phrase(flag) for flag in judged), style="bold red")
    if rep.flags:
        return Text("? not judged (" + ", ".join(flag_word(f) for f in rep.flags) + ")", style="yellow")
    if exercise is None or (exercise.start_posture == "standing" and exercise.direction == "forward"):
        return Text("✓ good: the hips hinged", style="green")
    return Text("✓ good", style="green")


def _flag_phrase(flag: str) -> str:
    return {"rounded": "back rounded", "overextended": "back arched at the top"}.get(flag, flag_word(flag))


def _judged_flags(rep: LiveRep) -> list[str]:
    return [flag for flag in rep.flags if flag not in NOT_JUDGED_FLAGS]


def _last_reason(reps: list[LiveRep]) -> Text:
    for rep in reversed(reps):
        if rep.reasons:
            text = Text(f"Rep {rep.rep}: ", style="bold red" if _judged_flags(rep) else "bold yellow")
            text.append(" ".join(rep.reasons))
            return text
    return Text("")


class LiveView:
    """The screen, redrawn at most ``REFRESH_HZ`` times a second; use as a context manager.

    ``update(status)`` redraws when due (and rings the bell for each new flagged rep);
    ``console`` defaults to the terminal. On a console that is not a terminal, rich draws
    only the final screen.
    """

    def __init__(self, console: Console | None = None, clock=time.monotonic):
        self.console = console or Console(highlight=False)
        self._clock = clock
        self._live: Live | None = None
        self._last_draw = -1.0
        self._reps_seen = 0

    def __enter__(self) -> "LiveView":
        self._live = Live(console=self.console, auto_refresh=False, redirect_stdout=False, redirect_stderr=False)
        self._live.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def update(self, status: LiveStatus, force: bool = False) -> None:
        if len(status.reps) < self._reps_seen:  # a new drill of a session plan
            self._reps_seen = 0
        new = status.reps[self._reps_seen :]
        self._reps_seen = len(status.reps)
        if any(_judged_flags(rep) for rep in new):
            self.console.bell()
            force = True
        now = self._clock()
        if self._live is None or not (force or new or now - self._last_draw >= 1.0 / REFRESH_HZ):
            return
        self._last_draw = now
        self._live.update(render(status, self.console.height, self.console.width), refresh=True)
