"""In-memory form of a recording: one stream of timestamped samples per sensor."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .columns import ACCELEROMETER_ONLY_KEY, SENSOR_LABELS


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
    Sensors without a gyroscope are listed in ``metadata["accelerometer-only"]``
    (comma-separated labels, see ``accelerometer_only``); ``with_accelerometer_only``
    sets it.
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

    @property
    def accelerometer_only(self) -> tuple[str, ...]:
        """Labels of the sensors that have no gyroscope (their gyroscope columns are 0.0
        and ignored), from the ``accelerometer-only`` metadata line, in label order."""
        return accelerometer_only_labels(self.metadata)

    def with_accelerometer_only(self, labels) -> "Recording":
        """A copy whose metadata declares ``labels`` (sensor labels, as an iterable or
        one comma-separated string) accelerometer-only; none removes the declaration."""
        if isinstance(labels, str):
            labels = [part.strip() for part in labels.split(",") if part.strip()]
        labels = set(labels)
        chosen = [label for label in SENSOR_LABELS if label in labels]
        unknown = labels - set(SENSOR_LABELS)
        if unknown:
            raise ValueError(f"unknown sensor labels {sorted(unknown)}; expected {SENSOR_LABELS}")
        metadata = {k: v for k, v in self.metadata.items() if k != ACCELEROMETER_ONLY_KEY}
        if chosen:
            metadata[ACCELEROMETER_ONLY_KEY] = ",".join(chosen)
        return Recording(streams=self.streams, metadata=metadata, source=self.source)


def accelerometer_only_labels(metadata: dict[str, str]) -> tuple[str, ...]:
    """The sensor labels an ``accelerometer-only`` metadata value lists (known labels
    only, in label order; the reader refuses a file naming any other)."""
    listed = {part.strip() for part in metadata.get(ACCELEROMETER_ONLY_KEY, "").split(",")}
    return tuple(label for label in SENSOR_LABELS if label in listed)
