"""Step 9: the whole offline analysis of a recording.

samples → resample → calibration → orientation → angles → reps → metrics (→ the
one-sensor estimate) → verdicts, assembled into an ``Analysis`` with every trace on one
clock. Two-sensor mode when a thorax stream is present (and not ignored on request);
otherwise one-sensor mode, where lumbar flexion is estimated.
"""

from __future__ import annotations

import numpy as np

from ..errors import AnalysisError
from ..exercises import ExerciseProfile, target_reps_from
from ..recording import Recording, SensorStream
from ..recording.columns import PELVIS, THORAX
from ..settings import Thresholds
from . import exercise as drill
from . import one_sensor
from .between_drills import in_position
from .accelerometer_only import accuracy_note
from .angles import lumbar_flexion_deg
from .calibration import QUIET_STANDING, quiet_mask, standing_window
from .fallback import FALLBACK_STILLEST_WINDOW, fallback_calibration_window, fallback_warning
from .gap_fill import segmentation_tilt_deg
from .holds import STILLNESS, find_holds
from .metrics import RepTraces, measure_rep
from .posture import check_posture
from .reps import detect_reps
from .saturation import saturated_spans_s
from .resample import UniformStream, analysis_clock, resample_stream
from .result import ESTIMATED, MEASURED, ONE_SENSOR, TWO_SENSOR, Analysis, AngleTraces
from .settings import PipelineSettings
from .tracks import SegmentTrack, track_segment
from .verdicts import judge_rep, not_judged_without_gyroscope

DEFAULT_SETTINGS = PipelineSettings()
LONG_GAP_WARNING_S = 5.0
"""A data gap longer than this gets its own warning (times, and that reps there are lost)."""


