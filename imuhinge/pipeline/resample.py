"""Step 1: each sensor onto one uniform analysis clock, gaps bridged or marked.

Samples arrive jittered and some are lost (BLE). Every output sample is the mean of the
sensor signal, linearly interpolated between its samples, over an interval of one output
period: centred on the sample for the accelerometer, and ``[t − dt, t]`` for the gyroscope,
because an orientation filter moves its estimate from ``t − dt`` to ``t`` with it. That
mean is exact for a piecewise-linear signal, so the angle the gyroscope integrated is kept
to the last degree whatever the input rate, and content above the analysis band is
averaged away. Gaps up to the bridged limit are
interpolated silently; longer ones are interpolated too (so later steps see a continuous
signal) but marked invalid and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..recording import SensorStream


@dataclass
class UniformStream:
    """One sensor on the analysis clock, still in its own sensor frame.

    ``valid`` is False where the sample lies in a gap longer than the bridged limit or
    outside the span the sensor recorded. ``gaps_s`` lists those gaps as (start, end) in
    seconds. ``lost_fraction`` is the share of samples the sensor should have sent but
    did not (0.03 = 3%). ``rate_hz`` is the analysis clock's rate. ``bridge_error_deg``
    is, at the sample where each bridged loss ends, how many degrees of rotation the
    bridging may have got wrong (a rough scale, from how fast the rate was changing).
    """

    time_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray
    valid: np.ndarray
    rate_hz: float
    gaps_s: list[tuple[float, float]] = field(default_factory=list)
    lost_fraction: float = 0.0
    nominal_rate_hz: float = float("nan")
    bridge_error_deg: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.time_s)


def analysis_clock(start_s: float, end_s: float, rate_hz: float) -> np.ndarray:
    """Uniform times (s) from ``start_s`` to ``end_s`` inclusive-ish at ``rate_hz``."""
    count = int(np.floor((end_s - start_s) * rate_hz + 1e-9)) + 1
    return start_s + np.arange(count) / rate_hz


def resample_stream(
    stream: SensorStream,
    time_s: np.ndarray,
    rate_hz: float,
    max_bridged_gap_s: float,
    bridge_error_share: float = 0.05,
) -> UniformStream:
    """Resample ``stream`` onto ``time_s`` (uniform at ``rate_hz``) by interval means.

    Gaps (the time between two received samples) longer than ``max_bridged_gap_s`` are
    marked, as is any time outside the recorded span. ``bridge_error_share``: the share
    of the rotation across a bridged loss that the bridge may have got wrong.
    """
    t = np.asarray(stream.time_s, dtype=np.float64)
    nominal_dt_s = nominal_period_s(t)
    period_s = 1.0 / rate_hz
    bridge = (nominal_dt_s, max_bridged_gap_s)
    acc = _interval_means(t, stream.acc_g, time_s - 0.5 * period_s, time_s + 0.5 * period_s, rate_hz, *bridge)
    gyr_curve = _Interpolant(t, np.asarray(stream.gyr_dps, dtype=np.float64), *bridge)
    gyr = (gyr_curve.integral(time_s) - gyr_curve.integral(time_s - period_s)) * rate_hz
    bridge_error = np.zeros(len(time_s))
    lost, error_deg = gyr_curve.bridge_errors_deg(bridge_error_share)
    np.add.at(bridge_error, np.clip(np.searchsorted(time_s, t[lost + 1]), 0, len(time_s) - 1), error_deg)

    step_s = np.diff(t)
    long_gap = np.flatnonzero(step_s > max_bridged_gap_s)
    gaps = [(float(t[j]), float(t[j + 1])) for j in long_gap]
    valid = np.ones(len(time_s), dtype=bool)
    for gap_start_s, gap_end_s in gaps:
        valid[(time_s > gap_start_s) & (time_s < gap_end_s)] = False
    slack_s = nominal_dt_s + max_bridged_gap_s
    if time_s.size and t[0] - time_s[0] > slack_s:
        gaps.insert(0, (float(time_s[0]), float(t[0])))
        valid[time_s < t[0]] = False
    if time_s.size and time_s[-1] - t[-1] > slack_s:
        gaps.append((float(t[-1]), float(time_s[-1])))
        valid[time_s > t[-1]] = False

    expected = (t[-1] - t[0]) / nominal_dt_s + 1.0
    lost_fraction = float(max(0.0, 1.0 - len(t) / expected))
    return UniformStream(
        time_s=time_s,
        acc_g=acc,
        gyr_dps=gyr,
        valid=valid,
        rate_hz=rate_hz,
        gaps_s=gaps,
        lost_fraction=lost_fraction,
        nominal_rate_hz=1.0 / nominal_dt_s,
        bridge_error_deg=bridge_error,
    )


def nominal_period_s(time_s: np.ndarray) -> float:
    """The sensor's sample period (s), robust to lost samples and jitter.

    Each interval holds a whole number of periods (more than one where samples were
    lost); counting them with the current guess and dividing the span by the count
    refines the guess, starting from the median interval.
    """
    step_s = np.diff(time_s)
    period_s = float(np.median(step_s))
    for _ in range(3):
        periods = np.maximum(1.0, np.round(step_s / period_s))
        period_s = float(np.sum(step_s) / np.sum(periods))
    return period_s


def _interval_means(
    t: np.ndarray,
    x: np.ndarray,
    lower_s: np.ndarray,
    upper_s: np.ndarray,
    rate_hz: float,
    nominal_dt_s: float,
    max_bridged_gap_s: float,
) -> np.ndarray:
    """Mean of the interpolant of ``x`` (n, k) over each [lower, upper] interval."""
    x = np.asarray(x, dtype=np.float64)
    curve = _Interpolant(t, x, nominal_dt_s, max_bridged_gap_s)
    return (curve.integral(upper_s) - curve.integral(lower_s)) * rate_hz


class _Interpolant:
    """Piecewise-cubic Hermite interpolant of samples, and its running integral.

    Slopes are central differences, except next to a loss (an interval over 1.5 sample
    periods), where the slope comes from the side that has samples: a few lost samples
    in a fast swing are then bridged along the curve, not by a straight chord (which
    would lose up to a degree of rotation per burst). Gaps longer than the bridged limit
    are joined by a straight line, since extrapolated slopes mean nothing over them.
    Outside the samples' span the edge value is held.
    """

    def __init__(self, t: np.ndarray, x: np.ndarray, nominal_dt_s: float, max_bridged_gap_s: float):
        self.t, self.x = t, x
        h = np.diff(t)
        secant = np.diff(x, axis=0) / h[:, None]
        loss = h > 1.5 * nominal_dt_s
        left_loss = np.concatenate([[True], loss])
        right_loss = np.concatenate([loss, [True]])
        left = np.vstack([secant[:1], secant])
        right = np.vstack([secant, secant[-1:]])
        h_left = np.concatenate([h[:1], h])[:, None]
        h_right = np.concatenate([h, h[-1:]])[:, None]
        central = (left * h_left + right * h_right) / (h_left + h_right)
        slope = np.where(left_loss[:, None] & ~right_loss[:, None], right, central)
        slope = np.where(right_loss[:, None] & ~left_loss[:, None], left, slope)
        self.m0, self.m1 = slope[:-1].copy(), slope[1:].copy()
        straight = h > max_bridged_gap_s
        self.m0[straight] = secant[straight]
        self.m1[straight] = secant[straight]
        self.h = h
        self.loss = loss & ~straight
        self.knots = np.zeros_like(x)
        segment = h[:, None] * (0.5 * (x[:-1] + x[1:]) + h[:, None] * (self.m0 - self.m1) / 12.0)
        np.cumsum(segment, axis=0, out=self.knots[1:])

    def bridge_errors_deg(self, share_of_turn: float) -> tuple[np.ndarray, np.ndarray]:
        """(interval indices, error scale) of the bridged losses of a rate signal (deg/s).

        The scale is ``share_of_turn`` of the rotation made across the loss, plus the
        curvature term the cubic added over the straight chord (``h²·|m1 − m0|/12``):
        a bridge over a fast, bending movement is uncertain by about that much.
        """
        lost = np.flatnonzero(self.loss)
        h = self.h[lost]
        bend = np.linalg.norm(self.m1[lost] - self.m0[lost], axis=1)
        speed = np.maximum(np.linalg.norm(self.x[lost], axis=1), np.linalg.norm(self.x[lost + 1], axis=1))
        return lost, h * h * bend / 12.0 + share_of_turn * h * speed

    def integral(self, query_s: np.ndarray) -> np.ndarray:
        """Integral from ``t[0]`` to each query time."""
        t, x, h = self.t, self.x, self.h
        j = np.clip(np.searchsorted(t, query_s, side="right") - 1, 0, len(t) - 2)
        hj = h[j][:, None]
        u = (np.clip(query_s - t[j], 0.0, h[j]) / h[j])[:, None]
        u2, u3, u4 = u * u, u * u * u, u * u * u * u
        inside = self.knots[j] + hj * (
            x[j] * (u - u3 + 0.5 * u4)
            + hj * self.m0[j] * (0.5 * u2 - 2.0 * u3 / 3.0 + 0.25 * u4)
            + x[j + 1] * (u3 - 0.5 * u4)
            + hj * self.m1[j] * (0.25 * u4 - u3 / 3.0)
        )
        before = (query_s < t[0])[:, None]
        after = (query_s > t[-1])[:, None]
        inside = np.where(before, x[0] * (query_s - t[0])[:, None], inside)
        return np.where(after, self.knots[-1] + x[-1] * (query_s - t[-1])[:, None], inside)
