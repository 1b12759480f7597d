"""In-memory form of a recording: one stream of timestamped samples per sensor."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SensorStream:
    """Samples of one sensor, in its own (sensor) frame.

    ``time_s`` is seconds since the session started, strictly increasing; ``acc_g`` is
    specific force in g (about +1 g up when still), ``gyr_dps`` angular rate in degrees
    per second; both have shape (n, 3).
    """

    time_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray

    def __len__(self) -> int:
        return len(self.time_s)

    @property
    def median_rate_hz(self) -> float:
        """Nominal sample rate from the median interval (robust to loss and jitter)."""
        if len(self.time_s) < 2:
            return float("nan")
        return float(1.0 / np.median(np.diff(self.time_s)))


@dataclass
class Recording:
    """A session: streams keyed by sensor label (``pelvis``, ``thorax``) and metadata.

    ``metadata`` holds the ``# key: value`` lines of the CSV, untrusted text as read.
    ``source`` names where it came from (a path, or ``<simulated>``) for messages.
    """

    streams: dict[str, SensorStream]
    metadata: dict[str, str] = field(default_factory=dict)
    source: str = "<memory>"

    @property
    def sensors(self) -> tuple[str, ...]:
        return tuple(self.streams)

    @property
    def duration_s(self) -> float:
        starts = [s.time_s[0] for s in self.streams.values() if len(s)]
        ends = [s.time_s[-1] for s in self.streams.values() if len(s)]
        return float(max(ends) - min(starts)) if starts else 0.0
