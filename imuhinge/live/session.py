"""One live session: a sample source → crash-safe recording → live processor → screen.

``stream_session`` consumes any async iterator of ``(arrival_s, sensor, SampleBlock)``
(the simulator's ``play``, or ``ble_source.BleSource`` for real sensors), so every source takes
the same path. The recording is closed in a ``finally``, so Ctrl-C, the end of the
source or ``duration_s`` all leave a valid contract-1 file; ``finish_session`` then runs
the offline analysis of that file and compares it with the live verdicts.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timezone
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.text import Text

from ..exercises import TARGET_REPS_KEY
from ..protocols.samples import SampleBlock
from ..recording.columns import START_KEY
from ..recording.live_writer import LiveRecordingSummary, LiveRecordingWriter, SensorInfo
from ..settings import Thresholds
from .agreement import Agreement, compare, compare_holds
from .events import LiveRep
from .processor import LiveProcessor
from .view import LiveStatus, LiveView


@dataclass
class SessionOutcome:
    """What the streaming part left: reps judged live, the recording summary, why it stopped."""

    reps: list[LiveRep] = field(default_factory=list)
    recording: LiveRecordingSummary | None = None
    stopped_by: str = "end of data"
    elapsed_s: float = 0.0
    holds: list = field(default_factory=list)
    """A hold drill's holds, as the live processor timed them."""


async def stream_session(
    source: AsyncIterator[tuple[float, str, SampleBlock]],
    writer: LiveRecordingWriter,
    processor: LiveProcessor,
    view: LiveView,
    status: LiveStatus,
    outcome: SessionOutcome,
    duration_s: float | None = None,
) -> None:
    """Run until the source ends or ``duration_s`` (session time) is reached.

    ``outcome`` is filled in as it goes, so it is complete even when Ctrl-C cancels this
    coroutine; the writer is closed whatever happens.
    """
    sensor_infos = getattr(source, "sensor_infos", None)
    link_notes = getattr(source, "link_notes", None)
    flusher = None
    if sensor_infos is None:
        writer.open()
        flusher = asyncio.get_running_loop().create_task(_flush_while_idle(writer))
    try:
        async for arrival_s, sensor, block in source:
            if flusher is None:  # the sensors are connected now: the header can name them
                infos = sensor_infos()
                writer = writer.with_sensors(infos)
                processor = processor.with_accelerometer_only(
                    tuple(label for label, info in infos.items() if not info.gyroscope)
                )
                writer.open()
                flusher = asyncio.get_running_loop().create_task(_flush_while_idle(writer))
            if duration_s is not None and arrival_s > duration_s:
                outcome.stopped_by = f"--duration {duration_s:g} s reached"
                break
            writer.add(sensor, block.time_s, block.acc_g, block.gyr_dps)
            outcome.reps += processor.feed(sensor, block.time_s, block.acc_g, block.gyr_dps)
            outcome.elapsed_s = arrival_s
            status.link_notes = link_notes() if link_notes else {}
            view.update(fill_status(status, processor, writer, arrival_s))
        else:
            outcome.stopped_by = getattr(source, "stopped_by", None) or outcome.stopped_by
        outcome.reps += processor.finish()
    except BaseException:
        outcome.stopped_by = "Ctrl-C"
        raise
    finally:
        if flusher is None:  # nothing ever arrived: still leave a valid (empty) recording
            writer.open()
        else:
            flusher.cancel()
        outcome.holds = list(processor.holds)
        outcome.recording = writer.close()
        status.message = "Session over: closing the recording and analysing it…"
        view.update(fill_status(status, processor, writer, outcome.elapsed_s), force=True)


async def _flush_while_idle(writer: LiveRecordingWriter) -> None:
    """Flush on a timer as well, so rows waiting in the reorder window reach the disk in
    time even while no sensor sends anything (both dropped, or a pause in the stream)."""
    while True:
        await asyncio.sleep(writer.settings.flush_interval_s / 2)
        writer.flush_if_due()


def fill_status(status: LiveStatus, processor: LiveProcessor, writer: LiveRecordingWriter, elapsed_s: float) -> LiveStatus:
    """``status`` brought up to date from the processor and the writer."""
    status.elapsed_s = elapsed_s
    status.samples = processor.samples_received
    status.lost = {
        label: _lost(writer, label, processor) for label in processor.sensors
    }
    status.state = processor.state
    status.calibration_left_s = processor.calibration_left_s
    status.axes_known = processor.axes_known
    status.current = processor.current
    status.reps = processor.reps
    status.holds = list(processor.holds)
    status.hold_done_s = sum(hold.duration_s for hold in processor.holds)
    status.hold_now_s = processor.hold_now_s
    return status


