"""A live session plan: the drills of a ``SessionPlan`` one after another, each to its own file.

``imuhinge live --plan progression`` walks through the plan's drills in order. For each
drill the screen shows its title, cue and target, a fresh ``LiveProcessor`` calibrates in
the drill's start posture and judges its reps by the drill's checks, and its samples go
to that drill's own contract-1 recording in the session folder (``01-bridge.csv``, …,
each with ``# exercise:`` and ``# plan:`` lines and times from that file's start), so
every part is an ordinary recording. When the set is done (the target reps judged, or
the one hold finished), the screen names the next drill for ``switch_delay_s`` and then
the session moves on; after the last drill it ends by itself. ``skip()`` moves on at
once (the live screen's ``n`` key), for a set that cannot be finished.

Where one file ends and the next begins: at the session time ``T`` of the switch (the
newest sample then), every sample taken up to ``T`` goes to the finished drill's file and
every later one to the next drill's, whichever sensor it comes from and whenever it
arrives (a slower link's samples up to ``T`` still reach the old file, which is closed
once every sensor has sent a sample after ``T``, or ``close_grace_s`` after the switch).
So no sample is lost or written twice.

Between drills the person changes posture: lying after the bridge, then kneeling, then
standing. A drill that follows one in the other posture family (lying vs. upright) gets
the previous drill's pelvis "up", and its calibration waits until gravity has moved away
from it (``LiveProcessor(calibrate_away_from=…)``): the rest lying after the bridges is
not taken for tall kneeling. Kneeling and standing are both upright, and calibrate alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..exercises import PLAN_KEY, TARGET_REPS_KEY, ExerciseProfile, SessionPlan, plan_file_name, plan_line
from ..pipeline.between_drills import moves_into_position
from ..protocols.samples import SampleBlock
from ..recording.columns import START_KEY
from ..recording.live_writer import LiveRecordingWriter, SensorInfo
from ..settings import Thresholds
from .events import LiveRep
from .processor import LiveProcessor

SWITCH_DELAY_S = 3.0
"""Seconds the next drill is announced after a set is done, before the session moves on."""
CLOSE_GRACE_S = 5.0
"""Longest wait (s of session time) for a lagging sensor's samples before the switch."""
POSTURE_FAMILY = {"lying": "lying", "kneeling": "upright", "standing": "upright"}
"""Postures whose pelvis "up" differs (lying) or not (kneeling and standing)."""


@dataclass
class PlanPart:
    """One drill of a live plan session: its file, processor and what happened in it.

    ``start_s``: the session time that is time 0 of this drill's file. ``done_at_s``: the
    session time the set was done (None while it is not)."""

    index: int
    profile: ExerciseProfile
    path: Path
    start_s: float
    writer: LiveRecordingWriter
    processor: LiveProcessor
    target_reps: int | None
    thresholds: Thresholds
    done_at_s: float | None = None
    end_s: float | None = None
    closed: bool = False
    skipped: bool = False
    """The user moved on before the set was done."""

    @property
    def done(self) -> bool:
        """The set is done: the target reps judged, or (a hold) the target time held, in one
        hold or in several (standing still after the squeeze looks the same to the sensors,
        so a hold is not waited for to end)."""
        if self.profile.kind == "hold":
            held_s = sum(hold.duration_s for hold in self.processor.holds) + self.processor.hold_now_s
            return held_s >= self.profile.target_hold_s
        return len(self.processor.reps) >= (self.target_reps or self.profile.target_reps)


