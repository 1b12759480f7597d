"""Bad input that needs a moving sensor to show: made from simulated sessions on the fly.

Each refusal is one sentence and exit status 2; each usable-with-warning case exits 0
with the warning in the report (DESIGN.md contracts 1 and 3).
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from imuhinge.cli.main import main
from imuhinge.recording import Recording, SensorStream, write_recording
from imuhinge.simulation import SessionConfig, simulate_session


@lru_cache(maxsize=None)
def _session(sensors: tuple[str, ...], seed: int = 1, scenario: str = "deadlift") -> Recording:
    recording, _ = simulate_session(
        SessionConfig.random(seed, sensors=sensors, scenario=scenario, rate_hz=50, duration_s=50)
    )
    return recording


def _copy(recording: Recording) -> Recording:
    streams = {
        label: SensorStream(s.time_s.copy(), s.acc_g.copy(), s.gyr_dps.copy())
        for label, s in recording.streams.items()
    }
    return Recording(streams, dict(recording.metadata))


def _analyse(recording: Recording, tmp_path, capsys) -> tuple[int, dict | None, str]:
    path = tmp_path / "r.csv"
    write_recording(recording, path)
    status = main(["analyse", str(path), "--json", str(tmp_path / "a.json")])
    err = capsys.readouterr().err
    analysis = json.loads((tmp_path / "a.json").read_text()) if status == 0 else None
    return status, analysis, err


def _one_sentence(err: str) -> None:
    assert err.count("\n") == 1 and err.startswith("imuhinge: ") and "Traceback" not in err


@pytest.mark.parametrize("sensors", [("pelvis",), ("pelvis", "thorax")])
def test_gyroscope_in_rad_per_s_is_refused(sensors, tmp_path, capsys):
    recording = _copy(_session(sensors))
    for stream in recording.streams.values():
        stream.gyr_dps *= np.pi / 180.0
    status, _, err = _analyse(recording, tmp_path, capsys)
    assert status == 2
    _one_sentence(err)
    assert "radians per second" in err and "multiply by 57.3" in err


def test_gyroscope_that_does_not_turn_is_refused(tmp_path, capsys):
    recording = _copy(_session(("pelvis",)))
    recording.streams["pelvis"].gyr_dps *= 0.001
    status, _, err = _analyse(recording, tmp_path, capsys)
    assert status == 2
    _one_sentence(err)
    assert "barely turns while the accelerometer tilts" in err


@pytest.mark.parametrize("sensors", [("pelvis",), ("pelvis", "thorax")])
def test_ten_minute_gap_analyses_both_sides_and_reports_the_gap(sensors, tmp_path, capsys):
    original = _session(sensors)
    status, plain, _ = _analyse(original, tmp_path, capsys)
    assert status == 0
    recording = _copy(original)
    cut_s = 25.0
    for stream in recording.streams.values():
        stream.time_s[stream.time_s >= cut_s] += 600.0
    status, gapped, err = _analyse(recording, tmp_path, capsys)
    assert status == 0, err
    assert any("no data from the pelvis sensor for 600 s" in w for w in gapped["warnings"])
    assert not any("lost 9" in w for w in gapped["warnings"])  # not "lost 92% of its samples"
    reps = gapped["reps"]
    # no rep is invented inside the gap; the reps on either side are found and judged
    assert not any(cut_s + 1.0 < r["bottom_s"] < cut_s + 599.0 for r in reps)
    before = [r for r in plain["reps"] if r["end_s"] < cut_s - 0.5]
    after = [r for r in plain["reps"] if r["start_s"] > cut_s + 0.5]
    assert len(reps) <= len(plain["reps"])
    assert sum(r["end_s"] < cut_s for r in reps) == len(before)
    assert sum(r["start_s"] > cut_s + 600.0 for r in reps) >= len(after) - 1
    judged = [r for r in reps if "gap" not in r["flags"]]
    assert len(judged) >= len(before) + len(after) - 1


def test_duplicate_timestamps_across_sensors_are_allowed(tmp_path, capsys):
    recording = _copy(_session(("pelvis", "thorax")))
    pelvis, thorax = recording.streams["pelvis"], recording.streams["thorax"]
    n = min(len(pelvis), len(thorax))
    recording.streams["pelvis"] = SensorStream(pelvis.time_s[:n], pelvis.acc_g[:n], pelvis.gyr_dps[:n])
    recording.streams["thorax"] = SensorStream(pelvis.time_s[:n].copy(), thorax.acc_g[:n], thorax.gyr_dps[:n])
    status, analysis, err = _analyse(recording, tmp_path, capsys)
    assert status == 0, err
    assert analysis["mode"] == "two-sensor"


def _saturated_session(sensors):
    config = SessionConfig.random(3, sensors=sensors, scenario="swing", rate_hz=50, duration_s=40)
    setups = tuple(
        replace(s, faults=replace(s.faults, quantise=True, acc_full_scale_g=2.0, gyro_full_scale_dps=125.0))
        for s in config.sensor_setups
    )
    recording, _ = simulate_session(replace(config, sensor_setups=setups))
    return recording


@pytest.mark.parametrize("sensors", [("pelvis",), ("pelvis", "thorax")])
def test_saturated_sensor_flags_reps_and_does_not_judge_them(sensors, tmp_path, capsys):
    status, analysis, err = _analyse(_saturated_session(sensors), tmp_path, capsys)
    assert status == 0, err
    assert any("reached the end of its measuring range" in w for w in analysis["warnings"])
    saturated = [r for r in analysis["reps"] if "saturated" in r["flags"]]
    assert saturated
    for rep in saturated:
        assert set(rep["flags"]) <= {"saturated", "gap"}  # not judged
        assert any("measuring range" in reason for reason in rep["reasons"])
    assert analysis["summary"]["saturated"] == len(saturated)


def test_saturated_reps_read_well_in_table_and_html(tmp_path, capsys):
    path = tmp_path / "r.csv"
    write_recording(_saturated_session(("pelvis", "thorax")), path)
    status = main(["analyse", str(path), "--report", str(tmp_path / "r.html"), "--plot", str(tmp_path / "r.png")])
    out = capsys.readouterr().out
    assert status == 0
    assert "not judged (sensor saturated)" in out
    html = (tmp_path / "r.html").read_text()
    assert "not judged (sensor saturated)" in html and "beyond the sensor" in html
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")


def test_clean_sessions_have_no_saturation_flag(tmp_path, capsys):
    for sensors in (("pelvis",), ("pelvis", "thorax")):
        status, analysis, _ = _analyse(_session(sensors), tmp_path, capsys)
        assert status == 0
        assert not any("saturated" in r["flags"] for r in analysis["reps"])
