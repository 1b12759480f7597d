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
- **posture**: a recording that obviously does not start in the drill's posture is refused
  (``check_posture``).
- **metrics** the checks use (``add_rep_metrics``), and the **checks** themselves
  (``apply_checks``): flags and reasons from the profile, for the checks the worn sensors
  can make. ``rounded`` and ``overextended`` stay with ``verdicts.judge_rep`` and the
  ``Thresholds`` (which the command line sets from the profile unless told otherwise).
- **holds** (``kind = "hold"``): no reps; the still stretches are timed and their sway
  measured (``find_holds``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..errors import AnalysisError
from ..exercises import ExerciseProfile
from ..recording.columns import PELVIS, THORAX
from .calibration import moving_mean, runs_of
from .fallback import forward_sign_like
from .reps import RepSpan
from .result import NOT_JUDGED_FLAGS, OVEREXTENDED, ROUNDED, RepResult
from .settings import ExerciseSettings
from .tracks import SegmentTrack

DIRECTION_SIGN = {"forward": 1.0, "backward": -1.0}
"""Sign of the pelvic tilt (+ forward) in which a drill's reps move."""
THRESHOLD_CHECKS = {ROUNDED: "lumbar_flexion_deg", OVEREXTENDED: "lockout_extension_deg"}
"""Checks judged by ``verdicts.judge_rep`` against the ``Thresholds`` (the profile's
limits are the command line's defaults for them)."""


@dataclass(frozen=True)
class Hold:
    """One isometric hold: when, how long, and how much the trunk moved (rms, deg)."""

    start_s: float
    end_s: float
    duration_s: float
    sway_deg: float
    flags: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2),
            "duration_s": round(self.duration_s, 2), "sway_deg": round(self.sway_deg, 1),
            "flags": list(self.flags), "reasons": list(self.reasons),
        }


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


def _flip(track: SegmentTrack) -> None:
    track.angles = replace(
        track.angles, sagittal_deg=-track.angles.sagittal_deg, frontal_deg=-track.angles.frontal_deg
    )


def upright_from_walking(track: SegmentTrack, spans: list[RepSpan], settings: ExerciseSettings) -> np.ndarray | None:
    """Unit "up" of the upright body in the sensor frame, from walking; None without walking.

    Walking happens upright, with the pelvis bouncing at the step rate (``walk_band_hz``)
    along gravity. Windows whose acceleration varies like that, away from reps, give the
    mean accelerometer direction of walking: the segment's long axis, whatever the clip.
    """
    stream = track.stream
    rate_hz = stream.rate_hz
    width = max(3, int(round(settings.walk_window_s * rate_hz)))
    acc = stream.acc_g
    magnitude = np.linalg.norm(acc, axis=1)
    low, high = settings.walk_band_hz
    fast = magnitude - moving_mean(magnitude, int(round(rate_hz / low)))
    band = moving_mean(fast, max(1, int(round(rate_hz / high))))
    spread_g = np.sqrt(np.clip(moving_mean(band**2, width), 0.0, None))
    level_g = moving_mean(magnitude, width)
    gyr_dps = np.linalg.norm(moving_mean(stream.gyr_dps, width), axis=1)
    walking = (
        (spread_g > settings.walk_min_acc_spread_g) & (np.abs(level_g - 1.0) < 0.1)
        & (gyr_dps < settings.walk_max_mean_rate_dps) & stream.valid
    )
    margin = int(round(settings.walk_rep_margin_s * rate_hz))
    for span in spans:
        walking[max(0, span.start_index - margin) : span.end_index + margin + 1] = False
    if walking.sum() < settings.walk_min_s * rate_hz:
        return None
    up = np.mean(acc[walking], axis=0)
    norm = float(np.linalg.norm(up))
    return up / norm if norm > 0.5 else None


