"""Stretches where a sensor sat at the end of its measuring range (saturation).

A sensor set to a small range (±2 g, ±250 °/s) clips a fast movement: the axis reads its
full-scale value, sample after sample, while the truth goes beyond it. The angles there
are wrong by an unknown amount, so reps overlapping such a stretch are flagged
``saturated`` and not judged. A stretch is at least ``MIN_RUN`` consecutive samples of
one axis equal (to rounding) to that axis's largest magnitude in the whole recording,
where that magnitude is one a range could end at (at least ``MIN_ACC_G`` or
``MIN_GYR_DPS``): a smooth signal does not repeat its own extreme three times.
"""

from __future__ import annotations

import numpy as np

from ..recording import SensorStream

MIN_RUN = 3
MIN_ACC_G = 1.5
MIN_GYR_DPS = 100.0
PAD_S = 0.1


def saturated_spans_s(stream: SensorStream) -> list[tuple[float, float, str]]:
    """(start, end, "accelerometer" | "gyroscope") of each saturated stretch, merged."""
    spans: list[tuple[float, float, str]] = []
    for values, floor, what in (
        (stream.acc_g, MIN_ACC_G, "accelerometer"),
        (stream.gyr_dps, MIN_GYR_DPS, "gyroscope"),
    ):
        for axis in range(3):
            x = np.abs(np.asarray(values[:, axis], dtype=np.float64))
            if not len(x):
                continue
            peak = float(x.max())
            if peak < floor:
                continue
            at_peak = x >= peak * (1.0 - 1e-6)
            padded = np.concatenate([[False], at_peak, [False]])
            edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
            for a, b in zip(edges[0::2], edges[1::2]):
                if b - a >= MIN_RUN:
                    spans.append((float(stream.time_s[a]) - PAD_S, float(stream.time_s[b - 1]) + PAD_S, what))
    spans.sort()
    merged: list[tuple[float, float, str]] = []
    for start, end, what in spans:
        if merged and start <= merged[-1][1]:
            a, b, w = merged[-1]
            merged[-1] = (a, max(b, end), w if w == what else "accelerometer and gyroscope")
        else:
            merged.append((start, end, what))
    return merged
