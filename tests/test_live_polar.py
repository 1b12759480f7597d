"""`imuhinge live` with Polar sensors over the emulated BlueZ (tests/bluez/polar_devices.py):
a Verity Sense streams a simulated deadlift session as delta-compressed accelerometer and
gyroscope frames and the session ends with reps and verdicts; an H10 streams its
accelerometer alone and the recording says so; refusals end in one sentence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bluez.polar_devices import H10_ADDRESS, VERITY_ADDRESS, polar_h10, polar_session, verity_sense
from imuhinge.ble import LinkSettings
from imuhinge.cli.main import main
from imuhinge.live import ble_source
from imuhinge.protocols import polar_pmd as pmd
from imuhinge.recording import read_recording

SEED = 1000
SESSION_S = 22.0
"""Seconds of the simulated session sent: quiet standing, then two reps (seed 1000)."""
DURATION_S = 24.0
"""--duration: past the end of the stream (the last frames arrive shortly after their samples)."""


@pytest.fixture
def fast_links(monkeypatch):
    monkeypatch.setattr(ble_source, "BASE_SETTINGS", LinkSettings(
        scan_timeout_s=2.0, name_settle_s=0.2, connect_timeout_s=2.0, connect_attempts=2,
        backoff_initial_s=0.05, backoff_max_s=0.2, command_spacing_s=0.02,
    ))


def _live(tmp_path, address, *extra):
    out, out_json = tmp_path / "rec.csv", tmp_path / "out.json"
    status = main(["live", "--pelvis", address, "--protocol", "auto", "--duration", str(DURATION_S),
                   "--out", str(out), "--json", str(out_json), *extra])
    return status, out, out_json


def test_verity_sense_session_ends_with_reps_and_verdicts(bluez, fast_links, tmp_path, capsys):
    session = polar_session(SEED, rate_hz=104, duration_s=SESSION_S, acc_per_frame=36, gyr_per_frame=27,
                            block_samples=20)
    sensor = verity_sense(session)
    emu = bluez([sensor.spec])

    status, out, out_json = _live(tmp_path, VERITY_ADDRESS)
    captured = capsys.readouterr()
    printed = captured.out

    assert status == 0, printed + captured.err
    writes = [data for uuid, data, _ in emu.writes(VERITY_ADDRESS) if uuid == pmd.CONTROL_POINT_UUID]
    assert writes[:3] == list(pmd.VERITY_SENSE.start_commands(100.0))  # SDK mode on, ACC, GYRO at 104 Hz
    recording = read_recording(out)
    stream = recording.streams["pelvis"]
    sent = len(session.acc_counts)
    # every accelerometer sample but the few the gyroscope had not covered at either end
    assert sent - 60 <= len(stream.time_s) <= sent
    assert np.all(np.diff(stream.time_s) > 0)
    mean_period_s = (stream.time_s[-1] - stream.time_s[0]) / (len(stream.time_s) - 1)
    np.testing.assert_allclose(mean_period_s, 1 / 104, rtol=1e-4)  # the device clock, not arrival
    first = int(np.flatnonzero(np.isclose(session.acc_g[:, 2], stream.acc_g[0, 2], atol=1e-4))[0])
    rows = slice(first, first + len(stream.time_s))
    assert np.allclose(stream.acc_g, session.acc_g[rows], atol=1e-4)
    # the gyroscope is sampled 2 ms after the accelerometer: interpolated, close to the sent rate
    assert np.abs(stream.gyr_dps - session.gyr_dps[rows]).max() < 3.0
    assert np.abs(stream.gyr_dps).max() > 20.0
    result = json.loads(out_json.read_text())
    assert result["reps"]
    assert len(result["reps"]) == 2
    assert all("flags" in rep and "reasons" in rep for rep in result["reps"])  # each rep's verdict
    assert f"--duration {DURATION_S:g} s reached" in printed
    assert not emu.connected(VERITY_ADDRESS)


def test_h10_session_records_the_accelerometer_only(bluez, fast_links, tmp_path, capsys):
    session = polar_session(SEED, rate_hz=100, duration_s=SESSION_S, gyroscope=False, compressed=False,
                            acc_per_frame=36)
    sensor = polar_h10(session)
    emu = bluez([sensor.spec])

    status, out, out_json = _live(tmp_path, H10_ADDRESS)
    printed = capsys.readouterr().out

    assert status == 0, printed
    assert "Traceback" not in printed
    writes = [data for uuid, data, _ in emu.writes(H10_ADDRESS) if uuid == pmd.CONTROL_POINT_UUID]
    assert writes[0] == pmd.start_measurement_command(pmd.ACC, 100, 16, 8)
    assert "# accelerometer-only: pelvis" in out.read_text().splitlines()[:10]
    recording = read_recording(out)
    assert recording.accelerometer_only == ("pelvis",)
    stream = recording.streams["pelvis"]
    assert len(stream.time_s) == len(session.acc_counts)  # raw frames: every sample arrives
    assert np.allclose(stream.acc_g, session.acc_g, atol=1e-4)
    assert not np.any(stream.gyr_dps)
    assert np.all(np.diff(stream.time_s) > 0)
    assert f"--duration {DURATION_S:g} s reached" in printed
    result = json.loads(out_json.read_text())
    assert len(result["reps"]) == 2  # counted from the accelerometer alone
    assert all("accelerometer_only" in rep["flags"] for rep in result["reps"])  # measured, not judged
    assert result["sensors"]["pelvis"]["gyroscope"] is False
    assert result["accuracy_note"] and "slow movement" in result["accuracy_note"]
    flat = " ".join(printed.split())
    assert "agreed with the end-of-session analysis on 2 of 2 reps" in flat  # the live verdicts too


def test_old_verity_firmware_refuses_sdk_mode_in_one_sentence(bluez, fast_links, tmp_path, capsys):
    bluez([verity_sense(None, sdk_mode_supported=False).spec])

    status, out, _ = _live(tmp_path, VERITY_ADDRESS)
    err = capsys.readouterr().err.strip()

    assert status == 2
    assert "\n" not in err
    assert "SDK mode" in err and "--rate-hz 52" in err
    assert not out.exists()


def test_a_sensor_scaling_its_gyroscope_differently_is_refused(bluez, fast_links, tmp_path, capsys):
    bluez([verity_sense(None, factor_scale=2.0).spec])

    status, _, _ = _live(tmp_path, VERITY_ADDRESS, "--rate-hz", "52")
    err = capsys.readouterr().err.strip()

    assert status == 2
    assert "per count" in err and "\n" not in err


def test_a_rate_the_h10_cannot_do_is_refused_before_connecting(tmp_path, capsys):
    status = main(["live", "--pelvis", H10_ADDRESS, "--protocol", "polar-h10", "--rate-hz", "75",
                   "--out", str(tmp_path / "rec.csv")])
    assert status == 2
    assert "25, 50, 100, 200 Hz" in capsys.readouterr().err