def _lost(writer: LiveRecordingWriter, label: str, processor: LiveProcessor) -> int:
    """Samples a sensor should have sent by now, from its nominal rate, and did not."""
    rate_hz = writer.sensors[label].rate_hz
    received = processor.samples_received[label]
    if received < 2 or not math.isfinite(rate_hz) or rate_hz <= 0:
        return 0
    return max(0, int(round(processor.received_span_s(label) * rate_hz)) + 1 - received)


def finish_session(
    path: str | Path,
    outcome: SessionOutcome,
    thresholds: Thresholds,
    console: Console,
    json_path: str | None = None,
    plot_path: str | None = None,
    report_path: str | None = None,
    exercise=None,
    holds: list | None = None,
) -> Agreement | None:
    """The end-of-session analysis of the recording at ``path``, its outputs, and how far
    the live verdicts agreed with it. Returns None when the recording cannot be analysed
    (too short, no quiet standing); the reason is printed and the recording kept.

    ``exercise``: the drill's profile, analysed as the live processor judged it; for a
    hold, ``holds`` are the live holds, compared with the analysis's."""
    from ..errors import AnalysisError
    from ..pipeline.analyse import analyse_recording
    from ..recording import read_recording
    from ..report.outputs import write_outputs

    summary = outcome.recording
    rows = sum(summary.rows_written.values()) if summary else 0
    console.print(
        Text.assemble(
            f"Stopped ({outcome.stopped_by}). Recording: ",
            (str(path), "bold"),
            f" ({rows:,} samples).",
        )
    )
    recording = read_recording(path)
    try:
        analysis = analyse_recording(recording, thresholds, exercise=exercise)
    except AnalysisError as exc:
        console.print(Text(f"The recording could not be analysed: {exc}", style="yellow"))
        return None
    write_outputs(analysis, json_path=json_path, plot_path=plot_path, report_path=report_path, console=console)
    agreement = compare(outcome.reps, analysis.reps)
    if exercise is not None and exercise.kind == "hold":
        console.print(Text(compare_holds(holds or [], analysis.holds or []).sentence(), style="bold"))
    else:
        console.print(Text(agreement.sentence(), style="bold"))
    return agreement


def sensor_infos(names: dict[str, str], rate_hz: dict[str, float]) -> dict[str, SensorInfo]:
    """``SensorInfo`` per label for the recording's metadata lines."""
    return {label: SensorInfo(model=names[label], address="-", rate_hz=rate_hz[label]) for label in names}


def run_live_session(
    source: AsyncIterator[tuple[float, str, SampleBlock]],
    *,
    sensor_names: dict[str, str],
    rates_hz: dict[str, float],
    out_path: str | Path,
    thresholds: Thresholds = Thresholds(),
    duration_s: float | None = None,
    target_reps: int | None = None,
    exercise=None,
    metadata: dict[str, str] | None = None,
    console: Console | None = None,
    json_path: str | None = None,
    plot_path: str | None = None,
    report_path: str | None = None,
) -> Agreement | None:
    """A whole live session from any sample source: stream, then analyse (see the module).

    ``sensor_names`` maps ``pelvis`` (and optionally ``thorax``) to a name to show;
    ``rates_hz`` gives each sensor's nominal rate (Hz, for the metadata and lost counts).
    ``exercise``: the drill's profile (None: the kettlebell deadlift's analysis as before
    drills were named); the screen shows its title, cue and target, the processor and the
    end-of-session analysis judge by it, and the recording names it (``# exercise: NAME``)
    so that a later ``imuhinge analyse`` of the file does too. ``target_reps``: the set's
    reps (default: the drill's, else 10).
    Ctrl-C ends the streaming part; the recording and its analysis still follow.
    """

    console = console or Console(highlight=False)
    labels = tuple(sensor_names)
    started = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    metadata = {START_KEY: started, **(metadata or {})}
    if target_reps is None:
        target_reps = exercise.target_reps if exercise is not None else 10
    if exercise is not None:
        metadata["exercise"] = exercise.name
        if exercise.kind == "reps":
            metadata[TARGET_REPS_KEY] = str(target_reps)
    writer = LiveRecordingWriter(out_path, metadata, sensor_infos(sensor_names, rates_hz))
    processor = LiveProcessor(labels, thresholds, exercise=exercise)
    status = LiveStatus(
        sensor_names=dict(sensor_names), recording_path=str(out_path), target_reps=target_reps,
        max_lumbar_flexion_deg=thresholds.max_lumbar_flexion_deg, exercise=exercise,
    )
    outcome = SessionOutcome()
    try:
        with LiveView(console) as view:
            asyncio.run(stream_session(source, writer, processor, view, status, outcome, duration_s))
    except KeyboardInterrupt:
        outcome.stopped_by = "Ctrl-C"
    console.line()
    if outcome.recording is None:
        return None
    return finish_session(out_path, outcome, thresholds, console, json_path, plot_path, report_path,
                          exercise=exercise, holds=outcome.holds)
