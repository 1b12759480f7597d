"""Accelerometer and gyroscope samples from separate files, onto one clock.

Exports from apps and sensor vendors keep each sensor in its own table with its own
timestamps, often at different rates and starting at different moments. A recording
(contract 1) has one time per row with both sensors in it, so the importers merge them
here, all in the same way:

1. each table is sorted by time and exact duplicate times are dropped (some apps repeat
   a sample when they flush a buffer);
2. only the overlap is kept, so ``time_s = 0`` is the later of the two starts;
3. the clock is the timestamps of the faster stream within the overlap, so no sample is
   invented at the faster rate and its own losses stay visible as gaps;
4. the slower stream is linearly interpolated onto that clock, axis by axis; clock times
   that fall in a gap of the slower stream longer than ``MAX_INTERPOLATED_GAP_INTERVALS``
   of its intervals are dropped, so the analysis sees the gap rather than a straight line
   drawn across it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import BadInputError, RecordingError
from ..recording import SensorStream

MIN_SAMPLES = 10
MIN_RATE_HZ = 20.0
"""A merged clock slower than this is refused (contract 1 supports 25 Hz and up)."""
MIN_SOURCE_RATE_HZ = 10.0
"""The slower sensor may run below ``MIN_RATE_HZ`` (it is interpolated), not below this."""
MAX_RATE_HZ = 500.0
LOW_RATE_WARNING_HZ = 25.0
"""A source stream slower than this is used, with a warning that accuracy suffers."""
MAX_INTERPOLATED_GAP_INTERVALS = 3.0
"""A gap in the slower stream longer than this many of its intervals is not bridged."""


@dataclass(frozen=True)
class TimedSamples:
    """One sensor's samples from one export table, before merging.

    ``time_s`` is seconds on a clock both sensors share (the Unix epoch, or the start of
    the same experiment); ``values`` has shape (n, 3), already in the contract's units
    (g for the accelerometer, °/s for the gyroscope) and sensor frame. ``name`` is
    ``accelerometer`` or ``gyroscope``; ``source`` names the file for messages.
    """

    time_s: np.ndarray
    values: np.ndarray
    name: str
    source: str

    @property
    def rate_hz(self) -> float:
        """Nominal rate from the median interval (robust to loss and jitter)."""
        return float(1.0 / np.median(np.diff(self.time_s)))


@dataclass
class MergedStream:
    """The merged sensor stream and what the merge did, for metadata and warnings.

    ``start_s`` is the shared-clock time of ``time_s = 0``; ``rate_hz`` the rate of the
    merged clock; ``notes`` short phrases for the ``# imported:`` line; ``warnings``
    sentences to show the user.
    """

    stream: SensorStream
    start_s: float
    rate_hz: float
    source_rates_hz: dict[str, float]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def tidy(samples: TimedSamples) -> TimedSamples:
    """Sorted by time, exact duplicate times dropped; refuse too few samples."""
    order = np.argsort(samples.time_s, kind="stable")
    time_s = samples.time_s[order]
    keep = np.concatenate(([True], np.diff(time_s) > 0))
    tidied = TimedSamples(time_s[keep], samples.values[order][keep], samples.name, samples.source)
    if len(tidied.time_s) < MIN_SAMPLES:
        raise RecordingError(
            samples.source,
            f"the {samples.name} has only {len(tidied.time_s)} samples, too few to analyse",
        )
    return tidied


def merge_onto_one_clock(acc_g: TimedSamples, gyr_dps: TimedSamples) -> MergedStream:
    """Merge accelerometer (g) and gyroscope (°/s) samples onto the faster one's clock."""
    acc_g, gyr_dps = tidy(acc_g), tidy(gyr_dps)
    rates_hz = {acc_g.name: acc_g.rate_hz, gyr_dps.name: gyr_dps.rate_hz}
    for samples in (acc_g, gyr_dps):
        _check_rate(samples)
    start_s = max(acc_g.time_s[0], gyr_dps.time_s[0])
    end_s = min(acc_g.time_s[-1], gyr_dps.time_s[-1])
    if end_s <= start_s:
        raise BadInputError(
            f"{acc_g.source} and {gyr_dps.source} do not overlap in time, so they are not "
            "from the same recording"
        )
    fast, slow = (gyr_dps, acc_g) if gyr_dps.rate_hz > acc_g.rate_hz * 1.01 else (acc_g, gyr_dps)
    if fast.rate_hz < MIN_RATE_HZ:
        raise RecordingError(
            fast.source,
            f"the {fast.name} was recorded at {_hz(fast.rate_hz)} and the {slow.name} at "
            f"{_hz(slow.rate_hz)}; imuhinge needs at least {LOW_RATE_WARNING_HZ:g} Hz",
        )
    inside = (fast.time_s >= start_s) & (fast.time_s <= end_s)
    clock_s = fast.time_s[inside]
    slow_values = np.column_stack(
        [np.interp(clock_s, slow.time_s, slow.values[:, axis]) for axis in range(3)]
    )
    kept = ~_in_long_gap(clock_s, slow)
    clock_s = clock_s[kept]
    if len(clock_s) < MIN_SAMPLES:
        raise BadInputError(
            f"{acc_g.source} and {gyr_dps.source} overlap in only {len(clock_s)} samples, "
            "too few to analyse"
        )
    values = {fast.name: fast.values[inside][kept], slow.name: slow_values[kept]}
    stream = SensorStream(
        time_s=clock_s - clock_s[0],
        acc_g=values[acc_g.name],
        gyr_dps=values[gyr_dps.name],
    )
    merged = MergedStream(
        stream=stream, start_s=float(clock_s[0]), rate_hz=stream.median_rate_hz,
        source_rates_hz=rates_hz,
    )
    if abs(fast.rate_hz - slow.rate_hz) > 0.01 * fast.rate_hz:
        merged.notes.append(f"{slow.name} {_hz(slow.rate_hz)} interpolated to {_hz(fast.rate_hz)}")
    elif not np.array_equal(
        fast.time_s[inside], slow.time_s[(slow.time_s >= start_s) & (slow.time_s <= end_s)]
    ):
        merged.notes.append(f"{slow.name} interpolated onto the {fast.name}'s timestamps")
    for samples in (acc_g, gyr_dps):
        if samples.rate_hz < LOW_RATE_WARNING_HZ:
            merged.warnings.append(
                f"the {samples.name} was recorded at {_hz(samples.rate_hz)}, below the "
                f"{LOW_RATE_WARNING_HZ:g} Hz imuhinge is designed for: fast movement is "
                "smoothed away, so angles and rep timings are less accurate"
            )
    _check_gravity(stream.acc_g, acc_g.source)
    return merged


