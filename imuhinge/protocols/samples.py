"""The decoded form every protocol stream returns: a block of timestamped samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class SampleBlock:
    """Samples decoded from one or more notifications, in the sensor frame.

    ``time_s`` (n,) is seconds on the stream's own time axis (device clock unwrapped, or
    smoothed arrival time for sensors without a clock), strictly increasing; ``acc_g``
    (n, 3) is specific force in g; ``gyr_dps`` (n, 3) angular rate in degrees per second;
    ``angle_deg`` (n, 3) is the sensor's own roll, pitch, yaw where it sends them.
    """

    time_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray
    angle_deg: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.time_s)

    @classmethod
    def empty(cls, with_angles: bool = False) -> "SampleBlock":
        """A block of no samples (what a stream returns for a partial or bad notification)."""
        nothing = np.empty((0, 3))
        return cls(np.empty(0), nothing, nothing.copy(), nothing.copy() if with_angles else None)
