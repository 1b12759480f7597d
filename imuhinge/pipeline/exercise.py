"""The analysis of one drill of the programme (``imuhinge.exercises``): what changes per profile.

The steps of ``analyse_recording`` do not depend on the posture: calibration takes "up"
from the quiet start window whatever the direction of gravity in the segment, and the
left (mediolateral) axis from the movement. What a drill's profile changes is decided
here, in one place:

- **direction**: calibration chooses the sign of the left axis so that the largest
  excursions are forward tilts. A ``backward`` drill (the bridge: the pelvis rotates
  towards hip extension) flips it, so its reps are negative pelvic tilts, as docs/frames.md
  signs them; reps are found on the angle turned the drill's way. Away from standing the
  thorax's sign is taken from moving with the pelvis (in a bridge or a kneeling raise the
  trunk turns the same way as the pelvis), not from its own largest excursion.
- **rep finding** (``segmentation_for``): lying or kneeling drills and drills that check
  stopping short of neutral count smaller reps, whose faults make them small.
- **axes** (``refine_left_axes``): a drill that checks side bend or rotation re-estimates
  the left axis from its reps, robustly, so faulty reps do not tilt it and leak the
  hinge into the frontal angle; its ``side_bend_deg`` is read from both segments as the
  truth defines it (``side_bend_deg``).
- **posture**: a recording that obviously was not done in the drill's posture is refused
  (``pipeline.posture.check_posture``).
- **metrics** the checks use (``add_rep_metrics``), and the **checks** themselves
  (``apply_checks``): flags and reasons from the profile, for the checks the worn sensors
  can make. ``rounded`` and ``overextended`` stay with ``verdicts.judge_rep`` and the
  ``Thresholds`` (which the command line sets from the profile unless told otherwise).
- **holds** (``kind = "hold"``): no reps; the still stretches long enough to be holds are
  timed and their sway measured (``pipeline.holds.find_holds``).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..exercises import ExerciseProfile
from ..recording.columns import PELVIS, THORAX
from .axes import quaternions_to_matrices, segment_from_sensor
from .calibration import QUIET_STANDING, quiet_mask
from .fallback import forward_sign_like
from .holds import Hold
from .reps import RepSpan, top_index
from .result import NOT_JUDGED_FLAGS, OVEREXTENDED, ROUNDED, RepResult
from .settings import ExerciseSettings, PipelineSettings, SegmentationSettings
from .tracks import SegmentTrack, retrack_with_rotation

DIRECTION_SIGN = {"forward": 1.0, "backward": -1.0}
"""Sign of the pelvic tilt (+ forward) in which a drill's reps move."""
THRESHOLD_CHECKS = {ROUNDED: "lumbar_flexion_deg", OVEREXTENDED: "lockout_extension_deg"}
"""Checks judged by ``verdicts.judge_rep`` against the ``Thresholds`` (the profile's
limits are the command line's defaults for them)."""


def direction_sign(profile: ExerciseProfile | None) -> float:
    """+1 for forward drills (and without a profile), −1 for backward ones."""
    return DIRECTION_SIGN[profile.direction] if profile is not None else 1.0


def orient_for_exercise(tracks: dict[str, SegmentTrack], profile: ExerciseProfile) -> None:
    """Turn the tracks' angles the drill's way (in place; see the module docstring).

    Flipping the left axis is a half turn about "up": sagittal and frontal angles change
    sign, the heading only by a constant that its zeroing removes.
    """
    pelvis = tracks[PELVIS]
    if profile.direction == "backward" and pelvis.calibration.axis_found:
        _flip(pelvis)
    thorax = tracks.get(THORAX)
    if thorax is None:
        return
    if profile.start_posture != "standing" or profile.direction == "backward":
        valid = thorax.stream.valid & pelvis.stream.valid
        if forward_sign_like(thorax.angles.sagittal_deg, pelvis.angles.sagittal_deg, valid) < 0:
            _flip(thorax)


FRONTAL_METRICS = ("side_bend_deg", "rotation_deg")
"""Metrics of checks that judge movement out of the sagittal plane."""


def judges_frontal(profile: ExerciseProfile) -> bool:
    """True if the drill checks side bend or rotation (the one-sided drills): only those
    re-estimate the left axis and measure side bend over both segments (``refine_left_axes``,
    ``with_side_bend``); other drills keep the analysis without a drill."""
    return any(c.metric in FRONTAL_METRICS for c in profile.checks)