def analyse_recording(
    recording: Recording,
    thresholds: Thresholds = Thresholds(),
    *,
    reference: Recording | None = None,
    pelvis_only: bool = False,
    settings: PipelineSettings = DEFAULT_SETTINGS,
    exercise: ExerciseProfile | None = None,
) -> Analysis:
    """Analyse ``recording``; raise ``AnalysisError`` if it cannot be analysed.

    ``reference``: a recording of the same person's good, neutral-spine hinges, used to
    personalise the one-sensor estimate (ignored in two-sensor mode). ``pelvis_only``:
    analyse as one-sensor even if a thorax sensor was recorded. ``exercise``: the drill
    done (``imuhinge.exercises``): its posture, direction, checks and target shape the
    analysis (``pipeline.exercise``); None analyses hinges from standing with the rounded
    and overextended judgements only, as before drills were named. A later drill of a
    session plan is analysed from where the person is in position (``between_drills``).
    """
    recording = in_position(without_gyroscope(recording), settings, thresholds.max_bridged_gap_s)
    tracks, gaps_s, warnings, window = build_tracks(recording, thresholds, pelvis_only, settings)
    if exercise is not None:
        drill.orient_for_exercise(tracks, exercise)
    pelvis = tracks[PELVIS]
    thorax = tracks.get(THORAX)
    time_s = pelvis.stream.time_s
    sign = drill.direction_sign(exercise)
    finding_tilt_deg = sign * rep_finding_tilt_deg(pelvis, thorax, settings)
    segmentation = drill.segmentation_for(exercise, settings)
    spans = detect_reps(finding_tilt_deg, pelvis.stream.rate_hz, segmentation)
    hips_rise_cm = None
    if exercise is not None:
        bridge_gaps = settings.filter.bridge_gaps and len(tracks) > 1
        if drill.judges_frontal(exercise) and drill.refine_left_axes(tracks, spans, window, settings, bridge_gaps):
            drill.orient_for_exercise(tracks, exercise)
            pelvis = tracks[PELVIS]
            thorax = tracks.get(THORAX)
            finding_tilt_deg = sign * rep_finding_tilt_deg(pelvis, thorax, settings)
            spans = detect_reps(finding_tilt_deg, pelvis.stream.rate_hz, segmentation)
        hips_rise_cm = check_posture(tracks, spans, exercise, settings.exercise)
        if exercise.kind == "hold":
            spans = []

    calibration = {
        "standing_start_s": round(float(time_s[window[0]]), 3),
        "standing_end_s": round(float(time_s[window[1] - 1]), 3),
        "analysis_rate_hz": settings.resample.rate_hz,
        "method": pelvis.calibration.method,
        **{label: track.calibration.as_dict() for label, track in tracks.items()},
    }
    if thorax is not None:
        trunk = thorax.angles.sagittal_deg
        lumbar = lumbar_flexion_deg(trunk, pelvis.angles.sagittal_deg)
        rep_traces = RepTraces(
            time_s, pelvis.angles.sagittal_deg, trunk, lumbar, MEASURED,
            thorax.angles.frontal_deg, pelvis.angles.heading_deg,
            valid=pelvis.stream.valid & thorax.stream.valid, rep_sign=sign,
        )
        reps = [measure_rep(i + 1, span, rep_traces, settings.metrics) for i, span in enumerate(spans)]
        traces = AngleTraces(time_s, pelvis.angles.sagittal_deg, trunk, lumbar, MEASURED, gaps_s)
        mode = TWO_SENSOR
    else:
        rep_traces = RepTraces(
            time_s, pelvis.angles.sagittal_deg, None, None, ESTIMATED,
            pelvis.angles.frontal_deg, pelvis.angles.heading_deg, lockout_measurable=False,
            valid=pelvis.stream.valid, rep_sign=sign,
        )
        reps = [measure_rep(i + 1, span, rep_traces, settings.metrics) for i, span in enumerate(spans)]
        if exercise is not None and exercise.start_posture != "standing":
            pass  # the one-sensor estimate is fitted on hinges from standing: not used here
        elif pelvis.calibration.gyroscope:
            correction = None
            if reference is not None:
                correction = reference_correction(reference, thresholds, settings)
                calibration["one_sensor_reference"] = correction.as_dict()
            reps = one_sensor.estimate_reps(reps, spans, pelvis, correction)
            calibration["one_sensor_model"] = one_sensor.load_model().description
        elif reference is not None:
            warnings.append(
                "the reference recording was not used: with an accelerometer-only pelvis "
                "sensor the lower back is not estimated"
            )
        traces = AngleTraces(time_s, pelvis.angles.sagittal_deg, None, None, ESTIMATED, gaps_s)
        mode = ONE_SENSOR

    saturated = [span for label in tracks for span in saturated_spans_s(recording.streams[label])]
    for label in tracks:
        spans_s = saturated_spans_s(recording.streams[label])
        if spans_s:
            total_s = sum(b - a for a, b, _ in spans_s)
            warnings.append(
                f"the {label} sensor reached the end of its measuring range for {total_s:.1f} s "
                "(set it to a wider range); reps then are not judged"
            )
    if exercise is not None:
        if drill.judges_frontal(exercise):
            reps = drill.with_side_bend(reps, spans, tracks, settings.exercise)
        reps = drill.with_whole_rep_lockout(reps, spans, traces.lumbar_flexion_deg, exercise)
        reps = drill.add_rep_metrics(
            reps, spans, pelvis.angles.sagittal_deg, pelvis.stream.rate_hz, exercise,
            settings.metrics.lockout_from_fraction, settings.exercise,
        )
    reps = [judge_rep(rep, thresholds, gaps_s, saturated) for rep in reps]
    holds = record = None
    if exercise is not None:
        worn = tuple(tracks)
        reps = [drill.apply_checks(drill.drop_unchecked(rep, exercise), exercise, worn) for rep in reps]
        if exercise.kind == "hold":
            holds = find_holds(tracks, window, exercise, settings.exercise, whole=True)
        estimated_back = mode == ONE_SENSOR and pelvis.calibration.gyroscope and exercise.start_posture == "standing"
        record = drill.exercise_record(exercise, worn, estimated_back, holds, pelvis.calibration.gyroscope)
        record["hips_rise_cm"] = None if hips_rise_cm is None else round(hips_rise_cm, 1)
        target_reps = target_reps_from(recording.metadata)
        if exercise.kind == "reps" and target_reps is not None:
            record["target_reps"] = target_reps
    if mode == ONE_SENSOR and not pelvis.calibration.gyroscope:
        reps = [not_judged_without_gyroscope(rep) for rep in reps]
    if exercise is not None and exercise.kind == "hold":
        if not holds:
            shortest_s = max(settings.exercise.hold_min_s,
                             settings.exercise.hold_min_target_fraction * (exercise.target_hold_s or 0.0))
            warnings.append(f"no hold of at least {shortest_s:g} s was found in this recording")
        elif any(hold.timed_by == STILLNESS for hold in holds):
            warnings.append(
                "a hold was timed by stillness alone (a steady hold looks like standing still to "
                "the pelvis sensor; the thorax sensor sees the chest lift), so its time may include "
                "standing still just before or after it; step or turn as soon as you let go"
            )
    elif not spans and not pelvis.calibration.axis_found:
        warnings.append("no hinge movement was found in this recording")
    method = pelvis.calibration.method
    caveats = []
    if method != QUIET_STANDING:  # the same sentence build_tracks put among the warnings
        caveats.append(fallback_warning(method, window, settings.resample.rate_hz, settings.calibration))
    without = [label for label, track in tracks.items() if not track.calibration.gyroscope]
    note = accuracy_note(without, thorax is not None) if without else None
    if note is not None:
        warnings.append(note)
        caveats.append(note)
    return Analysis(
        mode=mode,
        thresholds=thresholds,
        calibration=calibration,
        reps=reps,
        traces=traces,
        source=recording.source,
        metadata=dict(recording.metadata),
        duration_s=recording.duration_s,
        warnings=warnings,
        sensors={
            label: {"gyroscope": track.calibration.gyroscope, "calibration": track.calibration.method}
            for label, track in tracks.items()
        },
        accuracy_note=note,
        caveats=caveats,
        exercise=record,
        holds=holds,
    )


