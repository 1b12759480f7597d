"""What the live processor tells the screen: its settings, per-rep events, current angles."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..pipeline.result import RepResult


@dataclass(frozen=True)
class LiveSettings:
    """The live-only choices; every analysis setting is shared with the offline pipeline.

    ``calibration_s``: quiet standing (all sensors still) needed before tracking starts.
    ``update_interval_s``: the processor runs its steps once this much new data (session
    time) is in. ``raw_context_s``: raw samples kept before each new block so resampling
    sees the same neighbours as offline. ``sensor_lag_limit_s``: a sensor whose data lags
    the newest sample by more than this is treated as lost for now, so one silent sensor
    does not stall the other. ``window_s``: the rolling window reps are looked for in
    (longer than the longest rep). ``return_deg`` / ``stay_s``: a rep is over once the
    tilt has stayed within ``return_deg`` of the level it ended at for ``stay_s``;
    ``next_rise_deg``: or once the tilt has risen this much from its low after the rep
    (the next rep has begun, as in continuous swings).
    ``axis_check_reps`` / ``axis_check_turn_deg``: after each of the first reps the left
    axis is found again from all the movement since calibration, and taken if it turned
    by more than this (a faulty first rep tilts it; see ``processor``).
    ``hold_update_s``: a hold drill's holds are looked for this often; ``hold_window_s``:
    over at most this much of the session since the last finished hold; a hold is over
    once it ended ``hold_end_s`` ago (the stillness test averages the rates over a second
    around each sample, so the newest half second is not settled).
    ``acc_trust_causal``: the accelerometer test of the orientation step looks back over
    its window instead of centring it (the future is not known live).
    ``refine_max_turn_deg``: a one-sided drill's left axes are refitted on the reps so far
    (``processor._refine_left_axes``), turning at most this far from the axis first found:
    a refit from a few early reps that mostly bend is not to be trusted further (and a
    larger turn shifts the sagittal angle enough to lose shallow reps).
    ``restart_settle_s``: after a long data gap the AHRS restarts and re-levels from the
    accelerometer (Fusion's start-up gain levels it within a few tenths of a second); a rep
    before this long after the restart is not judged (see ``processor``).
    """

    calibration_s: float = 3.0
    update_interval_s: float = 0.05
    raw_context_s: float = 1.0
    sensor_lag_limit_s: float = 0.5
    window_s: float = 40.0
    return_deg: float = 3.0
    stay_s: float = 0.3
    next_rise_deg: float = 5.0
    axis_check_reps: int = 5
    axis_check_turn_deg: float = 8.0
    hold_update_s: float = 0.25
    hold_window_s: float = 90.0
    hold_end_s: float = 1.5
    restart_settle_s: float = 0.5
    refine_max_turn_deg: float = 20.0


@dataclass(frozen=True)
class LiveRep:
    """One finished rep, as the live processor judged it (s, deg).

    ``result`` holds every contract-2 field (the same ``RepResult`` the offline analysis
    makes); the properties below read from it. ``emitted_s`` is the session time of the
    newest processed sample when the rep was emitted, so ``emitted_s - end_s`` is its
    latency in session time.
    """

    result: RepResult = field(repr=False)
    emitted_s: float

    @classmethod
    def from_result(cls, result: RepResult, emitted_s: float) -> "LiveRep":
        return cls(result=result, emitted_s=emitted_s)

    rep = property(lambda self: self.result.rep)
    start_s = property(lambda self: self.result.start_s)
    bottom_s = property(lambda self: self.result.bottom_s)
    end_s = property(lambda self: self.result.end_s)
    pelvis_tilt_deg = property(lambda self: self.result.pelvis_tilt_deg)
    trunk_inclination_deg = property(lambda self: self.result.trunk_inclination_deg)
    lumbar_flexion_deg = property(lambda self: self.result.lumbar_flexion_deg)
    lumbar_flexion_source = property(lambda self: self.result.lumbar_flexion_source)
    flags = property(lambda self: tuple(self.result.flags))
    reasons = property(lambda self: tuple(self.result.reasons))

    @property
    def is_clean(self) -> bool:
        return not self.flags


@dataclass(frozen=True)
class CurrentAngles:
    """The newest filtered angles (deg) at ``time_s``; None where the sensors cannot give one.

    ``provisional`` is True before the first rep: the forward direction is not known yet,
    so the numbers are tilt magnitudes (how far from standing, either way).
    """

    time_s: float
    pelvis_tilt_deg: float
    trunk_inclination_deg: float | None
    lumbar_flexion_deg: float | None
    provisional: bool