def refine_left_axes(
    tracks: dict[str, SegmentTrack],
    spans: list[RepSpan],
    window: tuple[int, int],
    settings: PipelineSettings,
    bridge_gaps: bool,
) -> bool:
    """Re-estimate each segment's left axis from the reps alone, robustly; True if any changed.

    Calibration takes the left axis as the dominant rotation axis of all the movement, a
    least-squares fit. In a one-sided drill some reps bend to the side or twist as they
    hinge, in step with it, and pull that fit towards the anterior axis by several degrees.
    A left axis turned by δ about up reads a hinge of θ as a side bend of about δ·tan θ:
    1° is 2.7° of phantom side bend at 70°, enough with a clean rep's lean to pass a 10°
    limit. Here the axis is the one about which the reps' frontal tilt stays flattest
    (``_flattest_turns_deg``). The frontal tilt is that of gravity seen in the segment,
    which a twist about the vertical does not change; the rate about the anterior axis,
    which an earlier fit on the rates used, takes ψ̇·sin θ from a twist of ψ̇ at a hinge
    of θ, and the single-arm lift twists often. Measured as the slope of the frontal
    error on tan θ against the simulator's truth (single-arm lift, two sensors, seeds
    1000–1199), the effective turn of the axis was 0.5° on the median session, 1.2–1.3°
    on one in ten and up to 3.2° with the fit on the rates; it is 0.2°, 0.6° and 1.3°
    with this one, and 98% of the reps' side bends are within −0.9° to +1.1° of the truth
    (were −1.4° to +3.5°).
    Each rep's own best axis is found first; reps whose axis is more than
    ``refine_inlier_deg`` from the median rep's (a side bend in the rep) are left out of
    the final fit, which sums the least-absolute costs of the rest. A rep that twists
    without bending counts as a clean one here, so the median holds in a set where most
    reps twist or bend, as long as fewer than half of them bend. Only samples within
    ``refine_max_tilt_deg`` of upright count (nearer horizontal the frontal tilt is
    ill-conditioned; on those seeds 60° or 70° left the axis a little further off than
    75°, 80° the same). Only for quiet-standing calibration with a gyroscope and at least
    ``refine_min_reps`` reps; the axis may turn by up to ``refine_max_turn_deg`` about up.
    """
    if len(spans) < settings.exercise.refine_min_reps:
        return False
    changed = False
    for label, track in list(tracks.items()):
        calibration = track.calibration
        if not (calibration.gyroscope and calibration.axis_found and calibration.method == QUIET_STANDING):
            continue
        best_deg = left_axis_turn_deg(track.quaternions_wxyz, track.stream.valid, spans, settings.exercise)
        if best_deg == 0.0:
            continue
        new_rotation = turned_about_up(calibration.rotation_segment_sensor, calibration.up_sensor, best_deg)
        quiet = quiet_mask(track.stream, settings.calibration)
        tracks[label] = retrack_with_rotation(track, new_rotation, window, quiet, settings, bridge_gaps)
        changed = True
    return changed


def left_axis_turn_deg(
    quaternions_wxyz: np.ndarray, valid: np.ndarray, spans: list[RepSpan], options: ExerciseSettings,
    max_turn_deg: float | None = None,
) -> float:
    """The turn (deg, towards anterior) of a segment's left axis about up that keeps its
    reps' frontal tilt flattest (see ``refine_left_axes``), 0 with too few usable reps.

    ``quaternions_wxyz`` (segment in world, the current axes) and ``valid`` per sample;
    ``spans`` index them; the turn is at most ``max_turn_deg`` (default
    ``refine_max_turn_deg``). Shared with the live processor, which refits after each rep."""
    limit_deg = options.refine_max_turn_deg if max_turn_deg is None else max_turn_deg
    turns_deg = np.arange(-limit_deg, limit_deg + 1e-9, 0.1)
    up_segment = quaternions_to_matrices(quaternions_wxyz)[:, 2, :]
    tilt_deg = np.degrees(np.arctan2(np.hypot(up_segment[:, 0], up_segment[:, 1]), up_segment[:, 2]))
    usable = valid & (tilt_deg <= options.refine_max_tilt_deg)
    per_rep = [np.flatnonzero(usable[s.start_index : s.end_index + 1]) + s.start_index for s in spans]
    costs = [_flattest_turns_deg(up_segment[index], turns_deg) for index in per_rep if len(index) >= 3]
    if len(costs) < options.refine_min_reps:
        return 0.0
    rep_turns_deg = np.array([turns_deg[int(np.argmin(cost))] for cost in costs])
    typical_deg = float(np.median(rep_turns_deg))
    inliers = np.flatnonzero(np.abs(rep_turns_deg - typical_deg) <= options.refine_inlier_deg)
    return float(turns_deg[int(np.argmin(np.sum([costs[i] for i in inliers], axis=0)))])