class PlanSession:
    """Routes one live session's samples through the drills of ``plan`` (see the module).

    ``folder``: the session folder (created; must not hold recordings already).
    ``sensors``: ``SensorInfo`` per label, for every file's header. ``thresholds_for``: the
    judgement thresholds of a drill. ``target_reps``: reps per set for every drill (None:
    each drill's own target). ``metadata``: extra lines for every file.
    """

    def __init__(
        self,
        plan: SessionPlan,
        folder: str | Path,
        sensors: Mapping[str, SensorInfo],
        thresholds_for: Callable[[ExerciseProfile], Thresholds],
        *,
        target_reps: int | None = None,
        metadata: Mapping[str, str] | None = None,
        switch_delay_s: float = SWITCH_DELAY_S,
        close_grace_s: float = CLOSE_GRACE_S,
        accelerometer_only: tuple[str, ...] = (),
    ):
        self.plan = plan
        self.profiles = plan.profiles()
        self.folder = Path(folder)
        self.sensors = dict(sensors)
        self.labels = tuple(self.sensors)
        self.thresholds_for = thresholds_for
        self.target_reps = target_reps
        self.metadata = dict(metadata or {})
        self.switch_delay_s = switch_delay_s
        self.close_grace_s = close_grace_s
        self.accelerometer_only = accelerometer_only
        self.parts: list[PlanPart] = []
        self.finished = False
        """True once the last drill's set is done and its announcement is over."""
        self._newest_s = {label: -np.inf for label in self.labels}
        self._closing: PlanPart | None = None

    # ------------------------------------------------------------------ parts
    @property
    def current(self) -> PlanPart:
        return self.parts[-1]

    @property
    def next_profile(self) -> ExerciseProfile | None:
        """The drill after the current one (None for the last)."""
        index = len(self.parts)
        return self.profiles[index] if index < len(self.profiles) else None

    def start(self) -> PlanPart:
        """Open the first drill's file (call once the sensors are known)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return self._start_part(0.0, None)

    def _start_part(self, start_s: float, previous: PlanPart | None) -> PlanPart:
        index = len(self.parts) + 1
        profile = self.profiles[index - 1]
        away_from = None
        if previous is not None and POSTURE_FAMILY[previous.profile.start_posture] != POSTURE_FAMILY[profile.start_posture]:
            away_from = previous.processor.pelvis_up_sensor
        thresholds = self.thresholds_for(profile)
        processor = LiveProcessor(
            self.labels, thresholds, exercise=profile, accelerometer_only=self.accelerometer_only,
            calibrate_away_from=away_from,
            after_movement=moves_into_position(previous and previous.profile.start_posture, profile.start_posture),
        )
        started = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        target = None if profile.kind == "hold" else (self.target_reps or profile.target_reps)
        metadata = {START_KEY: started, **self.metadata, "exercise": profile.name, PLAN_KEY: plan_line(self.plan, index)}
        if target is not None:
            metadata[TARGET_REPS_KEY] = str(target)
        path = self.folder / plan_file_name(index, profile.name)
        writer = LiveRecordingWriter(path, metadata, self.sensors)
        writer.open()
        part = PlanPart(index, profile, path, start_s, writer, processor, target, thresholds)
        self.parts.append(part)
        return part

    # ------------------------------------------------------------------ samples
    def add(self, sensor: str, block: SampleBlock) -> list[LiveRep]:
        """Route ``block`` (session times) to the drill(s) it belongs to; returns the reps
        the current drill finished with it. Moves on to the next drill when due."""
        time_s = np.asarray(block.time_s, dtype=float)
        if not len(time_s):
            return []
        new_reps: list[LiveRep] = []
        self._newest_s[sensor] = max(self._newest_s[sensor], float(time_s[-1]))
        closing = self._closing
        if closing is not None:
            before = time_s <= closing.end_s
            if before.any():
                self._feed(closing, sensor, time_s[before], block.acc_g[before], block.gyr_dps[before])
            time_s, acc_g, gyr_dps = time_s[~before], block.acc_g[~before], block.gyr_dps[~before]
            self._close_if_due(closing)
        else:
            acc_g, gyr_dps = block.acc_g, block.gyr_dps
        if len(time_s) and not self.finished:
            new_reps = self._feed(self.current, sensor, time_s, acc_g, gyr_dps)
        self._move_on_if_due()
        return new_reps

    def _feed(self, part: PlanPart, sensor: str, time_s, acc_g, gyr_dps) -> list[LiveRep]:
        local_s = time_s - part.start_s
        part.writer.add(sensor, local_s, acc_g, gyr_dps)
        return part.processor.feed(sensor, local_s, acc_g, gyr_dps)

    def skip(self) -> None:
        """Move on from the current drill now, done or not (the user asked to)."""
        part = self.current
        part.skipped = not part.done
        part.done_at_s = max(self._newest_s.values()) - self.switch_delay_s

    def _move_on_if_due(self) -> None:
        part = self.current
        newest_s = max(self._newest_s.values())
        if part.done_at_s is None and part.done:
            part.done_at_s = newest_s
        if part.done_at_s is None or newest_s < part.done_at_s + self.switch_delay_s or self.finished:
            return
        if self._closing is not None:  # the one before is still open: close it now
            self._close(self._closing)
        part.end_s = newest_s
        if self.next_profile is None:
            self.finished = True
            self._close(part)
            return
        self._closing = part
        self._start_part(newest_s, part)
        self._close_if_due(part)

    def _close_if_due(self, part: PlanPart) -> None:
        newest = min(self._newest_s.values())
        if newest >= part.end_s or max(self._newest_s.values()) >= part.end_s + self.close_grace_s:
            self._close(part)

    def _close(self, part: PlanPart) -> None:
        if part.closed:
            return
        part.processor.finish()
        part.writer.close()
        part.closed = True
        if self._closing is part:
            self._closing = None

    def flush_if_due(self) -> None:
        """Flush every open file that is due (call on a timer as well)."""
        for part in self.parts:
            if not part.closed:
                part.writer.flush_if_due()

    def close(self) -> None:
        """End the session: finish and close every open drill (safe to call twice)."""
        for part in self.parts:
            if part.end_s is None:
                part.end_s = max(self._newest_s.values())
            self._close(part)