def check_posture(
    tracks: dict[str, SegmentTrack], spans: list[RepSpan], profile: ExerciseProfile, settings: ExerciseSettings
) -> None:
    """Refuse (``AnalysisError``) a recording that obviously does not start in the drill's posture.

    The clip is unknown, so a single posture says nothing about the body: lying on the back
    and standing both show gravity along one sensor axis. Walking does: it is upright, so
    the mean accelerometer direction while walking is the segment's long axis. A lying
    drill whose start window has gravity within ``posture_mismatch_deg`` of that axis
    started upright (standing or kneeling); a standing or kneeling drill whose start window
    has gravity further than that from it started lying. Without walking in the recording
    nothing is refused (nothing can be told).
    """
    pelvis = tracks[PELVIS]
    upright = upright_from_walking(pelvis, spans, settings)
    if upright is None:
        return
    start_up = pelvis.calibration.up_sensor
    angle_deg = math.degrees(math.acos(float(np.clip(np.dot(start_up, upright), -1.0, 1.0))))
    starts_upright = angle_deg < settings.posture_mismatch_deg
    if profile.start_posture == "lying" and starts_upright:
        raise AnalysisError(
            f"this recording starts upright (its start posture is within {angle_deg:.0f}° of how "
            f"the pelvis is held walking), but the {profile.title.lower()} starts lying on the back; "
            "choose the drill that was done with --exercise"
        )
    if profile.start_posture != "lying" and not starts_upright:
        raise AnalysisError(
            f"this recording starts lying down (its start posture is {angle_deg:.0f}° from how the "
            f"pelvis is held walking), but the {profile.title.lower()} starts {profile.start_posture}; "
            "choose the drill that was done with --exercise"
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
    extended over the end of the rep (from ``lockout_from_fraction`` of the way up to the
    end, where a rep finishes), 0 if it got back to the start posture or beyond: how far the
    hips stayed short of the start posture's neutral. For a backward drill (the bridge,
    whose start is lying with the hips flexed) the top of the rep is its extreme, and
    straight hips are a personal angle: the target is the extension the person's best reps
    reach (the ``bridge_target_percentile`` of the recording's reps, most of which are
    good; with fewer than 3 reps, the smallest of the profile's expected range), and short
    is how far the rep's extension stayed below it.
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
            first = span.bottom_index + int(math.ceil(lockout_from_fraction * (span.end_index - span.bottom_index)))
            first = min(first, span.end_index)
            shorts.append(max(0.0, float(np.min(sign * pelvis_tilt_deg[first : span.end_index + 1]))))
    if sign < 0:
        target = (
            float(np.percentile(depths, settings.bridge_target_percentile)) if len(depths) >= 3
            else profile.expected_range_deg[0]
        )
        shorts = [max(0.0, target - depth) for depth in depths]
    sets = split_sets([(s.start_index / rate_hz, s.end_index / rate_hz) for s in spans], settings.set_break_s)
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


def find_holds(
    tracks: dict[str, SegmentTrack],
    window: tuple[int, int],
    profile: ExerciseProfile,
    settings: ExerciseSettings,
) -> list[Hold]:
    """The isometric holds of a hold drill, timed, with their sway and ``unsteady`` check.

    A hold is a stretch of at least ``hold_min_s`` near the start posture (pelvis within
    ``hold_max_tilt_deg``) without walking or turning (the rates, averaged over a second,
    below ``hold_max_rate_dps``), after the calibration window. Its sway is the rms of each
    worn segment's sagittal angle about its mean over the hold, the larger of the two:
    how far the body moved while it should have been still.
    """
    pelvis = tracks[PELVIS]
    rate_hz = pelvis.stream.rate_hz
    width = max(1, int(round(rate_hz)))
    still = np.abs(pelvis.angles.sagittal_deg) < settings.hold_max_tilt_deg
    for track in tracks.values():
        rate = track.stream.gyr_dps - (track.calibration.gyro_bias_track_dps if track.calibration.gyro_bias_track_dps is not None else 0.0)
        still &= np.linalg.norm(moving_mean(rate, width), axis=1) < settings.hold_max_rate_dps
        still &= track.stream.valid
    still[: window[1]] = False
    holds = []
    check = next((c for c in profile.checks if c.metric == "hold_sway_deg"), None)
    time_s = pelvis.stream.time_s
    for a, b in runs_of(still):
        if (b - a) / rate_hz < settings.hold_min_s:
            continue
        sway = max(float(np.std(track.angles.sagittal_deg[a:b])) for track in tracks.values())
        flags, reasons = (), ()
        if check is not None and check.fires(sway):
            flags, reasons = (check.flag,), (check.sentence(sway),)
        start_s, end_s = float(time_s[a]), float(time_s[b - 1])
        holds.append(Hold(start_s, end_s, end_s - start_s, sway, flags, reasons))
    return holds


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