def turned_about_up(rotation_segment_sensor: np.ndarray, up_sensor: np.ndarray, turn_deg: float) -> np.ndarray:
    """The segment frame with its left axis turned ``turn_deg`` about up, towards anterior."""
    turn = math.radians(turn_deg)
    left_sensor = rotation_segment_sensor.T @ np.array([math.sin(turn), math.cos(turn), 0.0])
    return segment_from_sensor(up_sensor, left_sensor)


def _flattest_turns_deg(up_segment: np.ndarray, turns_deg: np.ndarray) -> np.ndarray:
    """Per turn of the left axis about up (deg, towards anterior) among ``turns_deg``, how
    much the frontal tilt of one rep's samples strays in total from its median (deg).

    ``up_segment``: (n, 3) the direction of "up" in the segment frame (gravity as the
    orientation sees it). Turning the axes by β about up leaves its vertical component and
    mixes the other two; the frontal tilt is that of "up" in the turned left–up plane.
    """
    turn = np.radians(turns_deg)[:, None]
    left = up_segment[None, :, 0] * np.sin(turn) + up_segment[None, :, 1] * np.cos(turn)
    frontal_deg = np.degrees(np.arctan2(left, up_segment[None, :, 2]))
    return np.abs(frontal_deg - np.median(frontal_deg, axis=1, keepdims=True)).sum(axis=1)


def segmentation_for(profile: ExerciseProfile | None, settings: PipelineSettings) -> SegmentationSettings:
    """The rep-finding settings for a drill: smaller reps count where a fault makes them small.

    Standing, a rep must rise ``min_peak_deg`` and stand ``min_prominence_deg`` clear of
    its surroundings so that walking and fidgeting between sets are not counted. Lying or
    kneeling nobody walks, and a faulty rep can be small: a bridge stopping 20° short of a
    30° straight-hip angle rises 10°, so those drills need only rise
    ``lying_kneeling_min_peak_deg``. A drill that checks for stopping short of neutral
    (``hip_extension_short_deg``) starts the rep after a short one from where that one
    stopped, so the dip between the two can be a few degrees: those drills, and the lying
    or kneeling ones, need only ``short_stop_min_prominence_deg`` of prominence.
    """
    if profile is None:
        return settings.segmentation
    options = settings.exercise
    segmentation = settings.segmentation
    if profile.start_posture != "standing":
        segmentation = replace(segmentation, min_peak_deg=min(segmentation.min_peak_deg, options.lying_kneeling_min_peak_deg))
    if profile.start_posture != "standing" or any(c.metric == "hip_extension_short_deg" for c in profile.checks):
        segmentation = replace(
            segmentation, min_prominence_deg=min(segmentation.min_prominence_deg, options.short_stop_min_prominence_deg)
        )
    return segmentation


def _flip(track: SegmentTrack) -> None:
    track.angles = replace(
        track.angles, sagittal_deg=-track.angles.sagittal_deg, frontal_deg=-track.angles.frontal_deg
    )


