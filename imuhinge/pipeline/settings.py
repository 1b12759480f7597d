"""Settings of the analysis steps: frozen value objects, units in every name.

These are the analysis's own choices (rates, filter cutoffs, detection thresholds), kept
apart from the user-facing judgement thresholds in ``imuhinge.settings``. Each step takes
only its own settings object; ``PipelineSettings`` bundles them for ``analyse_recording``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResampleSettings:
    """Putting each sensor onto the common analysis clock.

    ``rate_hz``: the analysis clock, on which the orientation filter runs. Hinges and
    swings carry almost nothing above 5 Hz; because each output sample is the mean of
    the interpolated input over its own interval (which keeps every degree the gyroscope
    integrated), 50 Hz measured as accurately as 100 Hz on training sessions (swings
    included) at half the cost, and keeps rep timing to 20 ms.
    ``loss_warning_fraction``: warn when a sensor lost more than this share of its samples.
    ``bridge_error_share``: the share of the rotation made across a bridged loss that the
    bridge may have got wrong (it tells the orientation step which pass to trust).
    """

    rate_hz: float = 50.0
    loss_warning_fraction: float = 0.01
    bridge_error_share: float = 0.05


@dataclass(frozen=True)
class CalibrationSettings:
    """Finding quiet standing, then the segment's axes from the movement.

    Quiet means, over a ``window_s`` window: gyroscope spread below ``quiet_gyro_std_dps``
    (spread, not level, because the bias is not known yet), accelerometer magnitude within
    ``quiet_acc_tolerance_g`` of 1 g and its spread below ``quiet_acc_std_g``. A calibration
    needs at least ``min_quiet_s`` of it; such stretches whose pelvis accelerometer
    directions lie within ``posture_group_deg`` are one posture, and the first stretch of the
    posture with the most quiet time is used, at most ``max_quiet_used_s`` of it (lying is
    a right angle from standing and tall kneeling; the brief pauses at a rep's extreme are
    too short to count). On held-out seeds 1–40 (every drill and scenario, two-sensor and
    accelerometer-only, 1120 sessions) this window was the first stretch in every one. The mediolateral axis is the principal rotation axis,
    perpendicular to gravity, over samples rotating faster than ``motion_rate_dps``; at
    least ``min_motion_s`` of such motion is needed to find it. The gyroscope bias is
    estimated on every still stretch of at least ``bias_min_still_s`` (the accelerometer
    direction averaged over ``bias_edge_s`` at each end tells how much the body tilted
    meanwhile) and followed through the recording with a time constant of
    ``bias_time_constant_s``.
    """

    window_s: float = 0.5
    quiet_gyro_std_dps: float = 1.5
    quiet_acc_tolerance_g: float = 0.06
    quiet_acc_std_g: float = 0.025
    min_quiet_s: float = 2.0
    max_quiet_used_s: float = 10.0
    posture_group_deg: float = 30.0
    motion_rate_dps: float = 15.0
    min_motion_s: float = 1.0
    sign_lowpass_hz: float = 0.5
    bias_min_still_s: float = 1.0
    bias_edge_s: float = 0.25
    bias_time_constant_s: float = 60.0


@dataclass(frozen=True)
class FallbackSettings:
    """Calibrating a recording that never stands still (see ``pipeline.fallback``).

    ``enabled``: try a fallback at all (otherwise such a recording is refused).
    ``movement_window_s``: the moving mean that separates slow body movement from noise;
    ``min_movement_share``: the share of the gyroscope's variance it must keep for a
    fallback to be tried. White noise kept at most 0.21 (sensors at 25–100 Hz on the
    50 Hz analysis clock), simulated sets of hinges and swings 0.75 or more, the real
    wrist-worn deadlift sets 0.55 and 0.69.
    ``looser_by``: the stillest window may exceed each quiet-standing limit by this
    factor. ``upright_percentile``: with no still window, the sagittal angle's zero is this
    percentile of it (the most upright posture the segment keeps returning to), and
    forward is the side away from the extreme it lingers near: within ``dwell_share`` of
    the range.
    """

    enabled: bool = True
    movement_window_s: float = 0.25
    min_movement_share: float = 0.35
    looser_by: float = 3.0
    upright_percentile: float = 5.0
    dwell_share: float = 0.15


@dataclass(frozen=True)
class AccelerometerOnlySettings:
    """Sensors without a gyroscope (see ``pipeline.accelerometer_only``).

    ``cutoff_hz`` and ``order``: the Butterworth low-pass that turns the accelerometer
    into gravity's direction (run forwards and backwards offline). Lower averages the
    body's own acceleration away better and flattens fast reps more. On training sessions
    (seeds 1000–1029 deadlift, 1000–1014 hinge and swing) 1.0 Hz was the highest cut-off
    that counted every rep exactly: at 1.2 Hz and above, stopping after a walk read as a
    forward tilt of 15° and counted as a rep. Peak pelvic tilt was then within 2.4° RMS
    (deadlifts) and 1.4° (hinges), swings 7.4° (underestimated); order 4 and first-order
    filters counted no better. The left axis is found from samples tilted at least
    ``min_tilt_deg`` from calibration standing, of which ``min_motion_s`` are needed.
    """

    cutoff_hz: float = 1.0
    order: int = 2
    min_tilt_deg: float = 10.0
    min_motion_s: float = 1.0


@dataclass(frozen=True)
class FusionSettings:
    """The imufusion AHRS: one per sensor, run on the analysis clock in the segment frame.

    ``gain``: accelerometer feedback (Fusion's unitless gain; lower trusts the gyroscope
    longer). ``acceleration_rejection_deg``: accelerometer readings further than this from
    the expected gravity direction are ignored (the body's own acceleration).
    ``rejection_timeout_s``: after this long of ignoring them, Fusion trusts them again.
    ``gyroscope_range_dps``: the sensors' full scale, for overrange recovery.
    ``smooth``: also run Fusion backwards in time and blend the two passes, weighting each
    by how recently it stood still (offline only; live use runs forwards). A pass counts
    as anchored after ``anchor_still_s`` of standing still since it last started.
    ``drift_dps``: the gyroscope bias left after calibration, which converts the possible
    error of a bridged data loss into the drift time it is worth when weighting passes.
    The accelerometer is given to Fusion only while the segment turns slower than
    ``acc_trust_rate_dps`` and reads within ``acc_trust_g`` of 1 g (both averaged over
    ``acc_trust_window_s``); through faster movement the gyroscope carries the orientation.
    """

    gain: float = 0.5
    acceleration_rejection_deg: float = 10.0
    rejection_timeout_s: float = 5.0
    gyroscope_range_dps: float = 2000.0
    smooth: bool = True
    anchor_still_s: float = 1.0
    drift_dps: float = 0.05
    acc_trust_rate_dps: float = 5.0
    acc_trust_g: float = 0.05
    acc_trust_window_s: float = 0.25


@dataclass(frozen=True)
class FilterSettings:
    """Zero-phase low-pass on the angle traces (Butterworth, applied forwards and back).

    ``cutoff_hz``: hinges and swings have their energy below about 2 Hz; 6 Hz keeps the
    peak of a one-second swing within 0.1° while removing noise. ``order``: filter order
    of each pass. ``bridge_gaps``: in two-sensor mode, inside long data gaps, replace the
    (unknown) angles by a straight line between the gap's edges before filtering, so the
    jump where the orientation resumes is not smeared into the measured samples beside
    the gap (it hid the first swing after a pelvis loss and skewed lockout of reps next
    to gaps). One-sensor mode keeps its tuned behaviour: there the line changed rep edges
    next to a gap, which the one-sensor estimate was fitted without.
    """

    cutoff_hz: float = 6.0
    order: int = 2
    bridge_gaps: bool = True


@dataclass(frozen=True)
class SegmentationSettings:
    """Finding reps in the pelvic tilt trace.

    A rep is a peak of pelvic tilt at least ``min_peak_deg`` above standing that stands at
    least ``min_prominence_deg`` above the tilt on both sides (so walking, fidgeting and the
    wobble of a pause at the bottom are not reps) and is wider than ``min_width_s`` at half
    prominence. Its start and end are where the tilt comes within ``onset_deg`` of the
    local baseline, found by fitting a minimum-jerk phase to the fast part of each phase
    (``onset_deg`` above the baseline is the fallback when the fit fails; the baseline is
    at most ``baseline_max_deg``). When the ascent stops more than ``settle_min_deg``
    short of the lowest tilt before the next rise (a rise is ``settle_rise_deg`` above
    it), the settling is fitted as a further phase: a swing's hip snap; it is looked for
    only within ``settle_max_s`` of the ascent's end, so the slow sway of standing after
    the last rep of a set is not taken for settling. A rep lasts at most ``max_rep_s``.
    """

    min_peak_deg: float = 15.0
    min_prominence_deg: float = 12.0
    min_width_s: float = 0.25
    min_separation_s: float = 0.5
    onset_deg: float = 1.0
    baseline_max_deg: float = 10.0
    settle_min_deg: float = 1.0
    settle_rise_deg: float = 0.5
    settle_max_s: float = 0.6
    max_rep_s: float = 30.0


@dataclass(frozen=True)
class GapFillSettings:
    """Two-sensor mode: filling pelvic tilt inside a pelvis gap from the trunk, to find reps.

    ``enabled``: fill at all. Pelvic tilt is fitted as a linear function of trunk
    inclination over up to ``context_s`` either side of the gap where both sensors were
    received; at least ``min_context_s`` of such samples are needed, the trunk must move
    at least ``min_trunk_range_deg`` over them, and the fitted scale (degrees of pelvis
    per degree of trunk) must lie in [``min_scale``, ``max_scale``]. The filled trace is
    used only to find reps; such reps are flagged ``gap``.
    """

    enabled: bool = True
    context_s: float = 3.0
    min_context_s: float = 1.0
    min_trunk_range_deg: float = 10.0
    min_scale: float = 0.2
    max_scale: float = 2.0


@dataclass(frozen=True)
class MetricsSettings:
    """Per-rep measures.

    ``lockout_from_fraction``: lockout extension is looked for from this fraction of the
    ascent (bottom to end) onwards, as in the truth definition (the last 40%).
    """

    lockout_from_fraction: float = 0.6


@dataclass(frozen=True)
class ExerciseSettings:
    """What a drill's profile changes (``pipeline.exercise``, ``pipeline.posture``).

    Posture check (``posture.check_posture``): walking is found where the acceleration
    magnitude, band-passed to the step rates ``walk_band_hz``, varies by more than
    ``walk_min_acc_spread_g`` (rms over ``walk_window_s``) while the mean rate stays below
    ``walk_max_mean_rate_dps`` (no hinge), ``walk_rep_margin_s`` away from reps, for
    ``walk_min_s`` in all; a start posture further than ``posture_mismatch_deg`` from
    walking's upright is lying (a right angle away), nearer is upright. The movement
    (``posture.hips_rise_cm``, over at least ``posture_min_reps`` reps outside data gaps):
    with a gyroscope, reps whose hips rise, less their travel forward or back, by over
    ``bridge_min_rise_cm`` lift the hips like a bridge, the others do not. Without one the
    sacrum's swing about the hip joints (the lever ``hip_to_sacrum_m``, m, upright pelvis
    frame) is taken off first. An accelerometer whose gravity reading changes with its tilt
    (scale and offset errors of a few %) adds a false rise or fall to slow reps (a held-out
    hip hinge read 13 cm, its accelerometer reading gravity 5% lower hinged than standing),
    so that change is measured where it can be (``posture.gravity_slope_g_per_deg``): in at
    least ``posture_min_reps`` reps, the stillest ``posture_still_window_s`` within
    ``posture_still_search_s`` of the rep's extreme and before its start, each with the
    accelerometer's spread under ``posture_still_max_spread_g`` and tilts
    ``posture_still_min_tilt_deg`` apart. Then it is taken off the vertical acceleration,
    and reps lift the hips like a bridge above ``bridge_min_rise_gravity_calibrated_cm``;
    otherwise (reps that never pause at their extreme) above
    ``bridge_min_rise_accelerometer_only_cm``. Either way they do not below
    ``upright_max_rise_accelerometer_only_cm``; in between nothing is told. Measured on
    tuning seeds (every drill; each session's median over its reps): with a gyroscope (seeds
    1000–1029, as itself and as a drill of the other posture), bridges 13.3 to 31.4 cm,
    every standing and kneeling drill −34.9 to +0.3 cm. Without one (1000–1199, as itself
    and as the other posture's drill), every bridge pauses at the top and is calibrated:
    10.5 to 20.8 cm; the standing and kneeling drills calibrated (50%, mostly slow reps
    with a pause at the bottom) −23.4 to −3.6 cm, the others −24.7 to −1.4 cm.
    Uncalibrated, the same bridges read 7.3 to 24.9 cm and the others up to +5.4 cm (slow
    ones, all calibrated now), hence the wider band then: 69% of those bridges were above
    15 cm. The still-window settings are not critical on those seeds (each varied alone,
    from a spread limit of 0.008 g): a window of 0.3 to 0.6 s, a spread limit of 0.006 to
    0.012 g, a search of 0.7 to 1.5 s or 2 reps kept the calibrated bridges at 9.9 cm or
    more and the calibrated others at −3.5 cm or below; but a window of 0.6 s or a limit of
    0.006 g left 4 and 3 bridges (of 200) uncalibrated, at 14.7 to 19.1 cm. The lever is
    an anatomical one (skin over S2 about 10 cm behind and 8 cm above the hip joints), the
    simulator's too: with a lever 2 cm shorter or longer and 3 cm lower or higher the
    groups moved by up to 3 cm (uncalibrated, 1000–1079).
    ``set_break_s``: a pause between reps longer than this starts a new set (for the pace).
    Holds: ``hold_min_s`` long at least, pelvis within
    ``hold_max_tilt_deg`` of the start posture, rates averaged over 1 s below
    ``hold_max_rate_dps``, turning about the vertical below ``hold_max_twist_dps``; offline,
    breaks up to ``hold_max_break_s`` do not end a hold, and it must last
    ``hold_min_target_fraction`` of the target and ``hold_min_longest_fraction`` of the
    longest hold. Within the stillness the hold is timed from the tilts averaged to
    ``hold_fit_hz``, against at least ``hold_min_outside_s`` of standing, where the thorax
    moved by ``hold_squeeze_min_sd`` of its standing spread or a tilt spreads
    ``hold_sway_min_ratio`` times as much (``holds._held_span``).
    ``bridge_target_percentile``: a bridge's straight-hip target is
    this percentile of the set's rep extensions (most reps are good).
    Rep finding (``exercise.segmentation_for``): lying or kneeling drills need a rise of
    ``lying_kneeling_min_peak_deg``; they and drills checking ``short_of_neutral`` need
    ``short_stop_min_prominence_deg`` of prominence. Side bend (``exercise.refine_left_axes``,
    ``exercise.side_bend_deg``): the left axis is refitted from at least ``refine_min_reps``
    reps, turning at most ``refine_max_turn_deg`` about up, over the reps whose own axis is
    within ``refine_inlier_deg`` of the median rep's, from their samples within
    ``refine_max_tilt_deg`` of upright; the thorax's frontal tilt counts where its tilt is
    within ``side_bend_max_trunk_tilt_deg``.
    A rep's top, for ``hip_extension_short_deg`` (``reps.top_index``): once the pelvis has
    come back ``top_min_return_deg`` from the bottom, the first stillness of the return,
    its rate (smoothed over ``top_rate_window_s``) below ``top_stop_rate_fraction`` of its
    peak so far.
    """

    walk_band_hz: tuple[float, float] = (1.2, 3.0)
    walk_window_s: float = 2.0
    walk_min_acc_spread_g: float = 0.04
    walk_max_mean_rate_dps: float = 25.0
    walk_rep_margin_s: float = 1.0
    walk_min_s: float = 4.0
    posture_mismatch_deg: float = 50.0
    posture_min_reps: int = 3
    bridge_min_rise_cm: float = 5.0
    bridge_min_rise_accelerometer_only_cm: float = 15.0
    upright_max_rise_accelerometer_only_cm: float = 0.0
    bridge_min_rise_gravity_calibrated_cm: float = 5.0
    posture_still_window_s: float = 0.4
    posture_still_search_s: float = 1.0
    posture_still_max_spread_g: float = 0.01
    posture_still_min_tilt_deg: float = 5.0
    hip_to_sacrum_m: tuple[float, float, float] = (-0.10, 0.0, 0.08)
    set_break_s: float = 6.0
    hold_min_s: float = 5.0
    hold_max_tilt_deg: float = 15.0
    hold_max_rate_dps: float = 20.0
    hold_max_break_s: float = 1.5
    hold_min_target_fraction: float = 0.5
    hold_min_longest_fraction: float = 0.5
    hold_max_twist_dps: float = 1.25
    hold_fit_hz: float = 5.0
    hold_min_outside_s: float = 1.0
    hold_squeeze_min_sd: float = 1.0
    hold_sway_min_ratio: float = 3.0
    bridge_target_percentile: float = 90.0
    lying_kneeling_min_peak_deg: float = 8.0
    short_stop_min_prominence_deg: float = 5.0
    refine_min_reps: int = 3
    refine_max_turn_deg: float = 30.0
    refine_inlier_deg: float = 5.0
    refine_max_tilt_deg: float = 75.0
    side_bend_max_trunk_tilt_deg: float = 70.0
    top_min_return_deg: float = 5.0
    top_stop_rate_fraction: float = 0.15
    top_rate_window_s: float = 0.1


@dataclass(frozen=True)
class PipelineSettings:
    """Every step's settings, with defaults tuned on training sessions of the simulator."""

    resample: ResampleSettings = field(default_factory=ResampleSettings)
    calibration: CalibrationSettings = field(default_factory=CalibrationSettings)
    fallback: FallbackSettings = field(default_factory=FallbackSettings)
    accelerometer_only: AccelerometerOnlySettings = field(default_factory=AccelerometerOnlySettings)
    fusion: FusionSettings = field(default_factory=FusionSettings)
    filter: FilterSettings = field(default_factory=FilterSettings)
    segmentation: SegmentationSettings = field(default_factory=SegmentationSettings)
    gap_fill: GapFillSettings = field(default_factory=GapFillSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    exercise: ExerciseSettings = field(default_factory=ExerciseSettings)