def rep_finding_tilt_deg(
    pelvis: SegmentTrack, thorax: SegmentTrack | None, settings: PipelineSettings
) -> np.ndarray:
    """The pelvic tilt to find reps in: with a thorax sensor, pelvis gaps are filled from it.

    Only segmentation sees the fill (so a rep inside a pelvis loss is still counted);
    such a rep overlaps the gap and is flagged ``gap``, never judged on filled data.
    Before the recording settled in its calibration posture (``calibration.posture_start``:
    it started in another one) the tilt is held at its value there: no rep is found in
    another posture or in getting out of it.
    """
    if thorax is None:
        tilt = _without_long_gaps(
            pelvis.angles.sagittal_deg, pelvis.stream, settings.segmentation.max_rep_s
        )
    else:
        tilt = segmentation_tilt_deg(
            pelvis.angles.sagittal_deg, pelvis.stream.valid, thorax.angles.sagittal_deg,
            thorax.stream.valid, pelvis.stream.rate_hz, settings.gap_fill,
        )
    settled = pelvis.calibration.posture_start_index
    if 0 < settled < len(tilt):
        tilt[:settled] = tilt[settled]
    return tilt


def _without_long_gaps(tilt_deg: np.ndarray, stream: UniformStream, longest_s: float) -> np.ndarray:
    """``tilt_deg`` with a straight line across each gap longer than a rep can last.

    Inside such a gap the angle is the integral of an interpolated rate over minutes, and
    its wander would look like reps; nothing in it was observed, so no rep may be found.
    """
    tilt = np.array(tilt_deg, dtype=np.float64)
    for start_s, end_s in stream.gaps_s:
        if end_s - start_s <= longest_s:
            continue
        a = int(np.searchsorted(stream.time_s, start_s, side="right")) - 1
        b = int(np.searchsorted(stream.time_s, end_s, side="left"))
        a, b = max(a, 0), min(b, len(tilt) - 1)
        if b > a + 1:
            tilt[a : b + 1] = np.linspace(tilt[a], tilt[b], b - a + 1)
    return tilt


def build_tracks(
    recording: Recording, thresholds: Thresholds, pelvis_only: bool, settings: PipelineSettings
) -> tuple[dict[str, SegmentTrack], list[tuple[float, float]], list[str], tuple[int, int]]:
    """Steps 1–4 for each sensor used: tracks, the merged long gaps, warnings, standing window."""
    if PELVIS not in recording.streams:
        raise AnalysisError("the recording has no pelvis sensor, which the analysis needs")
    recording = without_gyroscope(recording)
    labels = [PELVIS] + ([THORAX] if THORAX in recording.streams and not pelvis_only else [])
    pelvis_stream = recording.streams[PELVIS]
    needed_s = settings.calibration.min_quiet_s + 1.0
    span_s = float(pelvis_stream.time_s[-1] - pelvis_stream.time_s[0])
    if span_s < needed_s:
        raise AnalysisError(
            f"the recording is only {span_s:.1f} s long; at least {needed_s:g} s "
            "(quiet standing, then the exercise) is needed"
        )
    rate_hz = settings.resample.rate_hz
    clock = analysis_clock(float(pelvis_stream.time_s[0]), float(pelvis_stream.time_s[-1]), rate_hz)
    streams: dict[str, UniformStream] = {}
    warnings: list[str] = []
    for label in labels:
        stream = resample_stream(
            recording.streams[label], clock, rate_hz, thresholds.max_bridged_gap_s,
            settings.resample.bridge_error_share,
        )
        streams[label] = stream
        long_gaps = [(a, b) for a, b in stream.gaps_s if b - a > LONG_GAP_WARNING_S]
        for a, b in long_gaps:
            warnings.append(
                f"no data from the {label} sensor for {b - a:.0f} s (from {a:.1f} s to {b:.1f} s); "
                "reps in that time could not be counted"
            )
        lost = _loss_outside(recording.streams[label], stream, long_gaps)
        if lost > settings.resample.loss_warning_fraction:
            warnings.append(f"the {label} sensor lost {100 * lost:.0f}% of its samples")
        if not stream.valid.any():
            raise AnalysisError(f"the {label} sensor's samples do not overlap the pelvis sensor's")
    gyroscopes = {label: label not in recording.accelerometer_only for label in labels}
    quiet = {label: quiet_mask(stream, settings.calibration) for label, stream in streams.items()}
    window, method, quiet = calibration_window(streams, quiet, gyroscopes, settings)
    if method != QUIET_STANDING:
        warnings.append(fallback_warning(method, window, rate_hz, settings.calibration))
    bridge_gaps = settings.filter.bridge_gaps and len(labels) > 1
    tracks: dict[str, SegmentTrack] = {}
    for label in labels:
        forward_like = tracks[PELVIS].angles.sagittal_deg if label != PELVIS else None
        tracks[label] = track_segment(
            streams[label], window, quiet[label], settings, bridge_gaps, method, forward_like, gyroscopes[label]
        )
    for label, track in tracks.items():
        if not track.calibration.axis_found:
            warnings.append(
                f"the {label} sensor barely moved, so its axes could not be found from the movement"
            )
    gaps = merge_intervals_s([gap for stream in streams.values() for gap in stream.gaps_s])
    return tracks, gaps, warnings, window