def add_rep_metrics(
    reps: list[RepResult],
    spans: list[RepSpan],
    pelvis_tilt_deg: np.ndarray,
    rate_hz: float,
    profile: ExerciseProfile,
    lockout_from_fraction: float,
    settings: ExerciseSettings,
) -> list[RepResult]:
    """``reps`` with ``hip_extension_short_deg``, ``depth_change_pct`` and ``rep_rate_per_min``.

    ``hip_extension_short_deg``: the pelvis's angle, turned the drill's way, at its most
    extended over the end of the rep's drive (from ``lockout_from_fraction`` of the way up
    to its top, ``reps.top_index``: where the return first comes to rest, so that a last
    rep that stopped short and settled back into the start posture in the rest after the
    set is measured where it stopped), 0 if it got back to the start posture or beyond: how
    far the hips stayed short of the start posture's neutral. For a backward drill (the bridge,
    whose start is lying with the hips flexed) the top of the rep is its extreme, and
    straight hips are a personal angle: the target is the extension the person's best reps
    of the set reach (the ``bridge_target_percentile`` of the set's reps, most of which are
    good), and short is how far the rep's extension stayed below it. Per set, because the
    angle is measured from the start posture, and lying down again for the next set moves
    that start posture by a few degrees. A set of fewer than 3 reps takes the target of the
    whole recording (with fewer than 3 reps in all, the smallest of the profile's expected
    range).
    ``depth_change_pct``: |depth − the set's median depth| as a percentage of that median
    (depth: the pelvis's excursion the drill's way). ``rep_rate_per_min``: the pace of the
    rep's set (reps split into sets at pauses longer than ``set_break_s``).
    """
    sign = direction_sign(profile)
    depths, shorts = [], []
    for span in spans:
        turned = sign * pelvis_tilt_deg[span.start_index : span.end_index + 1]
        depths.append(float(np.max(turned)))
        if sign > 0:
            top = top_index(
                pelvis_tilt_deg, span, rate_hz,
                settings.top_min_return_deg, settings.top_stop_rate_fraction, settings.top_rate_window_s,
            )
            first = min(top, span.bottom_index + int(math.ceil(lockout_from_fraction * (top - span.bottom_index))))
            shorts.append(max(0.0, float(np.min(sign * pelvis_tilt_deg[first : top + 1]))))
    sets = split_sets([(s.start_index / rate_hz, s.end_index / rate_hz) for s in spans], settings.set_break_s)
    if sign < 0:
        overall = (
            float(np.percentile(depths, settings.bridge_target_percentile)) if len(depths) >= 3
            else profile.expected_range_deg[0]
        )
        shorts = [0.0] * len(spans)
        for members in sets:
            own = [depths[i] for i in members]
            target = float(np.percentile(own, settings.bridge_target_percentile)) if len(own) >= 3 else overall
            for i in members:
                shorts[i] = max(0.0, target - depths[i])
    rates: list[float] = [math.nan] * len(spans)
    change: list[float] = [math.nan] * len(spans)
    for members in sets:
        if len(members) >= 2:
            first_s = spans[members[0]].start_index / rate_hz
            last_s = spans[members[-1]].start_index / rate_hz
            pace = 60.0 * (len(members) - 1) / max(last_s - first_s, 1e-6)
        else:
            span = spans[members[0]]
            pace = 60.0 * rate_hz / max(span.end_index - span.start_index, 1)
        median_depth = float(np.median([depths[i] for i in members]))
        for i in members:
            rates[i] = pace
            if median_depth > 0:
                change[i] = 100.0 * abs(depths[i] - median_depth) / median_depth
    return [
        replace(
            rep,
            hip_extension_short_deg=round(shorts[i], 2),
            depth_change_pct=None if not math.isfinite(change[i]) else round(change[i], 1),
            rep_rate_per_min=round(rates[i], 2),
        )
        for i, rep in enumerate(reps)
    ]


def side_bend_deg(tracks: dict[str, SegmentTrack], span: RepSpan, settings: ExerciseSettings) -> float:
    """The rep's side bend (deg, + to the right): the frontal tilt of largest magnitude of
    the worn segments, as the truth defines it, each relative to the start posture.

    The pelvis is read over the whole rep. The thorax only where its own tilt is within
    ``side_bend_max_trunk_tilt_deg`` of upright: a trunk hinged near horizontal turns about
    the same vertical axis whether it bends to the side or twists, so its frontal angle
    there is ill-conditioned (a rounded rep read tens of degrees of phantom side bend).
    """
    within = slice(span.start_index, span.end_index + 1)
    values = []
    for label, track in tracks.items():
        use = track.stream.valid[within].copy()
        if label != PELVIS:
            use &= np.abs(track.angles.sagittal_deg[within]) <= settings.side_bend_max_trunk_tilt_deg
        if use.any():
            frontal = track.angles.frontal_deg[within][use]
            values.append(float(frontal[int(np.argmax(np.abs(frontal)))]))
    if not values:
        frontal = tracks[PELVIS].angles.frontal_deg[within]
        return float(frontal[int(np.argmax(np.abs(frontal)))])
    return max(values, key=abs)


def with_side_bend(
    reps: list[RepResult], spans: list[RepSpan], tracks: dict[str, SegmentTrack], settings: ExerciseSettings
) -> list[RepResult]:
    """``reps`` with the drill's ``side_bend_deg`` (``side_bend_deg``) in place of the
    trunk's frontal tilt that ``metrics.measure_rep`` reports without a drill."""
    return [replace(rep, side_bend_deg=round(side_bend_deg(tracks, span, settings), 2))
            for rep, span in zip(reps, spans)]


