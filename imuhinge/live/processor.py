"""The live analysis: the offline pipeline's steps, fed block by block, causal throughout.

``LiveProcessor.feed(sensor, time_s, acc_g, gyr_dps)`` takes samples as they arrive and, once
``update_interval_s`` of new data is in on every live sensor, runs the steps of
``imuhinge.pipeline`` on it, in the same order and with the same settings and thresholds:

1. **Resample** (``resample.resample_stream``) each sensor onto the shared 50 Hz analysis
   clock, over the new ticks plus ``raw_context_s`` of raw samples before them.
2. **Calibrate** (``calibration``): guided. The state is ``calibrating`` while the user is
   asked to hold still; once every sensor has been quiet (``quiet_mask``) for
   ``calibration_s`` in a row, the gyroscope bias (``gyro_bias_track_dps`` over that
   stretch) and "up" (its mean accelerometer direction) are fixed, and the state is ``ready``.
3. **Orientation** (``orientation.OrientationFilter``): one imufusion AHRS per sensor, fed
   sample by sample, forwards only, from the start of the calibration stretch on.
4. **Angles** (``axes.sagittal_frontal_heading_deg``, zeroed on calibration standing) with
   a causal Butterworth low-pass of the same order and cut-off (``scipy.signal.sosfilt``
   with its state kept between blocks) instead of the zero-phase one.
5. **Reps** (``reps.detect_reps`` on ``analyse.rep_finding_tilt_deg``) on a rolling window
   that starts where the last emitted rep ended (where offline starts looking for the next
   one). A rep is emitted once it has ended: the tilt has stayed within ``return_deg`` of
   its end level for ``stay_s``, or has risen ``next_rise_deg`` from its low after the rep,
   or a later rep is already found.
6. **Metrics, one-sensor estimate, verdicts** (``metrics.measure_rep``,
   ``one_sensor.estimate_reps``, ``verdicts.judge_rep``) exactly as offline.

The mediolateral (left) axis. Offline takes it from the whole recording's movement. Live,
the AHRS runs from calibration in a *provisional* segment frame: up from calibration, and
as left the sensor axis most nearly horizontal. Until the first rep only the tilt
*magnitude* (angle of the segment from its standing up, either way) is known; reps are
looked for in it. When the first one has ended, ``calibration.mediolateral_axis`` and
``forward_sign`` are run on the gyroscope and accelerometer from calibration to then,
giving the true left axis and its sign; the true frame differs from the provisional one
by a fixed turn about up, and the gravity-only AHRS is unchanged by such a turn
(``R_world_segment = Rz · R_provisional · Rzᵀ``), so the orientation already computed is
converted, not recomputed; angles since calibration are then recomputed and reps are
looked for again, so the first rep is judged too. If that first rep had too little
rotation to find the axis, the next rep tries again over everything since calibration,
and the search for reps still starts at calibration, so that first rep is judged too.
The axis is then kept for the session.

What cannot be done as offline does it, and is done here instead:
- the orientation runs forwards only (offline blends a backward pass; live peaks read a
  little differently after long movement without a rest);
- the gyroscope bias is the calibration's, not followed through the session;
- the accelerometer trust test and the quiet test look back over their windows, not
  around the sample; the low-pass delays the angles by about 40 ms;
- the left axis comes from the first rep(s), not from the whole session; after each of
  the next few reps it is found again from everything since calibration, and taken only
  if it turned by more than ``axis_check_turn_deg`` (a first rep that bent to the side
  or twisted tilts it by 10° or more, and every later rep would then read as side bend;
  smaller changes are left alone, as the angles would shift mid-set for nothing); a
  one-sided drill's axes are then refitted after every rep on the reps so far, as offline
  refits them on all (``exercise.left_axis_turn_deg``), within ``refine_max_turn_deg`` of
  the axis found, and a thorax whose axis was not found at the first rep (it moved too
  little) is looked for again at the next, its reps judged from the pelvis alone until then;
- inside a long data gap the orientation is held (no interpolated rates are integrated),
  and the AHRS restarts (re-levelling from the accelerometer) at the first sample after it
  that is still or that the accelerometer can be trusted on (``orientation``'s test, over
  a window of valid samples only), where offline waits for a still one and has the
  backward pass for the time between: live, waiting for stillness would carry a stale
  tilt through the rest of a rep, which then vanishes from the count. Until ``restart_settle_s`` after the restart the angles are
  not anchored: a rep over that time is not judged, as a rep over a gap is not;
- the end of a swing's settling is looked for only until the rep is emitted;
- saturation is judged only in the end-of-session analysis.
The end-of-session analysis of the recording is the reference; the live verdicts are the
quick feedback.

The drill (``exercise``, an ``imuhinge.exercises`` profile; None is the kettlebell deadlift's
analysis as it was before drills were named) changes what ``pipeline.exercise`` changes
offline, with its own functions:
- calibration is the same quiet test in any posture, so a lying or kneeling drill
  calibrates in its start posture; in a session plan, a drill that follows one in another
  posture (lying after upright, or upright after lying) is given the previous drill's
  pelvis "up" (``calibrate_away_from``), and its calibration waits until gravity has moved
  more than ``posture_change_deg`` from it, so the rest after the last drill's set is not
  taken for the new start posture (kneeling and standing are both upright: the same
  calibration serves either);
- **direction**: once the left axis is known, a ``backward`` drill (the bridge) turns the
  pelvis's angles round (``exercise.direction_sign``), so its reps are negative tilts, and
  reps are looked for on the tilt turned the drill's way; away from standing, or for a
  backward drill, the thorax's forward is the side on which it moves with the pelvis
  (``fallback.forward_sign_like``, over calibration to the first rep instead of the whole
  recording). Lying or kneeling, no one-sensor estimate of the lower back is made, as offline;
- **metrics and checks**: on the rep's own window, as offline, the side bend of a
  one-sided drill (``exercise.with_side_bend``) and a bridge's arching over the whole rep
  (``with_whole_rep_lockout``); on the reps so far (``exercise.add_rep_metrics``, then
  ``drop_unchecked`` and ``apply_checks``): a rep's depth change is against the median of its
  set's reps up to it (the first rep of a set has 0%), its pace is that of the set so
  far, and a bridge's straight-hip target is the percentile of the reps so far (the
  profile's smallest expected extension until three reps are in), where offline uses
  the whole set and recording;
- **rep finding** uses the drill's segmentation (``exercise.segmentation_for``: smaller
  reps count lying or kneeling);
- **holds** (``kind = "hold"``): no reps are looked for. ``pipeline.holds.find_holds`` runs
  every ``hold_update_s`` on the stretch since the last finished hold (and, as offline,
  after the calibration standing: the first quiet stretch, up to ``max_quiet_used_s``,
  which is also passed as the standing the hold is told from), and ``hold_now_s`` is the
  hold under way. A hold is finished once the stillness it was found in has ended
  (standing still after letting go of the squeeze is not another hold); a finished one
  shorter than ``hold_min_longest_fraction`` of the longest so far is standing still
  between holds and is not counted, as offline. No rep shows the left axis, so each segment's sagittal angle is
  taken along the direction in which it sways most over that stretch (the provisional
  frame's tilt projected on its principal direction): the same angle, up to its sign,
  when the sway is forward and back, as the simulator's and a person's is.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.signal import butter, sosfilt, sosfilt_zi

from ..recording import SensorStream
from ..recording.columns import PELVIS, THORAX
from ..settings import Thresholds
from ..pipeline import one_sensor
from ..exercises import ExerciseProfile
from ..pipeline import exercise as drill
from ..pipeline.accelerometer_only import causal_gravity_direction, mediolateral_axis_from_gravity, tilt_quaternions
from ..pipeline.analyse import DEFAULT_SETTINGS, merge_intervals_s, rep_finding_tilt_deg
from ..pipeline.angles import SegmentAngles, lumbar_flexion_deg
from ..pipeline.axes import quaternions_to_matrices, sagittal_frontal_heading_deg, segment_from_sensor, to_segment
from ..pipeline.between_drills import settled_from
from ..pipeline.calibration import (
    SensorCalibration,
    forward_sign,
    gyro_bias_track_dps,
    mediolateral_axis,
    quiet_mask,
)
from ..pipeline.fallback import forward_sign_like
from ..pipeline.holds import Hold, find_holds
from ..pipeline.metrics import RepTraces, measure_rep
from ..pipeline.orientation import OrientationFilter
from ..pipeline.reps import RepSpan, detect_reps
from ..pipeline.resample import UniformStream, resample_stream
from ..pipeline.result import ESTIMATED, MEASURED
from ..pipeline.settings import PipelineSettings
from ..pipeline.tracks import SegmentTrack
from ..pipeline.verdicts import judge_rep, not_judged_without_gyroscope
from .buffers import GrowingArray
from .events import CurrentAngles, LiveRep, LiveSettings

WAITING = "waiting"
CALIBRATING = "calibrating"
READY = "ready"


class _Sensor:
    """Everything the processor keeps about one sensor: raw tail, analysis-clock traces, state."""

    def __init__(self, label: str, settings: PipelineSettings, gyroscope: bool = True):
        self.label = label
        self.gyroscope = gyroscope
        self.gravity_sensor = GrowingArray(3)
        self.gravity_state = None
        self.last_valid_acc_g = np.array([0.0, 0.0, 1.0])
        self.raw_time_s = GrowingArray()
        self.raw_acc_g = GrowingArray(3)
        self.raw_gyr_dps = GrowingArray(3)
        self.first_time_s = float("nan")
        self.received = 0
        self.acc_g = GrowingArray(3)
        self.gyr_dps = GrowingArray(3)
        self.valid = GrowingArray(None, bool)
        self.quiet = GrowingArray(None, bool)
        self.quaternions = GrowingArray(4)
        self.angles_deg = GrowingArray(3)
        self.tilt_magnitude_deg = GrowingArray()
        self.fusion = OrientationFilter(settings.fusion, settings.resample.rate_hz)
        self.calibration: SensorCalibration | None = None
        self.rotation_provisional: np.ndarray | None = None
        self.turn_z: np.ndarray | None = None
        self.zero_deg = np.zeros(3)
        self.filter_state: np.ndarray | None = None
        self.last_heading_deg: float | None = None
        self.restart_pending = False
        self.unanchored_from_s: float | None = None
        self.found_rotation: np.ndarray | None = None
        self.valid_run = 0
        self.unanchored_s: list[tuple[float, float]] = []

    @property
    def last_time_s(self) -> float:
        return float(self.raw_time_s.array[-1]) if len(self.raw_time_s) else -np.inf

    def add_raw(self, time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray) -> None:
        keep = np.isfinite(time_s) & np.isfinite(acc_g).all(axis=1) & np.isfinite(gyr_dps).all(axis=1)
        before = np.maximum.accumulate(np.concatenate(([self.last_time_s], np.where(keep, time_s, -np.inf))))[:-1]
        keep &= time_s > before
        self.raw_time_s.append(time_s[keep])
        self.raw_acc_g.append(acc_g[keep])
        self.raw_gyr_dps.append(gyr_dps[keep])
        self.received += int(keep.sum())
        if keep.any() and self.first_time_s != self.first_time_s:
            self.first_time_s = float(time_s[keep][0])

    def raw_since(self, from_s: float) -> SensorStream:
        t = self.raw_time_s.array
        first = int(np.searchsorted(t, from_s))
        return SensorStream(t[first:], self.raw_acc_g.array[first:], self.raw_gyr_dps.array[first:])

    def trim_raw(self, before_s: float) -> None:
        """Forget raw samples before ``before_s`` (the recording file keeps them all)."""
        t = self.raw_time_s.array
        cut = int(np.searchsorted(t, before_s))
        if cut > 4096 and cut > len(t) // 2:
            for buffer in (self.raw_time_s, self.raw_acc_g, self.raw_gyr_dps):
                rest = buffer.array[cut:].copy()
                buffer._size = 0
                buffer.append(rest)


class LiveProcessor:
    """The incremental analysis of one live session (see the module docstring).

    Parameters: the sensors used (``pelvis`` first, optionally ``thorax``), the judgement
    ``thresholds``, the shared pipeline ``settings``, the live-only ``live`` settings, and
    which sensors have no gyroscope (``accelerometer_only``: their tilt comes from the
    low-passed accelerometer, ``pipeline.accelerometer_only``, as offline), and the drill
    (``exercise``; None: hinges from standing judged for rounding and arching only).
    ``calibrate_away_from``: in a session plan, the pelvis's "up" (sensor frame) of the
    previous drill when it was in another posture; calibration then waits for a quiet
    stretch with gravity more than ``posture_change_deg`` away from it. ``after_movement``:
    the recording starts between two drills of a plan, so calibration waits for the move
    into position first (``pipeline.between_drills``, the rule the offline analysis of the
    same recording uses).
    Feed samples with ``feed``; it returns the reps finished by that block. ``state``,
    ``calibration_left_s``, ``current``, ``reps`` and, for a hold, ``holds`` and
    ``hold_now_s`` are for the screen.
    """

    def __init__(
        self,
        sensors: tuple[str, ...] = (PELVIS, THORAX),
        thresholds: Thresholds = Thresholds(),
        settings: PipelineSettings = DEFAULT_SETTINGS,
        live: LiveSettings = LiveSettings(),
        accelerometer_only: tuple[str, ...] = (),
        exercise: ExerciseProfile | None = None,
        calibrate_away_from: np.ndarray | None = None,
        posture_change_deg: float = 45.0,
        after_movement: bool = False,
    ):
        if not sensors or sensors[0] != PELVIS or any(s not in (PELVIS, THORAX) for s in sensors):
            raise ValueError(f"sensors must be ({PELVIS!r},) or ({PELVIS!r}, {THORAX!r}), got {sensors}")
        self.sensors = tuple(sensors)
        self.exercise = exercise
        self.calibrate_away_from = None if calibrate_away_from is None else (
            np.asarray(calibrate_away_from, dtype=float) / np.linalg.norm(calibrate_away_from)
        )
        self.posture_change_deg = float(posture_change_deg)
        self.after_movement = after_movement
        self._settled_from: int | None = None if after_movement else 0
        self.posture_changed = self.calibrate_away_from is None and not after_movement
        """False while calibration waits for the body to move into the drill's start posture."""
        self.sign = drill.direction_sign(exercise)
        self.holding = exercise is not None and exercise.kind == "hold"
        self._segmentation = drill.segmentation_for(exercise, settings)
        self.holds: list[Hold] = []
        """Finished holds (a hold drill), as ``pipeline.holds.find_holds`` measures them."""
        self.hold_now_s = 0.0
        """Seconds of the hold under way (0 when none is)."""
        self.hold_sway_now_deg = 0.0
        self._hold_from = 0
        self._standing_end: int | None = None
        self._hold_checked = 0
        self._spans: list[RepSpan] = []
        self._measured: list = []
        self.thresholds = thresholds
        self.settings = settings
        self.live = live
        self.rate_hz = settings.resample.rate_hz
        self.reps: list[LiveRep] = []
        self.state = WAITING
        self.calibration_left_s = live.calibration_s
        self.axes_known = False
        self.accelerometer_only = tuple(label for label in self.sensors if label in accelerometer_only)
        self._s = {label: _Sensor(label, settings, label not in accelerometer_only) for label in self.sensors}
        self._clock_start_s: float | None = None
        self._ticks = 0
        self._quiet_run = 0
        self._quiet_checked = 0
        self._calibration_window: tuple[int, int] | None = None
        self._oriented = 0
        self._search_from = 0
        self._axes_tried_until = -1
        self._sos = butter(settings.filter.order, settings.filter.cutoff_hz, btype="low", fs=self.rate_hz, output="sos")

    def with_accelerometer_only(self, labels: tuple[str, ...]) -> "LiveProcessor":
        """This processor (before any sample) for sensors of which ``labels`` have no gyroscope;
        itself when that changes nothing. A live session knows only once they connect."""
        if tuple(label for label in self.sensors if label in labels) == self.accelerometer_only:
            return self
        if self._clock_start_s is not None:
            raise RuntimeError("with_accelerometer_only() after samples were fed")
        return LiveProcessor(self.sensors, self.thresholds, self.settings, self.live, accelerometer_only=labels,
                             exercise=self.exercise, calibrate_away_from=self.calibrate_away_from,
                             posture_change_deg=self.posture_change_deg, after_movement=self.after_movement)

    # ------------------------------------------------------------------ input
    def feed(self, sensor: str, time_s, acc_g, gyr_dps) -> list[LiveRep]:
        """Add samples of ``sensor`` (s since session start; (n, 3) g and °/s, sensor frame).

        Returns the reps that ended and were judged with this block (usually none).
        Samples whose time does not increase, or that are not finite, are ignored.
        """
        if sensor not in self._s:
            raise ValueError(f"unknown sensor {sensor!r}; this session has {list(self.sensors)}")
        time_s = np.asarray(time_s, dtype=np.float64).reshape(-1)
        if not len(time_s):
            return []
        self._s[sensor].add_raw(
            time_s, np.asarray(acc_g, np.float64).reshape(-1, 3), np.asarray(gyr_dps, np.float64).reshape(-1, 3)
        )
        if self._clock_start_s is None and len(self._s[PELVIS].raw_time_s):
            self._clock_start_s = float(self._s[PELVIS].raw_time_s.array[0])
            if self.state == WAITING:
                self.state = CALIBRATING
        return self._advance(final=False)

    def finish(self) -> list[LiveRep]:
        """Process everything received (end of session); returns reps emitted by it."""
        return self._advance(final=True)

    # ------------------------------------------------------------------ status
    @property
    def samples_received(self) -> dict[str, int]:
        return {label: s.received for label, s in self._s.items()}

    def received_span_s(self, sensor: str) -> float:
        """Time (s) from the first to the newest sample received from ``sensor``."""
        s = self._s[sensor]
        return s.last_time_s - s.first_time_s if s.received >= 2 else 0.0

    @property
    def processed_s(self) -> float:
        """Session time (s) of the newest sample the steps have run on."""
        if self._clock_start_s is None or self._ticks == 0:
            return 0.0
        return self._clock_start_s + (self._ticks - 1) / self.rate_hz

    @property
    def pelvis_up_sensor(self) -> np.ndarray | None:
        """The pelvis's calibrated "up" (unit vector, sensor frame); None before calibration."""
        calibration = self._s[PELVIS].calibration
        return None if calibration is None else np.array(calibration.up_sensor, dtype=float)

    @property
    def current(self) -> CurrentAngles | None:
        """The newest angles, or None before calibration."""
        if self._calibration_window is None or self._oriented == 0:
            return None
        pelvis = self._s[PELVIS]
        thorax = self._s.get(THORAX)
        if self.axes_known:
            p = float(pelvis.angles_deg.array[-1, 0])
            t = float(thorax.angles_deg.array[-1, 0]) if thorax is not None else None
        else:
            p = float(pelvis.tilt_magnitude_deg.array[-1])
            t = float(thorax.tilt_magnitude_deg.array[-1]) if thorax is not None else None
        return CurrentAngles(self.processed_s, p, t, None if t is None else t - p, not self.axes_known)

    # ------------------------------------------------------------------ steps
    def _advance(self, final: bool) -> list[LiveRep]:
        horizon_s = self._horizon_s(final)
        if horizon_s is None or self._clock_start_s is None:
            return []
        last_tick = int(np.floor((horizon_s - self._clock_start_s) * self.rate_hz + 1e-9))
        new = last_tick + 1 - self._ticks
        if new <= 0 or (not final and new < self.live.update_interval_s * self.rate_hz):
            return []
        self._resample(self._ticks, last_tick + 1)
        if self._calibration_window is None:
            self._try_calibrate()
        if self._calibration_window is None:
            return []
        self._orient(self._oriented, self._ticks)
        if self.holding:
            self._follow_holds(final)
            return []
        return self._emit_reps(final)

    def _horizon_s(self, final: bool) -> float | None:
        """Newest time every live sensor has data beyond; a sensor lagging too far is skipped."""
        lasts = {label: s.last_time_s for label, s in self._s.items()}
        newest = max(lasts.values())
        if not np.isfinite(newest):
            return None
        if final:
            return lasts[PELVIS] if np.isfinite(lasts[PELVIS]) else None
        live = [t for t in lasts.values() if t >= newest - self.live.sensor_lag_limit_s]
        return min(live) - 0.5 / self.rate_hz - 0.01

    def _resample(self, first: int, stop: int) -> None:
        """Step 1 on ticks [first, stop), and the quiet test for each sensor."""
        clock_s = self._clock_start_s + np.arange(first, stop) / self.rate_hz
        cal = self.settings.calibration
        width = int(round(cal.window_s * self.rate_hz))
        for s in self._s.values():
            raw = s.raw_since(clock_s[0] - self.live.raw_context_s)
            if len(raw) >= 2:
                stream = resample_stream(
                    raw, clock_s, self.rate_hz, self.thresholds.max_bridged_gap_s,
                    self.settings.resample.bridge_error_share,
                )
                acc, gyr, valid = stream.acc_g, stream.gyr_dps, stream.valid
            else:
                acc, gyr = np.zeros((len(clock_s), 3)), np.zeros((len(clock_s), 3))
                valid = np.zeros(len(clock_s), dtype=bool)
            s.acc_g.append(acc)
            s.gyr_dps.append(gyr)
            s.valid.append(valid)
            back = max(0, first - width)
            context = UniformStream(
                time_s=np.arange(back, stop) / self.rate_hz,
                acc_g=s.acc_g.array[back:stop],
                gyr_dps=s.gyr_dps.array[back:stop],
                valid=s.valid.array[back:stop],
                rate_hz=self.rate_hz,
            )
            s.quiet.append(_trailing_quiet(context, cal, width)[first - back :])
            s.trim_raw(clock_s[0] - self.live.raw_context_s - 5.0)
        self._ticks = stop

    def _try_calibrate(self) -> None:
        """Step 2: wait for ``calibration_s`` of every sensor quiet at once, then calibrate."""
        needed = int(round(self.live.calibration_s * self.rate_hz))
        quiet = np.logical_and.reduce([s.quiet.array for s in self._s.values()])
        if self._settled_from is None:
            valid = np.logical_and.reduce([s.valid.array[: self._ticks] for s in self._s.values()])
            self._settled_from = settled_from(quiet[: self._ticks], valid, self.rate_hz, complete=False)
            if self._settled_from is None:  # not moved into position yet: nothing counts
                self.calibration_left_s = self.live.calibration_s
                return
        quiet[: self._settled_from] = False
        changed = True
        if self.calibrate_away_from is not None:
            acc = self._s[PELVIS].acc_g.array
            cosine = (acc @ self.calibrate_away_from) / np.maximum(np.linalg.norm(acc, axis=1), 1e-9)
            moved = cosine < np.cos(np.radians(self.posture_change_deg))
            quiet = quiet & moved
            changed = bool(moved[self._settled_from : self._ticks].any())
        self.posture_changed = self.posture_changed or changed
        for k in range(self._quiet_checked, self._ticks):
            self._quiet_run = self._quiet_run + 1 if quiet[k] else 0
            if self._quiet_run >= needed:
                self._calibrate((k + 1 - needed, k + 1))
                return
        self._quiet_checked = self._ticks
        self.calibration_left_s = (needed - self._quiet_run) / self.rate_hz

    def _calibrate(self, window: tuple[int, int]) -> None:
        start, stop = window
        for s in self._s.values():
            stream = UniformStream(
                time_s=np.arange(start, stop) / self.rate_hz,
                acc_g=s.acc_g.array[start:stop],
                gyr_dps=s.gyr_dps.array[start:stop],
                valid=np.ones(stop - start, dtype=bool),
                rate_hz=self.rate_hz,
            )
            everywhere = np.ones(stop - start, dtype=bool)
            bias = np.mean(gyro_bias_track_dps(stream, everywhere, (0, stop - start), self.settings.calibration), axis=0)
            up = np.mean(stream.acc_g, axis=0)
            up = up / np.linalg.norm(up)
            guess = np.eye(3)[int(np.argmin(np.abs(up)))]
            s.rotation_provisional = segment_from_sensor(up, guess)
            s.calibration = SensorCalibration(s.rotation_provisional, bias, up, False)
        self._calibration_window = window
        self._oriented = start
        self._search_from = stop
        self._hold_from = self._hold_checked = stop
        self.calibration_left_s = 0.0
        self.state = READY

    def _orient(self, first: int, stop: int) -> None:
        """Steps 3–4 on ticks [first, stop): AHRS forwards, then angles (or tilt magnitude)."""
        if stop <= first:
            return
        fusion = self.settings.fusion
        width = max(1, int(round(fusion.acc_trust_window_s * self.rate_hz)))
        for s in self._s.values():
            if not s.gyroscope:
                self._orient_from_gravity(s, first, stop)
                continue
            back = max(self._calibration_window[0], first - width + 1)
            bias = s.calibration.gyro_bias_dps
            gyr = to_segment(s.rotation_provisional, s.gyr_dps.array[back:stop] - bias)
            acc = to_segment(s.rotation_provisional, s.acc_g.array[back:stop])
            trusted = _trailing_trust(gyr, acc, width, fusion)[first - back :]
            gyr, acc = gyr[first - back :], acc[first - back :]
            valid = s.valid.array[first:stop]
            still = s.quiet.array[first:stop]
            acc = np.where((trusted & valid)[:, None], acc, 0.0)
            gyr = np.where(valid[:, None], gyr, 0.0)
            restart = np.zeros(stop - first, dtype=bool)
            for i in range(stop - first):
                s.valid_run = s.valid_run + 1 if valid[i] else 0
                if not valid[i]:
                    if not s.restart_pending:
                        s.unanchored_from_s = self._clock_start_s + (first + i) / self.rate_hz
                    s.restart_pending = True
                elif s.restart_pending and (still[i] or (trusted[i] and s.valid_run >= width)):
                    restart[i] = True
                    s.restart_pending = False
                    until_s = self._clock_start_s + (first + i) / self.rate_hz + self.live.restart_settle_s
                    s.unanchored_s.append((s.unanchored_from_s, until_s))
            s.quaternions.append(s.fusion.update(gyr, acc, restart))
            self._after_orientation(s, first, stop)
        self._oriented = stop

    def _after_orientation(self, s: _Sensor, first: int, stop: int) -> None:
        """Tilt magnitude, and angles once the axes are known, for the new ticks [first, stop)."""
        matrices = quaternions_to_matrices(s.quaternions.array[first - self._calibration_window[0] :])
        s.tilt_magnitude_deg.append(np.degrees(np.arccos(np.clip(matrices[:, 2, 2], -1.0, 1.0))))
        if self.axes_known:
            s.angles_deg.append(self._angles(s, first, stop))

    def _orient_from_gravity(self, s: _Sensor, first: int, stop: int) -> None:
        """Step 3 for a sensor without gyroscope: the orientation is the tilt of the causally
        low-passed accelerometer (heading fixed at zero: it cannot be seen). Invalid ticks
        (data gaps) repeat the last valid reading instead of feeding zeros to the filter."""
        acc = s.acc_g.array[first:stop].copy()
        valid = s.valid.array[first:stop]
        for i in range(len(acc)):
            if valid[i]:
                s.last_valid_acc_g = acc[i]
            else:
                acc[i] = s.last_valid_acc_g
        up_sensor, s.gravity_state = causal_gravity_direction(
            acc, self.rate_hz, self.settings.accelerometer_only, s.gravity_state
        )
        s.gravity_sensor.append(up_sensor)
        s.quaternions.append(tilt_quaternions(to_segment(s.rotation_provisional, up_sensor)))
        self._after_orientation(s, first, stop)

    def _angles(self, s: _Sensor, first: int, stop: int) -> np.ndarray:
        """(n, 3) filtered sagittal, frontal, heading (deg) in the true segment frame."""
        offset = self._calibration_window[0]
        rotation = quaternions_to_matrices(s.quaternions.array[first - offset : stop - offset])
        rotation = s.turn_z @ rotation @ s.turn_z.T
        raw = np.column_stack(sagittal_frontal_heading_deg(rotation))
        if s.last_heading_deg is not None:
            raw[:, 2] += 360.0 * np.round((s.last_heading_deg - raw[0, 2]) / 360.0)
        s.last_heading_deg = float(raw[-1, 2])
        raw -= s.zero_deg
        if s.filter_state is None:
            s.filter_state = sosfilt_zi(self._sos)[:, :, None] * raw[0][None, None, :]
        if self.settings.filter.cutoff_hz <= 0 or self.settings.filter.cutoff_hz >= 0.5 * self.rate_hz:
            return raw
        filtered, s.filter_state = sosfilt(self._sos, raw, axis=0, zi=s.filter_state)
        return filtered

    def _find_axes(self, min_turn_deg: float = 0.0) -> bool:
        """Left axis and its sign for every sensor, from calibration to now; True if found.

        ``min_turn_deg``: with the axes already known, keep them unless the pelvis's new
        left axis is more than this far from the current one (see ``LiveSettings.axis_check_reps``),
        or a sensor's axis was not found yet (the thorax can move too little in a first short
        swing: its stand-in axis would read the hinge as side bend for the rest of the set).
        """
        start = self._calibration_window[0]
        cal = self.settings.calibration
        every_found = all(s.calibration.axis_found for s in self._s.values())
        if self.axes_known and min_turn_deg > 0 and every_found:
            s = self._s[PELVIS]
            if not s.gyroscope:
                return False
            gyr = s.gyr_dps.array[start : self._ticks] - s.calibration.gyro_bias_dps
            left, found = mediolateral_axis(gyr, s.calibration.up_sensor, s.valid.array[start : self._ticks],
                                            self.rate_hz, cal)
            cosine = abs(float(left @ s.calibration.rotation_segment_sensor[1]))
            if not found or np.degrees(np.arccos(min(1.0, cosine))) <= min_turn_deg:
                return False
        for s in self._s.values():
            valid = s.valid.array[start : self._ticks]
            if s.gyroscope:
                gyr = s.gyr_dps.array[start : self._ticks] - s.calibration.gyro_bias_dps
                left, found = mediolateral_axis(gyr, s.calibration.up_sensor, valid, self.rate_hz, cal)
            else:
                gravity = s.gravity_sensor.array[: self._ticks - start]
                left, found = mediolateral_axis_from_gravity(
                    gravity, s.calibration.up_sensor, valid[: len(gravity)], self.rate_hz,
                    self.settings.accelerometer_only,
                )
            if s.label == PELVIS and not found:
                return False
            rotation = segment_from_sensor(s.calibration.up_sensor, left)
            if found and forward_sign(s.acc_g.array[start : self._ticks], rotation, self.rate_hz, cal) < 0:
                rotation = segment_from_sensor(s.calibration.up_sensor, -left)
            if s.label == PELVIS and self.sign < 0:  # a backward drill: its reps are negative tilts
                rotation = _half_turn(rotation, s.calibration.up_sensor)
            s.calibration = replace(s.calibration, rotation_segment_sensor=rotation, axis_found=found)
            s.turn_z = rotation @ s.rotation_provisional.T
        thorax = self._s.get(THORAX)
        if thorax is not None and self.exercise is not None and (
            self.exercise.start_posture != "standing" or self.sign < 0
        ):
            pelvis = self._s[PELVIS]
            valid = pelvis.valid.array[start : self._oriented] & thorax.valid.array[start : self._oriented]
            like = forward_sign_like(
                self._angles_unfiltered(thorax, start, self._oriented)[:, 0],
                self._angles_unfiltered(pelvis, start, self._oriented)[:, 0], valid,
            )
            if like < 0:
                rotation = _half_turn(thorax.calibration.rotation_segment_sensor, thorax.calibration.up_sensor)
                thorax.calibration = replace(thorax.calibration, rotation_segment_sensor=rotation)
                thorax.turn_z = rotation @ thorax.rotation_provisional.T
        for s in self._s.values():
            s.found_rotation = s.calibration.rotation_segment_sensor
        self._recompute_angles()
        self.axes_known = True
        return True

    def _recompute_angles(self) -> None:
        """Every sensor's angles from calibration to now again, in its current axes, zeroed
        on the calibration window."""
        start, stop_calibration = self._calibration_window
        for s in self._s.values():
            s.zero_deg = np.mean(self._angles_unfiltered(s, start, stop_calibration), axis=0)
            s.filter_state, s.last_heading_deg = None, None
            s.angles_deg = GrowingArray(3)
            s.angles_deg.append(self._angles(s, start, self._oriented))

    def _refine_left_axes(self) -> None:
        """A one-sided drill's left axes refitted on the reps so far, as offline
        (``exercise.left_axis_turn_deg``): the axis about which the reps' frontal tilt
        stays flattest, so a first rep that bent or twisted does not leave every later
        hinge reading as side bend. Each refit starts from the axis ``_find_axes`` found
        (as offline's starts from calibration's), not from the previous refit, so a few
        early reps that mostly bend cannot walk the axis away rep by rep."""
        offset = self._calibration_window[0]
        changed = False
        for s in self._s.values():
            if not (s.gyroscope and s.calibration.axis_found):
                continue
            found = s.found_rotation
            quaternions = _turned(s.quaternions.array[: self._oriented - offset], found @ s.rotation_provisional.T)
            valid = s.valid.array[offset : self._oriented]
            turn_deg = drill.left_axis_turn_deg(quaternions, valid, self._spans, self.settings.exercise,
                                                self.live.refine_max_turn_deg)
            rotation = drill.turned_about_up(found, s.calibration.up_sensor, turn_deg)
            if np.allclose(rotation, s.calibration.rotation_segment_sensor, atol=1e-6):
                continue
            s.calibration = replace(s.calibration, rotation_segment_sensor=rotation)
            s.turn_z = rotation @ s.rotation_provisional.T
            changed = True
        if changed:
            self._recompute_angles()

    def _angles_unfiltered(self, s: _Sensor, first: int, stop: int) -> np.ndarray:
        offset = self._calibration_window[0]
        rotation = quaternions_to_matrices(s.quaternions.array[first - offset : stop - offset])
        rotation = s.turn_z @ rotation @ s.turn_z.T
        return np.column_stack(sagittal_frontal_heading_deg(rotation))

    # ------------------------------------------------------------------ reps
    def _emit_reps(self, final: bool) -> list[LiveRep]:
        """Step 5–7: reps in the rolling window that have ended, measured and judged."""
        if not self.axes_known:
            magnitude = self._s[PELVIS].tilt_magnitude_deg.array
            offset = self._calibration_window[0]
            first = max(self._search_from, self._ticks - int(self.live.window_s * self.rate_hz))
            trace = _causal_lowpass(magnitude[first - offset :], self._sos)
            spans = detect_reps(trace, self.rate_hz, self._segmentation)
            ended = [k for k in range(len(spans)) if self._ended(trace, spans, k, final)]
            if not ended or first + spans[ended[-1]].end_index <= self._axes_tried_until:
                return []
            if not self._find_axes():
                # Too little rotation yet to tell the axis (the first swing of a set can be a
                # short hike): try again when another rep has ended, and keep looking from
                # calibration, so the first rep is still judged once the axis is known.
                self._axes_tried_until = first + spans[ended[-1]].end_index
                return []
        emitted: list[LiveRep] = []
        while True:
            window = self._window(self._search_from)
            pelvis, thorax = window
            tilt = self.sign * rep_finding_tilt_deg(pelvis, thorax, self.settings)
            spans = detect_reps(tilt, self.rate_hz, self._segmentation)
            if not spans or not self._ended(tilt, spans, 0, final):
                return emitted
            span = spans[0]
            if thorax is not None and not thorax.calibration.axis_found:
                thorax = None  # its axes are not known yet: judged as with the pelvis sensor alone
            emitted.append(self._judge(span, pelvis, thorax, self._search_from - self._calibration_window[0]))
            self._search_from += span.end_index
            if len(self.reps) <= self.live.axis_check_reps:
                self._find_axes(self.live.axis_check_turn_deg)
            if self.exercise is not None and drill.judges_frontal(self.exercise):
                self._refine_left_axes()

    def _ended(self, tilt: np.ndarray, spans: list[RepSpan], k: int, final: bool) -> bool:
        """Whether rep ``k`` of ``spans`` is over (see ``LiveSettings``)."""
        if final or k + 1 < len(spans):
            return True
        span = spans[k]
        level = float(tilt[span.end_index])
        after_bottom = tilt[span.bottom_index :]
        above = np.flatnonzero(after_bottom > level + self.live.return_deg)
        since_above = len(after_bottom) - 1 - (int(above[-1]) if above.size else 0)
        if since_above >= self.live.stay_s * self.rate_hz and len(tilt) - 1 > span.end_index:
            return True
        low = int(np.argmin(after_bottom))
        return float(np.max(after_bottom[low:]) - after_bottom[low]) >= self.live.next_rise_deg

    def _window(self, first: int) -> tuple[SegmentTrack, SegmentTrack | None]:
        """The tracks of ticks [first, now) in the offline types, for the shared steps."""
        first = max(first, self._ticks - int(self.live.window_s * self.rate_hz))
        self._search_from = max(self._search_from, first)
        offset = self._calibration_window[0]
        time_s = self._clock_start_s + np.arange(first, self._ticks) / self.rate_hz
        tracks: dict[str, SegmentTrack] = {}
        for label, s in self._s.items():
            valid = s.valid.array[first : self._ticks]
            stream = UniformStream(
                time_s=time_s, acc_g=s.acc_g.array[first : self._ticks], gyr_dps=s.gyr_dps.array[first : self._ticks],
                valid=valid, rate_hz=self.rate_hz, gaps_s=_gaps_s(time_s, valid, self.rate_hz),
            )
            quaternions = _turned(s.quaternions.array[first - offset : self._ticks - offset], s.turn_z)
            angles = s.angles_deg.array[first - offset : self._ticks - offset]
            tracks[label] = SegmentTrack(
                stream, s.calibration, quaternions, SegmentAngles(angles[:, 0], angles[:, 1], angles[:, 2])
            )
        return tracks[PELVIS], tracks.get(THORAX)

    def _judge(self, span: RepSpan, pelvis: SegmentTrack, thorax: SegmentTrack | None, offset: int) -> LiveRep:
        """Steps 6–7 for one rep of the window, as ``analyse_recording`` does them.

        ``offset``: the window's first tick, counted from the start of calibration (where
        the kept angles start), so the drill's metrics can see the reps so far.
        """
        number = len(self.reps) + 1
        time_s = pelvis.stream.time_s
        if thorax is not None:
            trunk = thorax.angles.sagittal_deg
            traces = RepTraces(
                time_s, pelvis.angles.sagittal_deg, trunk, lumbar_flexion_deg(trunk, pelvis.angles.sagittal_deg),
                MEASURED, thorax.angles.frontal_deg, pelvis.angles.heading_deg,
                valid=pelvis.stream.valid & thorax.stream.valid, rep_sign=self.sign,
            )
            rep = measure_rep(number, span, traces, self.settings.metrics)
            gaps = merge_intervals_s(pelvis.stream.gaps_s + thorax.stream.gaps_s)
        else:
            traces = RepTraces(
                time_s, pelvis.angles.sagittal_deg, None, None, ESTIMATED,
                pelvis.angles.frontal_deg, pelvis.angles.heading_deg, lockout_measurable=False,
                valid=pelvis.stream.valid, rep_sign=self.sign,
            )
            rep = measure_rep(number, span, traces, self.settings.metrics)
            if self.exercise is None or self.exercise.start_posture == "standing":
                rep = one_sensor.estimate_reps([rep], [span], pelvis, None)[0]
            gaps = pelvis.stream.gaps_s
        pelvis_gyroscope = self._s[PELVIS].gyroscope
        if not pelvis_gyroscope:  # no heading without a gyroscope; alone, nothing to judge the back by
            rep = replace(rep, rotation_deg=None)
            if thorax is None:
                rep = replace(rep, lumbar_flexion_deg=None, trunk_inclination_deg=None, hinge_ratio=None)
        if self.exercise is not None:
            tracks = {PELVIS: pelvis} if thorax is None else {PELVIS: pelvis, THORAX: thorax}
            if drill.judges_frontal(self.exercise):
                rep = drill.with_side_bend([rep], [span], tracks, self.settings.exercise)[0]
            rep = drill.with_whole_rep_lockout([rep], [span], traces.lumbar_flexion_deg, self.exercise)[0]
            rep = self._with_drill_metrics(rep, span, offset)
        judged = judge_rep(rep, self.thresholds, merge_intervals_s(gaps + self._unanchored_s()))
        if self.exercise is not None:
            judged = drill.apply_checks(drill.drop_unchecked(judged, self.exercise), self.exercise, self.sensors)
        if not pelvis_gyroscope and thorax is None:
            judged = not_judged_without_gyroscope(judged)
        live_rep = LiveRep.from_result(judged, emitted_s=self.processed_s)
        self.reps.append(live_rep)
        return live_rep


    def _unanchored_s(self) -> list[tuple[float, float]]:
        """Every sensor's times (s) from a long data gap's start to ``restart_settle_s``
        after the AHRS restarted (to now while it has not)."""
        out = [interval for s in self._s.values() for interval in s.unanchored_s]
        out += [(s.unanchored_from_s, np.inf) for s in self._s.values() if s.restart_pending]
        return out

    def _with_drill_metrics(self, rep, span: RepSpan, offset: int):
        """``rep`` with the drill's metrics (``exercise.add_rep_metrics``) over the reps so far."""
        self._spans.append(RepSpan(span.start_index + offset, span.bottom_index + offset, span.end_index + offset))
        self._measured.append(rep)
        pelvis_tilt = self._s[PELVIS].angles_deg.array[:, 0]
        return drill.add_rep_metrics(
            self._measured, self._spans, pelvis_tilt, self.rate_hz, self.exercise,
            self.settings.metrics.lockout_from_fraction, self.settings.exercise,
        )[-1]

    # ------------------------------------------------------------------ holds
    def _follow_holds(self, final: bool) -> None:
        """Holds finished since the last one, and the one under way (see the module docstring)."""
        every = int(round(self.live.hold_update_s * self.rate_hz))
        if not final and self._ticks - self._hold_checked < every:
            return
        self._hold_checked = self._ticks
        if self._standing_end is None:
            self._standing_end = self._calibration_standing_end(final)
            if self._standing_end is None:
                return
            self._hold_from = max(self._hold_from, self._standing_end)
        longest = int(round(self.live.hold_window_s * self.rate_hz))
        first = max(self._hold_from, self._ticks - longest)
        if self._ticks - first < 2:
            return
        standing = (self._calibration_window[0], min(self._standing_end, first))
        tracks = self._hold_tracks(standing, first)
        reference = (0, max(0, standing[1] - standing[0]))
        holds = find_holds(tracks, reference, self.exercise, self.settings.exercise, ended=final)
        last_s = self._clock_start_s + (self._ticks - 1) / self.rate_hz
        self.hold_now_s, self.hold_sway_now_deg = 0.0, 0.0
        for hold in holds:
            still_end_s = hold.end_s if hold.still_end_s is None else max(hold.end_s, hold.still_end_s)
            if still_end_s >= last_s - self.live.hold_end_s and not final:
                self.hold_now_s, self.hold_sway_now_deg = hold.duration_s, hold.sway_deg
                break
            longest_s = max((h.duration_s for h in self.holds), default=0.0)
            if hold.duration_s >= self.settings.exercise.hold_min_longest_fraction * longest_s:
                self.holds.append(hold)  # shorter: standing still between holds, as offline
            self._hold_from = int(round((still_end_s - self._clock_start_s) * self.rate_hz)) + 1

    def _calibration_standing_end(self, final: bool) -> int | None:
        """Where offline's calibration standing ends (``calibration.standing_window``: the
        first quiet stretch, at most ``max_quiet_used_s`` of it), once that is known; holds
        are timed after it, as ``pipeline.holds.find_holds`` times them offline."""
        start = self._calibration_window[0]
        cap = start + int(round(self.settings.calibration.max_quiet_used_s * self.rate_hz))
        quiet = np.logical_and.reduce([s.quiet.array[start : self._ticks] for s in self._s.values()])
        moved = np.flatnonzero(~quiet)
        if moved.size and start + int(moved[0]) <= cap:
            return start + int(moved[0])
        return cap if self._ticks >= cap or final else None

    def _hold_tracks(self, standing: tuple[int, int], first: int) -> dict[str, SegmentTrack]:
        """Ticks ``standing`` (the calibration standing, the hold's reference) followed by
        ticks [first, now) of every sensor as ``SegmentTrack``s for
        ``pipeline.holds.find_holds``: bias-corrected rates, and as sagittal angle the
        provisional frame's tilt (zeroed on calibration, low-passed; each part filtered on
        its own) along the direction it varies most over these ticks."""
        offset, (start, stop) = self._calibration_window[0], self._calibration_window
        ticks = np.concatenate([np.arange(*standing), np.arange(first, self._ticks)])
        parts = [(a, b) for a, b in (standing, (first, self._ticks)) if b > a]
        time_s = self._clock_start_s + ticks / self.rate_hz
        tracks: dict[str, SegmentTrack] = {}
        for label, s in self._s.items():
            rotation = quaternions_to_matrices(s.quaternions.array[start - offset : stop - offset])
            zero = np.mean(np.column_stack(sagittal_frontal_heading_deg(rotation))[:, :2], axis=0)
            quaternions = s.quaternions.array[ticks - offset]
            tilts = []
            for a, b in parts:
                rotation = quaternions_to_matrices(s.quaternions.array[a - offset : b - offset])
                tilt = np.column_stack(sagittal_frontal_heading_deg(rotation))[:, :2] - zero
                tilts.append(np.column_stack([_causal_lowpass(tilt[:, k], self._sos) for k in range(2)]))
            tilt = np.vstack(tilts)
            centred = tilt - np.mean(tilt, axis=0)
            _, vectors = np.linalg.eigh(centred.T @ centred)
            along = tilt @ vectors[:, -1]
            valid = s.valid.array[ticks]
            stream = UniformStream(
                time_s=time_s, acc_g=s.acc_g.array[ticks],
                gyr_dps=s.gyr_dps.array[ticks] - s.calibration.gyro_bias_dps,
                valid=valid, rate_hz=self.rate_hz, gaps_s=_gaps_s(time_s, valid, self.rate_hz),
            )
            zeros = np.zeros_like(along)
            tracks[label] = SegmentTrack(stream, s.calibration, quaternions, SegmentAngles(along, zeros, zeros))
        return tracks


