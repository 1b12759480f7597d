"""Step 1: resampling onto the analysis clock keeps the signal, bridges short gaps and
marks long ones."""

import numpy as np
import pytest

from imuhinge.pipeline.resample import analysis_clock, resample_stream
from imuhinge.recording import SensorStream


def _stream(time_s, values):
    values = np.asarray(values, dtype=float)
    return SensorStream(time_s=np.asarray(time_s, dtype=float), acc_g=values.copy(), gyr_dps=values.copy())


def test_same_rate_uniform_input_gives_interval_means():
    t = np.arange(0, 10, 0.01)
    x = np.stack([np.sin(t), np.cos(2 * t), t], axis=1)
    out = resample_stream(_stream(t, x), analysis_clock(0.0, t[-1], 100.0), 100.0, 0.25)
    interior = slice(2, -2)
    assert np.allclose(out.acc_g[interior], x[interior], atol=2e-4)
    # the gyroscope sample is the mean rate over the period ending at the sample
    h = 0.01
    mean_sin = (np.cos(t - h) - np.cos(t)) / h
    assert np.allclose(out.gyr_dps[interior, 0], mean_sin[interior], atol=1e-6)
    assert out.valid.all() and out.gaps_s == [] and out.lost_fraction == pytest.approx(0.0)


def test_lost_samples_in_a_fast_swing_are_bridged_along_the_curve():
    t = np.arange(0, 4, 0.005)
    rate = 200 * np.sin(2 * np.pi * t)
    lost = np.zeros(len(t), dtype=bool)
    for first in range(50, 750, 60):
        lost[first : first + 20] = True
    stream = _stream(t[~lost], np.repeat(rate[~lost, None], 3, axis=1))
    out = resample_stream(stream, analysis_clock(0.0, 3.995, 100.0), 100.0, 0.25)
    integrated = np.cumsum(out.gyr_dps[:, 0]) / 100.0
    true_angle = 200 * (1 - np.cos(2 * np.pi * out.time_s)) / (2 * np.pi)
    assert np.max(np.abs(integrated - true_angle)) < 0.1


def test_jittered_lossy_fast_input_keeps_the_integrated_angle():
    rng = np.random.default_rng(3)
    t = np.arange(0, 20, 1 / 200) + np.clip(rng.normal(0, 0.0005, 4000), -0.0015, 0.0015)
    t = np.sort(t)
    keep = rng.random(len(t)) > 0.05
    keep[0] = keep[-1] = True
    rate = 60 * np.sin(2 * np.pi * 0.7 * t)[:, None] * np.ones(3)
    out = resample_stream(_stream(t[keep], rate[keep]), analysis_clock(0.0, 19.99, 50.0), 50.0, 0.25)
    interval_end_s = out.time_s
    true_angle = 60 * (1 - np.cos(2 * np.pi * 0.7 * interval_end_s)) / (2 * np.pi * 0.7)
    integrated = np.cumsum(out.gyr_dps[:, 0]) / 50.0
    assert np.max(np.abs(integrated - true_angle)[10:]) < 0.05
    assert out.lost_fraction == pytest.approx(0.05, abs=0.01)


def test_short_gap_is_bridged_and_long_gap_is_marked():
    t = np.arange(0, 10, 0.01)
    lost = ((t > 2.0) & (t < 2.2)) | ((t > 6.0) & (t < 6.8))
    out = resample_stream(_stream(t[~lost], np.ones((len(t), 3))[~lost]), analysis_clock(0.0, 9.99, 100.0), 100.0, 0.25)
    assert len(out.gaps_s) == 1
    start, end = out.gaps_s[0]
    assert start == pytest.approx(6.0, abs=0.011) and end == pytest.approx(6.8, abs=0.011)
    assert out.valid[(out.time_s > 2.0) & (out.time_s < 2.2)].all()
    assert not out.valid[(out.time_s > 6.1) & (out.time_s < 6.7)].any()


def test_time_outside_the_sensors_span_is_marked():
    t = np.arange(1.0, 10, 0.01)
    out = resample_stream(_stream(t, np.ones((len(t), 3))), analysis_clock(0.0, 9.99, 100.0), 100.0, 0.25)
    assert not out.valid[out.time_s < 0.9].any()
    assert out.valid[out.time_s > 1.1].all()