def with_whole_rep_lockout(
    reps: list[RepResult], spans: list[RepSpan], lumbar_flexion_deg: np.ndarray | None, profile: ExerciseProfile
) -> list[RepResult]:
    """For a backward drill (the bridge), ``reps`` with ``lockout_extension_deg`` over the
    whole rep: the back arches at the top of a bridge, which is the rep's extreme, not in
    the end of the ascent where a forward rep finishes (and where ``metrics`` looks).
    Forward drills, and reps without a measured lower back, are returned as they are."""
    if direction_sign(profile) > 0 or lumbar_flexion_deg is None:
        return reps
    out = []
    for rep, span in zip(reps, spans):
        if rep.lockout_extension_deg is None:
            out.append(rep)
            continue
        extension = max(0.0, -float(np.min(lumbar_flexion_deg[span.start_index : span.end_index + 1])))
        out.append(replace(rep, lockout_extension_deg=round(extension, 2)))
    return out


def split_sets(spans_s: list[tuple[float, float]], break_s: float) -> list[list[int]]:
    """Indices of reps grouped into sets: a new set after a pause longer than ``break_s``."""
    sets: list[list[int]] = []
    previous_end = -math.inf
    for i, (start_s, end_s) in enumerate(spans_s):
        if not sets or start_s - previous_end > break_s:
            sets.append([])
        sets[-1].append(i)
        previous_end = end_s
    return sets


def measurable(
    profile: ExerciseProfile, sensors: tuple[str, ...], estimated_back: bool, heading_seen: bool = True
) -> tuple[list, list, list]:
    """(measured, estimated, not measurable) flag names of the profile's checks.

    ``estimated_back``: one pelvis sensor with a gyroscope in a standing drill, where
    rounding is estimated (``pipeline.one_sensor``) though the check needs the thorax.
    ``heading_seen``: False for a pelvis sensor without gyroscope (no rotation).
    """
    can = set(c.flag for c in profile.checks_measurable(sensors)
              if heading_seen or c.metric != "rotation_deg")
    measured, estimated, missing = [], [], []
    for check in profile.checks:
        if check.flag in can:
            measured.append(check.flag)
        elif check.flag == ROUNDED and estimated_back:
            estimated.append(check.flag)
        else:
            missing.append(check.flag)
    return measured, estimated, missing


def apply_checks(rep: RepResult, profile: ExerciseProfile, sensors: tuple[str, ...]) -> RepResult:
    """``rep`` with the flags and reasons of the profile's other checks (not rounded or
    overextended, which ``verdicts.judge_rep`` has judged) the worn sensors can make.

    A rep that was not judged (a gap, saturation) is left as it is.
    """
    if set(rep.flags) & {f for f in NOT_JUDGED_FLAGS}:
        return rep
    flags, reasons = list(rep.flags), list(rep.reasons)
    for check in profile.checks_measurable(sensors):
        if check.flag in THRESHOLD_CHECKS or check.flag in flags:
            continue
        value = getattr(rep, check.metric, None)
        if value is None:
            continue
        shown = abs(float(value)) if check.metric in ("side_bend_deg", "rotation_deg") else float(value)
        if check.fires(shown):
            flags.append(check.flag)
            reasons.append(check.sentence(shown))
    return replace(rep, flags=flags, reasons=reasons)


def drop_unchecked(rep: RepResult, profile: ExerciseProfile) -> RepResult:
    """``rep`` without ``rounded``/``overextended`` when the drill does not check them
    (a bridge is not judged for rounding: lying down, the back cannot round under load)."""
    keep = [i for i, flag in enumerate(rep.flags)
            if flag not in THRESHOLD_CHECKS or any(c.flag == flag for c in profile.checks)]
    if len(keep) == len(rep.flags):
        return rep
    return replace(rep, flags=[rep.flags[i] for i in keep], reasons=[rep.reasons[i] for i in keep])


def exercise_record(
    profile: ExerciseProfile, sensors: tuple[str, ...], estimated_back: bool, holds: list[Hold] | None,
    heading_seen: bool = True,
) -> dict:
    """The analysis JSON's ``exercise`` object: the drill, its target and which checks ran."""
    measured, estimated, missing = measurable(profile, sensors, estimated_back, heading_seen)
    record = {
        "name": profile.name,
        "title": profile.title,
        "cue": profile.cue,
        "start_posture": profile.start_posture,
        "kind": profile.kind,
        "direction": profile.direction,
        "target_reps": profile.target_reps if profile.kind == "reps" else None,
        "target_hold_s": profile.target_hold_s if profile.kind == "hold" else None,
        "checks_measured": measured,
        "checks_estimated": estimated,
        "checks_not_measurable": missing,
        "checks_need": {c.flag: ("gyroscope" if c.metric == "rotation_deg" and c.needs == "pelvis" else c.needs)
                        for c in profile.checks if c.flag in missing},
    }
    if holds is not None:
        record["hold_total_s"] = round(sum(h.duration_s for h in holds), 2)
    return record
