"""Sample times for sensors without a sample clock, from notification arrival times.

A WitMotion unit stamps nothing: all we know is when each notification reached us. BLE
delivers on connection events, so arrivals come late by a varying latency, and several
frames often arrive in one notification at the same instant. The true sample times are
close to a regular grid at the nominal period. ``smooth_sample_times`` estimates them:

1. Frames that arrived together are back-dated one nominal period apart, the last one
   at the arrival instant (it cannot have been sampled after it arrived).
2. Within a segment (a stretch without an arrival pause longer than ``gap_s``) frame
   ``j`` is placed at ``origin + j * P``, where ``origin`` is the running minimum of
   ``arrival_j - j * P``: the lower envelope, i.e. the least-delayed arrival seen so far.
   ``P`` is the nominal period stretched by ``max_clock_error`` so the envelope can
   follow a device clock that runs up to that fraction slow; a fast clock, or one that
   was late, is followed at once because an earlier arrival lowers the envelope.
3. Times are made strictly increasing, at least ``min_step_fraction`` of a period apart.

It is causal: the result for a frame depends only on frames before it, so a live session
can call it per notification with the returned state and get exactly what one call over
the whole recording gives (as long as each call holds whole notifications).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArrivalClockState:
    """Where the smoothing stands after the last frame, to carry over to the next call.

    ``last_arrival_s`` and ``last_time_s`` are the last frame's arrival and smoothed time;
    ``origin_s`` is the current segment's envelope (time of its frame 0, seconds);
    ``index`` is the last frame's index within its segment.
    """

    last_arrival_s: float
    last_time_s: float
    origin_s: float
    index: int


def smooth_sample_times(
    arrival_s: np.ndarray,
    period_s: float,
    state: ArrivalClockState | None = None,
    *,
    max_clock_error: float = 0.01,
    gap_s: float = 0.25,
    min_step_fraction: float = 0.5,
) -> tuple[np.ndarray, ArrivalClockState | None]:
    """Smoothed sample times (s) of frames with the given arrival times (s), and the new state.

    ``arrival_s`` must be non-decreasing (one monotonic clock); frames with exactly equal
    arrival times are one batch. ``period_s`` is the nominal sample period. ``gap_s`` is
    the arrival pause (s) after which the grid restarts (frames were lost or the link
    paused, and counting periods across it would misplace what follows).
    """
    if period_s <= 0:
        raise ValueError(f"period_s must be positive, got {period_s}")
    arrival = np.maximum.accumulate(np.asarray(arrival_s, dtype=np.float64))
    n = len(arrival)
    if n == 0:
        return np.empty(0), state

    position = np.arange(n)
    new_batch = np.ones(n, dtype=bool)
    new_batch[1:] = arrival[1:] != arrival[:-1]
    batch_id = np.cumsum(new_batch) - 1
    batch_last = np.append(np.flatnonzero(new_batch)[1:] - 1, n - 1)
    backdated = arrival - (batch_last[batch_id] - position) * period_s

    previous_arrival = np.concatenate(([np.nan if state is None else state.last_arrival_s], arrival[:-1]))
    new_segment = new_batch & ~(arrival - previous_arrival <= gap_s)
    segment_id = np.cumsum(new_segment)
    segment_start = np.flatnonzero(new_segment)
    starts_of = np.zeros(segment_id[-1] + 1, dtype=np.int64)
    starts_of[1:] = segment_start
    index = position - starts_of[segment_id]
    continuing = segment_id == 0
    if state is not None:
        index[continuing] += state.index + 1

    stretched_period_s = period_s * (1.0 + max_clock_error)
    lag_s = backdated - index * stretched_period_s
    if state is not None:
        lag_s[continuing] = np.minimum(lag_s[continuing], state.origin_s)
    origin_s = _cummin_by_segment(lag_s, np.append(np.flatnonzero(np.diff(segment_id)) + 1, n))
    grid_s = origin_s + index * stretched_period_s

    min_step_s = min_step_fraction * period_s
    floor_s = -np.inf if state is None else state.last_time_s + min_step_s
    time_s = np.maximum.accumulate(np.maximum(grid_s - position * min_step_s, floor_s))
    time_s += position * min_step_s

    new_state = ArrivalClockState(
        last_arrival_s=float(arrival[-1]),
        last_time_s=float(time_s[-1]),
        origin_s=float(origin_s[-1]),
        index=int(index[-1]),
    )
    return time_s, new_state


def _cummin_by_segment(values: np.ndarray, segment_ends: np.ndarray) -> np.ndarray:
    """Running minimum of ``values`` restarting at each segment; ``segment_ends`` are the
    exclusive end indices of consecutive segments (the last is ``len(values)``).

    A live session calls this once per notification, usually with one segment, so a
    plain loop over segments beats a grouped operation by far.
    """
    result = np.empty_like(values)
    start = 0
    for end in segment_ends:
        np.minimum.accumulate(values[start:end], out=result[start:end])
        start = end
    return result
