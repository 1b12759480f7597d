"""A whole live plan session: stream through the drills (``plan.PlanSession``), then analyse.

``run_live_plan`` is to a session plan what ``session.run_live_session`` is to one drill:
any sample source (the simulator's ``play`` or ``ble_source.BleSource``), the same screen,
Ctrl-C or ``duration_s`` ending the streaming part with every drill's file valid. At the
end each drill's recording is analysed as that drill, its live verdicts are compared with
the analysis, and the plan folder's outputs (table, JSON, report, plot) are written.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.text import Text

from ..exercises import ExerciseProfile, SessionPlan
from ..protocols.samples import SampleBlock
from ..recording.live_writer import SensorInfo
from ..settings import Thresholds
from .agreement import Agreement, compare, compare_holds
from .plan import PlanPart, PlanSession
from .session import fill_status, sensor_infos
from .view import START_POSTURE_WORDS, LiveStatus, LiveView


@dataclass
class PlanOutcome:
    """What the streaming part of a plan session left (filled in as it goes)."""

    session: PlanSession | None = None
    stopped_by: str = "end of data"
    elapsed_s: float = 0.0


@dataclass(frozen=True)
class DrillAgreement:
    """One drill of a plan: its recording and how its live verdicts agreed with its analysis
    (``agreement`` None when the recording could not be analysed: ``reason`` says why)."""

    index: int
    profile: ExerciseProfile
    path: Path
    live_reps: int
    agreement: Agreement | None = None
    reason: str = ""
    sentence: str = ""


@dataclass
class PlanResult:
    drills: list[DrillAgreement] = field(default_factory=list)

    @property
    def analysed(self) -> int:
        return sum(1 for d in self.drills if d.agreement is not None)


async def stream_plan(
    source: AsyncIterator[tuple[float, str, SampleBlock]],
    make_session: Callable[[dict[str, SensorInfo]], PlanSession],
    view: LiveView,
    status: LiveStatus,
    outcome: PlanOutcome,
    duration_s: float | None = None,
) -> None:
    """Run until the plan is done, the source ends or ``duration_s`` is reached.

    ``make_session(sensors)`` builds the ``PlanSession`` once the sensors are known (a
    Bluetooth source knows their names, rates and gyroscopes only once connected)."""
    infos = getattr(source, "sensor_infos", None)
    link_notes = getattr(source, "link_notes", None)
    flusher = None
    session: PlanSession | None = None
    keys = _NextKey()
    try:
        async for arrival_s, sensor, block in source:
            if session is None:
                session = outcome.session = make_session(infos() if infos else {})
                session.start()
                flusher = asyncio.get_running_loop().create_task(_flush_plan_while_idle(session))
                keys.start(session.skip)
            if duration_s is not None and arrival_s > duration_s:
                outcome.stopped_by = f"--duration {duration_s:g} s reached"
                break
            session.add(sensor, block)
            outcome.elapsed_s = arrival_s
            status.link_notes = link_notes() if link_notes else {}
            view.update(_plan_status(status, session, arrival_s))
            if session.finished:
                outcome.stopped_by = "plan complete"
                break
        else:
            outcome.stopped_by = getattr(source, "stopped_by", None) or outcome.stopped_by
    except BaseException:
        outcome.stopped_by = "Ctrl-C"
        raise
    finally:
        keys.stop()
        if flusher is not None:
            flusher.cancel()
        if session is not None:
            session.close()
            status.message = "Session over: closing the recordings and analysing them…"
            view.update(_plan_status(status, session, outcome.elapsed_s), force=True)


class _NextKey:
    """The ``n`` key moves on to the next drill, when the session runs in a terminal: the
    terminal is put in cbreak mode without echo (keys arrive one by one and are not drawn
    over the screen) and restored afterwards."""

    def __init__(self) -> None:
        self._saved = None
        self._fd: int | None = None

    def start(self, on_next: Callable[[], None]) -> None:
        if not sys.stdin.isatty():
            return
        import termios
        import tty

        self._fd = sys.stdin.fileno()
        self._saved = termios.tcgetattr(self._fd)
        tty.setcbreak(self._fd)
        attributes = termios.tcgetattr(self._fd)
        attributes[3] &= ~termios.ECHO
        termios.tcsetattr(self._fd, termios.TCSANOW, attributes)

        def read() -> None:
            if os.read(self._fd, 32).strip().lower().startswith(b"n"):
                on_next()

        asyncio.get_running_loop().add_reader(self._fd, read)

    def stop(self) -> None:
        if self._fd is None:
            return
        import termios

        try:
            asyncio.get_running_loop().remove_reader(self._fd)
        except RuntimeError:
            pass
        termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
        self._fd = None


async def _flush_plan_while_idle(session: PlanSession) -> None:
    """Flush the open files on a timer too (see ``session._flush_while_idle``)."""
    interval_s = session.current.writer.settings.flush_interval_s / 2
    while True:
        await asyncio.sleep(interval_s)
        session.flush_if_due()


def _plan_status(status: LiveStatus, session: PlanSession, elapsed_s: float) -> LiveStatus:
    """``status`` for the current drill of ``session``."""
    part = session.current
    fill_status(status, part.processor, part.writer, elapsed_s - part.start_s)
    status.elapsed_s = elapsed_s
    status.exercise = part.profile
    status.target_reps = part.target_reps or 0
    status.recording_path = str(part.path)
    status.max_lumbar_flexion_deg = part.thresholds.max_lumbar_flexion_deg
    status.waiting_for_posture = not part.processor.posture_changed
    following = session.next_profile
    step = f"Drill {part.index} of {len(session.profiles)}"
    status.plan_step = step + (f" · next: {following.title}" if following is not None else " · the last")
    status.message = ""
    status.plan_keys = "n: next drill" if sys.stdin.isatty() else ""
    if part.done_at_s is not None:
        if following is None:
            status.message = "Set done: that was the last drill. Well done."
        else:
            posture = START_POSTURE_WORDS[following.start_posture]
            status.message = f"Set done. Next: {following.title} ({posture}, then hold still)."
    return status


def run_live_plan(
    source: AsyncIterator[tuple[float, str, SampleBlock]],
    *,
    plan: SessionPlan,
    sensor_names: dict[str, str],
    rates_hz: dict[str, float],
    folder: str | Path,
    thresholds_for: Callable[[ExerciseProfile], Thresholds],
    target_reps: int | None = None,
    duration_s: float | None = None,
    metadata: dict[str, str] | None = None,
    console: Console | None = None,
    json_path: str | None = None,
    plot_path: str | None = None,
    report_path: str | None = None,
) -> PlanResult | None:
    """A whole plan session from any sample source (see the module). Returns None when no
    sample arrived (nothing recorded); otherwise every drill's agreement. ``thresholds_for``
    gives a drill's judgement thresholds (the command line's options, else the drill's own
    limits); ``target_reps``: reps per set for every drill (None: each drill's target)."""
    console = console or Console(highlight=False)
    fallback = sensor_infos(sensor_names, rates_hz)

    def make_session(known: dict[str, SensorInfo]) -> PlanSession:
        sensors = known or fallback
        return PlanSession(
            plan, folder, sensors, thresholds_for, target_reps=target_reps, metadata=metadata,
            accelerometer_only=tuple(label for label, info in sensors.items() if not info.gyroscope),
        )

    status = LiveStatus(sensor_names=dict(sensor_names), recording_path=str(folder))
    outcome = PlanOutcome()
    try:
        with LiveView(console) as view:
            asyncio.run(stream_plan(source, make_session, view, status, outcome, duration_s))
    except KeyboardInterrupt:
        outcome.stopped_by = "Ctrl-C"
    console.line()
    if outcome.session is None:
        return None
    return finish_plan(outcome, console, json_path, plot_path, report_path)


def finish_plan(
    outcome: PlanOutcome,
    console: Console,
    json_path: str | None = None,
    plot_path: str | None = None,
    report_path: str | None = None,
) -> PlanResult:
    """Analyse every drill's recording as that drill, compare with the live verdicts, and
    write the plan folder's outputs."""
    session = outcome.session
    rows = sum(sum(p.writer.summary.rows_written.values()) for p in session.parts)
    console.print(Text.assemble(
        f"Stopped ({outcome.stopped_by}) after {len(session.parts)} of {len(session.profiles)} drills. Recordings: ",
        (str(session.folder), "bold"), f" ({rows:,} samples).",
    ))
    from ..errors import BadInputError
    from ..pipeline.analyse import analyse_recording
    from ..plan_session import analyse_plan_folder
    from ..plan_session.outputs import write_plan_outputs

    def analyse(recording, profile):
        return analyse_recording(recording, session.thresholds_for(profile), exercise=profile)

    # One analysis of each drill's file serves both the agreement lines and the outputs.
    analysed = analyse_plan_folder(session.folder, analyse)
    outcomes = {drill.index: drill for drill in analysed.drills}
    result = PlanResult([_drill_agreement(part, outcomes.get(part.index)) for part in session.parts])
    for drill in result.drills:
        style = "bold" if drill.agreement is not None else "yellow"
        console.print(Text(f"{drill.index:2d}. {drill.profile.title}: {drill.sentence}", style=style))
    try:
        write_plan_outputs(analysed, json_path=json_path, plot_path=plot_path, report_path=report_path,
                           console=console)
    except BadInputError as exc:  # no drill analysable: the reasons are printed above, the files stay
        console.print(Text(str(exc), style="yellow"))
    return result


def _drill_agreement(part: PlanPart, outcome) -> DrillAgreement:
    """How ``part``'s live verdicts agree with its drill's analysis (``outcome``, a
    ``plan_session.DrillOutcome``; None or not analysed: the reason instead)."""
    live = part.processor
    if outcome is None or outcome.analysis is None:
        reason = (outcome.reason if outcome is not None else None) or "not recorded"
        return DrillAgreement(part.index, part.profile, part.path, len(live.reps), None, reason,
                              f"not analysable: {reason}")
    analysis = outcome.analysis
    agreement = compare(live.reps, analysis.reps)
    if part.profile.kind == "hold":
        sentence = compare_holds(live.holds, analysis.holds or []).sentence()
    else:
        sentence = agreement.sentence()
    return DrillAgreement(part.index, part.profile, part.path, len(live.reps), agreement, "", sentence)
