"""Step 6: the per-rep measures follow contract 2's definitions exactly."""

import numpy as np
import pytest

from imuhinge.pipeline.metrics import RepTraces, measure_rep
from imuhinge.pipeline.reps import RepSpan
from imuhinge.pipeline.settings import MetricsSettings


def _traces(pelvis, lumbar, side=None, heading=None):
    n = len(pelvis)
    return RepTraces(
        time_s=np.arange(n) / 100.0,
        pelvis_tilt_deg=np.asarray(pelvis, dtype=float),
        trunk_inclination_deg=np.asarray(pelvis, dtype=float) + lumbar,
        lumbar_flexion_deg=np.asarray(lumbar, dtype=float),
        lumbar_flexion_source="measured",
        side_bend_deg=np.zeros(n) if side is None else side,
        heading_deg=np.zeros(n) if heading is None else heading,
    )


def test_peaks_ratio_and_phases():
    pelvis = np.concatenate([np.linspace(0, 40, 101), np.linspace(40, 0, 101)[1:]])
    lumbar = 0.25 * pelvis
    lumbar[50] = 15.0
    rep = measure_rep(1, RepSpan(0, 100, 200), _traces(pelvis, lumbar), MetricsSettings())
    assert rep.pelvis_tilt_deg == pytest.approx(40.0)
    assert rep.lumbar_flexion_deg == pytest.approx(15.0)
    assert rep.trunk_inclination_deg == pytest.approx(50.0)
    assert rep.hinge_ratio == pytest.approx(40.0 / 50.0)
    assert rep.eccentric_s == pytest.approx(1.0) and rep.concentric_s == pytest.approx(1.0)
    assert rep.lockout_extension_deg == 0.0


def test_lockout_extension_counts_only_the_last_40_percent_of_the_ascent():
    pelvis = np.concatenate([np.linspace(0, 40, 101), np.linspace(40, 0, 101)[1:]])
    lumbar = np.zeros_like(pelvis)
    lumbar[150] = -20.0  # 50% of the ascent: outside the window
    lumbar[185] = -12.0  # 85% of the ascent: inside
    rep = measure_rep(1, RepSpan(0, 100, 200), _traces(pelvis, lumbar), MetricsSettings())
    assert rep.lockout_extension_deg == pytest.approx(12.0)
    assert rep.lumbar_flexion_deg == pytest.approx(0.0)


def test_side_bend_and_rotation_keep_their_sign():
    pelvis = np.concatenate([np.linspace(0, 40, 101), np.linspace(40, 0, 101)[1:]])
    side = -3.0 * np.sin(np.linspace(0, np.pi, 201))
    heading = 10.0 + 4.0 * np.sin(np.linspace(0, np.pi, 201))
    rep = measure_rep(1, RepSpan(0, 100, 200), _traces(pelvis, 0 * pelvis, side, heading), MetricsSettings())
    assert rep.side_bend_deg == pytest.approx(-3.0, abs=0.01)
    assert rep.rotation_deg == pytest.approx(4.0, abs=0.01)