def _half_turn(rotation_segment_sensor: np.ndarray, up_sensor: np.ndarray) -> np.ndarray:
    """The segment frame turned half round about up: forward and left reversed, so sagittal
    and frontal angles change sign (as ``exercise.orient_for_exercise`` turns them offline)."""
    return segment_from_sensor(up_sensor, -rotation_segment_sensor[1])


def _trailing_quiet(stream: UniformStream, settings, width: int) -> np.ndarray:
    """``calibration.quiet_mask`` looking back over its window (the last ``width`` ticks)."""
    shifted = UniformStream(
        time_s=stream.time_s,
        acc_g=np.vstack([np.repeat(stream.acc_g[:1], width // 2, axis=0), stream.acc_g]),
        gyr_dps=np.vstack([np.repeat(stream.gyr_dps[:1], width // 2, axis=0), stream.gyr_dps]),
        valid=np.concatenate([np.repeat(stream.valid[:1], width // 2), stream.valid]),
        rate_hz=stream.rate_hz,
    )
    shifted.time_s = np.arange(len(shifted.acc_g)) / stream.rate_hz
    return quiet_mask(shifted, settings)[: len(stream.acc_g)] & stream.valid


def _trailing_trust(gyr_dps: np.ndarray, acc_g: np.ndarray, width: int, settings) -> np.ndarray:
    """``orientation.accelerometer_trusted`` with the mean over the last ``width`` samples."""
    rate = _trailing_mean(np.linalg.norm(gyr_dps, axis=1), width)
    level = _trailing_mean(np.linalg.norm(acc_g, axis=1), width)
    return (rate < settings.acc_trust_rate_dps) & (np.abs(level - 1.0) < settings.acc_trust_g)


def _trailing_mean(x: np.ndarray, width: int) -> np.ndarray:
    sums = np.cumsum(np.concatenate([[0.0], x]))
    index = np.arange(1, len(x) + 1)
    lo = np.maximum(index - width, 0)
    return (sums[index] - sums[lo]) / (index - lo)


def _causal_lowpass(x: np.ndarray, sos: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        return x
    return sosfilt(sos, x, zi=sosfilt_zi(sos) * x[0])[0]


def _gaps_s(time_s: np.ndarray, valid: np.ndarray, rate_hz: float) -> list[tuple[float, float]]:
    """(start, end) of each run of invalid ticks, widened to the ticks either side."""
    padded = np.concatenate([[False], ~np.asarray(valid, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    step = 1.0 / rate_hz
    return [(float(time_s[a] - step), float(time_s[b - 1] + step)) for a, b in zip(edges[0::2], edges[1::2])]


def _turned(quaternions_wxyz: np.ndarray, turn_z: np.ndarray) -> np.ndarray:
    """(n, 4) provisional-frame orientations in the frame turned by ``turn_z`` about z
    (``turn_z @ R @ turn_z.T`` for each ``R``), as quaternions."""
    q_turn = _z_turn_quaternion(turn_z)
    shape = quaternions_wxyz.shape
    return _multiply(_multiply(np.broadcast_to(q_turn, shape), quaternions_wxyz),
                     np.broadcast_to(q_turn * [1, -1, -1, -1], shape))


def _z_turn_quaternion(turn_z: np.ndarray) -> np.ndarray:
    """(w, x, y, z) of a rotation about z given as a matrix."""
    half = 0.5 * np.arctan2(turn_z[1, 0], turn_z[0, 0])
    return np.array([np.cos(half), 0.0, 0.0, np.sin(half)])


def _multiply(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    from ..pipeline.orientation import _multiply as hamilton

    return hamilton(np.asarray(p), np.asarray(q))
