"""Steps 1–4 for one sensor: from raw samples to calibrated, filtered segment angles.

A ``SegmentTrack`` holds everything later steps need about one body segment: its
resampled stream, its calibration, its orientation and its angles, all on the analysis
clock. ``analyse_recording`` builds one per sensor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .angles import SegmentAngles, segment_angles
from .axes import quaternions_to_matrices, to_segment
from .calibration import SensorCalibration, calibrate_sensor
from .orientation import estimate_orientation
from .reps import RepSpan
from .resample import UniformStream
from .settings import PipelineSettings


@dataclass
class SegmentTrack:
    """One segment through steps 1–4 (arrays share the analysis clock)."""

    stream: UniformStream
    calibration: SensorCalibration
    quaternions_wxyz: np.ndarray
    angles: SegmentAngles

    def world_acceleration_g(self, span: RepSpan) -> np.ndarray:
        """(m, 3) acceleration of the sensor in the world frame (g), gravity removed,
        over a rep (start to end inclusive)."""
        within = slice(span.start_index, span.end_index + 1)
        acc_segment = to_segment(self.calibration.rotation_segment_sensor, self.stream.acc_g[within])
        rotation = quaternions_to_matrices(self.quaternions_wxyz[within])
        world = np.einsum("nij,nj->ni", rotation, acc_segment)
        world[:, 2] -= 1.0
        return world

    def forward_world(self, span: RepSpan) -> np.ndarray:
        """(m, 2) unit horizontal direction the segment faces (world x, y) over a rep."""
        rotation = quaternions_to_matrices(self.quaternions_wxyz[span.start_index : span.end_index + 1])
        forward = rotation[:, :2, 0]
        return forward / np.maximum(np.linalg.norm(forward, axis=1, keepdims=True), 1e-9)


def track_segment(
    stream: UniformStream,
    window: tuple[int, int],
    quiet: np.ndarray,
    settings: PipelineSettings,
    bridge_gaps: bool = False,
) -> SegmentTrack:
    """Calibrate ``stream``, estimate its orientation and its angles.

    ``bridge_gaps``: straighten the angles inside long gaps before filtering (see
    ``FilterSettings.bridge_gaps``; the caller decides, as it depends on the mode).
    """
    calibration = calibrate_sensor(stream, window, quiet, settings.calibration)
    rotation = calibration.rotation_segment_sensor
    gyr_segment = to_segment(rotation, stream.gyr_dps - calibration.gyro_bias_track_dps)
    acc_segment = to_segment(rotation, stream.acc_g)
    quaternions = estimate_orientation(
        gyr_segment,
        acc_segment,
        stream.rate_hz,
        settings.fusion,
        still=quiet,
        valid=stream.valid,
        bridge_error_deg=stream.bridge_error_deg,
    )
    angles = segment_angles(quaternions, stream.rate_hz, window, settings.filter,
                            valid=stream.valid if bridge_gaps else None)
    return SegmentTrack(stream, calibration, quaternions, angles)