def _in_long_gap(clock_s: np.ndarray, slow: TimedSamples) -> np.ndarray:
    """True where a clock time lies between two slower-stream samples too far apart."""
    longest_s = MAX_INTERPOLATED_GAP_INTERVALS / slow.rate_hz
    after = np.clip(np.searchsorted(slow.time_s, clock_s, side="left"), 1, len(slow.time_s) - 1)
    spacing_s = slow.time_s[after] - slow.time_s[after - 1]
    return spacing_s > longest_s


def _check_rate(samples: TimedSamples) -> None:
    rate_hz = samples.rate_hz
    if rate_hz < MIN_SOURCE_RATE_HZ:
        raise RecordingError(
            samples.source,
            f"the {samples.name} was recorded at {_hz(rate_hz)}; imuhinge needs at least "
            f"{LOW_RATE_WARNING_HZ:g} Hz",
        )
    if rate_hz > MAX_RATE_HZ:
        raise RecordingError(
            samples.source,
            f"the {samples.name} was recorded at {_hz(rate_hz)}; 25 to 400 Hz is supported, "
            "so record at a lower rate",
        )


def _check_gravity(acc_g: np.ndarray, source: str) -> None:
    """Refuse accelerometer data that does not read about 1 g: wrong unit or no gravity."""
    norm_g = float(np.median(np.linalg.norm(acc_g, axis=1)))
    if norm_g < 0.5:
        raise RecordingError(
            source,
            f"the accelerometer reads only {norm_g:.2f} g in the median, so gravity has been "
            "removed from it, and imuhinge needs gravity to find the tilt",
        )
    if norm_g > 2.0:
        raise RecordingError(
            source,
            f"the accelerometer reads {norm_g:.3g} g in the median, not about 1 g, so its "
            "values are not in the unit the header states",
        )


def _hz(rate_hz: float) -> str:
    return f"{rate_hz:.4g} Hz"
