"""Telling the body's posture from what the sensors saw, to refuse a drill of the wrong posture.

The sensor's clip is unknown (calibration takes "up" from whatever posture the
recording is still in), so a still posture alone says nothing about the body: lying on
the back and standing both show gravity along one sensor axis. Two things do:

- **walking** (``upright_from_walking``): it happens upright, so the mean accelerometer
  direction while walking is the segment's long axis; a start posture a right angle
  away from it is lying.
- **the movement** (``hips_rise_cm``): in a bridge the hips rise, lifted off the floor,
  more than they move forward or back; in every standing or kneeling drill they go back
  (a hinge, a sit back towards the heels) and do not rise. Without a gyroscope the
  accelerometer's reading of gravity, which changes a little with its tilt, is first
  calibrated on the still moments at the reps' extremes (``gravity_slope_g_per_deg``).

``check_posture`` refuses (``AnalysisError``) a lying drill whose reps do not lift the
hips, or a standing or kneeling drill whose reps lift them like a bridge, and, when the
recording walks, a drill whose start posture disagrees with walking's upright.

Kneeling and standing cannot be told apart: both are upright, and a kneeling sit back is
mechanically a hinge. That is left to the recording naming its drill.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import AnalysisError
from ..exercises import ExerciseProfile
from ..recording.columns import PELVIS
from .axes import quaternions_to_matrices
from .calibration import QUIET_STANDING, moving_mean
from .one_sensor import sacrum_travel_m
from .reps import RepSpan
from .settings import ExerciseSettings
from .tracks import SegmentTrack

CHOOSE_DRILL = "choose the drill that was done with --exercise (imuhinge exercises lists them)"


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


def gravity_slope_g_per_deg(pelvis: SegmentTrack, spans: list[RepSpan], settings: ExerciseSettings) -> float | None:
    """How much the accelerometer's still reading of gravity changes with the pelvis's tilt
    (g per degree of ``angles.sagittal_deg``), from the reps that pause at their extreme;
    None with fewer than ``posture_min_reps`` such reps.

    An accelerometer's per-axis scale and offset errors (a few % of g) make its reading of
    gravity depend on how it is turned; without a gyroscope that difference cannot be told
    from the body's vertical acceleration, and integrated twice over a slow rep it fakes or
    hides a rise of many cm. Where the body is still the reading is gravity alone: per rep,
    the stillest ``posture_still_window_s`` within ``posture_still_search_s`` of its extreme
    and the stillest just before it (from ``posture_still_search_s`` before its start), both
    with the accelerometer's spread (norm of the per-axis standard deviations) under
    ``posture_still_max_spread_g`` and tilts ``posture_still_min_tilt_deg`` apart, give the
    change of the mean reading per degree; the median over those reps is the slope. A rep
    without a pause at its extreme gives nothing (at a turning point the body still
    accelerates, so the reading there is not gravity's).
    """
    stream = pelvis.stream
    rate_hz = stream.rate_hz
    width = max(3, int(round(settings.posture_still_window_s * rate_hz)))
    acc = stream.acc_g
    variance_g2 = np.clip(moving_mean(acc**2, width) - moving_mean(acc, width) ** 2, 0.0, None)
    spread_g = np.linalg.norm(np.sqrt(variance_g2), axis=1)
    spread_g = np.where(np.isfinite(spread_g), spread_g, np.inf)
    all_valid = moving_mean(stream.valid.astype(np.float64), width) > 1.0 - 1e-9
    still = (spread_g < settings.posture_still_max_spread_g) & all_valid
    reading_g = moving_mean(np.linalg.norm(acc, axis=1), width)
    tilt_deg = moving_mean(pelvis.angles.sagittal_deg, width)
    search = int(round(settings.posture_still_search_s * rate_hz))
    half = width // 2
    last = len(stream) - 1 - half

    def stillest(low: int, high: int) -> int | None:
        low, high = max(low, half), min(high, last)
        if high < low:
            return None
        index = low + int(np.argmin(spread_g[low : high + 1]))
        return index if still[index] else None

    slopes = []
    for span in spans:
        extreme = stillest(
            max(span.start_index, span.bottom_index - search), min(span.end_index, span.bottom_index + search)
        )
        before = stillest(span.start_index - search, span.start_index + half)
        if extreme is None or before is None:
            continue
        turned_deg = float(tilt_deg[extreme] - tilt_deg[before])
        if abs(turned_deg) > settings.posture_still_min_tilt_deg:
            slopes.append(float(reading_g[extreme] - reading_g[before]) / turned_deg)
    if len(slopes) < settings.posture_min_reps:
        return None
    return float(np.median(slopes))


def hips_rise_cm(
    pelvis: SegmentTrack, spans: list[RepSpan], settings: ExerciseSettings, slope_g_per_deg: float | None = None
) -> float | None:
    """How far the reps lift the hips (cm): the median over reps of their rise at the
    rep's extreme less their travel forward or back; None with fewer than
    ``posture_min_reps`` reps outside data gaps, or when the pelvis was not calibrated on a
    quiet stretch (a fallback of ``pipeline.fallback``: never still, the orientation is not
    anchored to gravity well enough to integrate travel; two real wrist-worn deadlift
    recordings calibrated so read 9 and 20 cm).

    The sacrum's travel comes from ``one_sensor.sacrum_travel_m`` (the world acceleration
    integrated twice within the rep). With a gyroscope that is the figure. Without one,
    the orientation is the tilt of the low-passed accelerometer and the travel is rougher;
    there the sacrum's swing about the hip joint as the pelvis tilts (the lever
    ``hip_to_sacrum_m``, as if upright) is taken off first, which leaves the hips' own
    travel and separates bridges from hinges better (see ``ExerciseSettings``), and, given
    ``slope_g_per_deg`` (from ``gravity_slope_g_per_deg``), the change of the gravity
    reading with tilt is taken off the vertical acceleration before it is integrated.
    """
    if pelvis.calibration.method != QUIET_STANDING:
        return None
    stream = pelvis.stream
    whole = whole_reps(pelvis, spans)
    if len(whole) < settings.posture_min_reps:
        return None
    lever_m = np.asarray(settings.hip_to_sacrum_m, dtype=np.float64)
    rises_cm = []
    for span in whole:
        forward_world = pelvis.forward_world(span)
        acc_world_g = pelvis.world_acceleration_g(span)
        if slope_g_per_deg is not None:
            acc_world_g[:, 2] -= slope_g_per_deg * pelvis.angles.sagittal_deg[span.start_index : span.end_index + 1]
        forward_m, up_m = sacrum_travel_m(acc_world_g, forward_world, span, stream.rate_hz)
        k = span.bottom_index - span.start_index
        forward_at_m, up_at_m = float(forward_m[k]), float(up_m[k])
        if not pelvis.calibration.gyroscope:
            rotation = quaternions_to_matrices(pelvis.quaternions_wxyz[[span.start_index, span.bottom_index]])
            swing_m = (rotation[1] - rotation[0]) @ lever_m
            up_at_m -= float(swing_m[2])
            forward_at_m -= float(swing_m[:2] @ forward_world[0])
        rises_cm.append(100.0 * (up_at_m - abs(forward_at_m)))
    return float(np.median(rises_cm))


def whole_reps(pelvis: SegmentTrack, spans: list[RepSpan]) -> list[RepSpan]:
    """The reps with no data gap in them (the only ones whose travel is integrated)."""
    valid = pelvis.stream.valid
    return [s for s in spans if valid[s.start_index : s.end_index + 1].all() and s.end_index > s.start_index]


def rise_limits_cm(
    pelvis: SegmentTrack, settings: ExerciseSettings, gravity_calibrated: bool = False
) -> tuple[float, float]:
    """(below, above): reps whose hip rise (``hips_rise_cm``) is below the first do not lift
    the hips like a bridge, above the second they do; in between (only without gyroscope,
    where a sensor's errors can fake or hide a rise of several cm) nothing is told. Without
    gyroscope but with the gravity reading calibrated on the reps' still extremes
    (``gravity_calibrated``, see ``gravity_slope_g_per_deg``) the band is narrower."""
    if pelvis.calibration.gyroscope:
        return settings.bridge_min_rise_cm, settings.bridge_min_rise_cm
    if gravity_calibrated:
        return settings.upright_max_rise_accelerometer_only_cm, settings.bridge_min_rise_gravity_calibrated_cm
    return settings.upright_max_rise_accelerometer_only_cm, settings.bridge_min_rise_accelerometer_only_cm


def check_posture(
    tracks: dict[str, SegmentTrack], spans: list[RepSpan], profile: ExerciseProfile, settings: ExerciseSettings
) -> float | None:
    """Refuse (``AnalysisError``) a recording that obviously was not done in the drill's
    posture; return the reps' hip rise (``hips_rise_cm``, None when unknown).

    Walking first: a lying drill whose start window has gravity within
    ``posture_mismatch_deg`` of walking's upright started upright; a standing or kneeling
    drill whose start window has gravity further than that from it started lying.
    Then the movement: a lying drill whose reps do not lift the hips, or a standing or
    kneeling drill whose reps do (``rise_limits_cm``), was done in the other posture;
    without gyroscope, with the gravity reading calibrated where the reps pause
    (``gravity_slope_g_per_deg``) when they do.
    Without walking and without enough reps (or on a fallback calibration) nothing is
    refused.
    """
    pelvis = tracks[PELVIS]
    title = profile.title.lower()
    upright = upright_from_walking(pelvis, spans, settings)
    if upright is not None:
        start_up = pelvis.calibration.up_sensor
        angle_deg = math.degrees(math.acos(float(np.clip(np.dot(start_up, upright), -1.0, 1.0))))
        starts_upright = angle_deg < settings.posture_mismatch_deg
        if profile.start_posture == "lying" and starts_upright:
            raise AnalysisError(
                f"this recording starts upright (its start posture is within {angle_deg:.0f}° of how "
                f"the pelvis is held walking), but the {title} starts lying on the back; {CHOOSE_DRILL}"
            )
        if profile.start_posture != "lying" and not starts_upright:
            raise AnalysisError(
                f"this recording starts lying down (its start posture is {angle_deg:.0f}° from how the "
                f"pelvis is held walking), but the {title} starts {profile.start_posture}; {CHOOSE_DRILL}"
            )
    slope_g_per_deg = None
    if not pelvis.calibration.gyroscope:
        slope_g_per_deg = gravity_slope_g_per_deg(pelvis, whole_reps(pelvis, spans), settings)
    rise_cm = hips_rise_cm(pelvis, spans, settings, slope_g_per_deg)
    if rise_cm is None:
        return None
    below_cm, above_cm = rise_limits_cm(pelvis, settings, slope_g_per_deg is not None)
    if profile.start_posture == "lying" and rise_cm < below_cm:
        raise AnalysisError(
            f"this recording's reps do not lift the hips like a bridge (their rise less their travel "
            f"forward or back is {rise_cm:.0f} cm, under {below_cm:g} cm): they look like "
            f"a standing or kneeling drill, not the {title}; {CHOOSE_DRILL}"
        )
    if profile.start_posture != "lying" and rise_cm > above_cm:
        raise AnalysisError(
            f"this recording's reps lift the hips like a bridge lying on the back (their rise less "
            f"their travel forward or back is {rise_cm:.0f} cm, over {above_cm:g} cm), but the {title} "
            f"starts {profile.start_posture}; {CHOOSE_DRILL}"
        )
    return rise_cm