def calibration_window(
    streams: dict[str, UniformStream],
    quiet: dict[str, np.ndarray],
    gyroscopes: dict[str, bool],
    settings: PipelineSettings,
) -> tuple[tuple[int, int], str, dict[str, np.ndarray]]:
    """Where to calibrate: (window, method, still masks) for every sensor at once.

    The first quiet stretch all sensors share, in the posture the pelvis is mostly still in
    (``calibration.standing_window``: ``quiet-standing``); failing that, a
    fallback (``pipeline.fallback``), whose window then counts as still for the
    orientation step too.
    """
    rate_hz = settings.resample.rate_hz
    together = np.logical_and.reduce(list(quiet.values()))
    try:
        window = standing_window(together, rate_hz, settings.calibration, streams[PELVIS].acc_g)
        return window, QUIET_STANDING, quiet
    except AnalysisError:
        window, method = fallback_calibration_window(streams, settings.calibration, settings.fallback, gyroscopes)
    if method == FALLBACK_STILLEST_WINDOW:
        held = np.zeros(len(together), dtype=bool)
        held[window[0] : window[1]] = True
        quiet = {label: mask | held for label, mask in quiet.items()}
    return window, method, quiet


def without_gyroscope(recording: Recording) -> Recording:
    """``recording`` with the gyroscope of its accelerometer-only sensors set to zero.

    Contract 1 says those columns hold 0.0 and are ignored; zeroing them here makes every
    step ignore them, whatever a file put there.
    """
    if not recording.accelerometer_only:
        return recording
    streams = {
        label: SensorStream(stream.time_s, stream.acc_g, np.zeros_like(stream.gyr_dps))
        if label in recording.accelerometer_only else stream
        for label, stream in recording.streams.items()
    }
    return Recording(streams=streams, metadata=recording.metadata, source=recording.source)


def reference_correction(
    reference: Recording, thresholds: Thresholds, settings: PipelineSettings
) -> "one_sensor.ReferenceCorrection":
    """The one-sensor estimate's personal correction, from the user's own good hinges."""
    try:
        tracks, _, _, _ = build_tracks(reference, thresholds, True, settings)
    except AnalysisError as exc:
        raise AnalysisError(f"the reference recording cannot be used: {exc}") from None
    pelvis = tracks[PELVIS]
    spans = detect_reps(pelvis.angles.sagittal_deg, pelvis.stream.rate_hz, settings.segmentation)
    if not spans:
        raise AnalysisError("the reference recording has no hinge reps to learn from")
    rep_traces = RepTraces(
        pelvis.stream.time_s, pelvis.angles.sagittal_deg, None, None, ESTIMATED,
        pelvis.angles.frontal_deg, pelvis.angles.heading_deg, lockout_measurable=False,
    )
    reps = [measure_rep(i + 1, span, rep_traces, settings.metrics) for i, span in enumerate(spans)]
    return one_sensor.fit_reference(reps, spans, pelvis)


def merge_intervals_s(gaps: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Union of (start, end) intervals in seconds, sorted (the gaps of several sensors)."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(gaps):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _loss_outside(raw, stream: UniformStream, long_gaps: list[tuple[float, float]]) -> float:
    """The share of samples lost, not counting the long gaps that are reported apart."""
    if not long_gaps:
        return stream.lost_fraction
    t = raw.time_s
    span_s = float(t[-1] - t[0]) - sum(
        max(0.0, min(b, t[-1]) - max(a, t[0])) for a, b in long_gaps
    )
    expected = span_s * stream.nominal_rate_hz + 1.0
    return float(max(0.0, 1.0 - (len(t) - len(long_gaps)) / expected)) if expected > 1.0 else 0.0
