"""`imuhinge live` through the emulated BlueZ when things go wrong mid-set: a sensor drops out
of range and comes back (the session goes on, the rep over the outage is reported as
`gap`, the outage is shown), and the process is killed with SIGKILL (the recording is
still a valid file holding everything up to its last flush)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from imuhinge.ble import LinkSettings
from imuhinge.cli.main import main
from imuhinge.live import ble_source
from imuhinge.protocols import witmotion
from imuhinge.recording import read_recording
from bluez.emulator import OnSharedClock, SharedClock
from test_ble_scan import V1_ADDRESS, WIT_ADDRESS, v1_device, witmotion_device
from test_live_ble import RATE_HZ, _session, _v1_notifications, _witmotion_notifications

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fast_links(monkeypatch):
    monkeypatch.setattr(ble_source, "BASE_SETTINGS", LinkSettings(
        scan_timeout_s=2.0, name_settle_s=0.2, connect_timeout_s=2.0, connect_attempts=2,
        backoff_initial_s=0.05, backoff_max_s=0.2,
    ))


def _two_sensors(bluez):
    samples = _session()
    body = SharedClock()
    emu = bluez([
        witmotion_device(source=OnSharedClock(_witmotion_notifications(*samples["pelvis"]), body)),
        v1_device("imuhinge-T12", source=OnSharedClock(_v1_notifications(*samples["thorax"]), body)),
    ])
    return emu, samples


def _first_rep_bottom_s() -> float:
    from bluez.body import measured_session

    _, truth = measured_session(1000, ("pelvis", "thorax"), rate_hz=RATE_HZ, duration_s=27.0)
    return truth.reps[0].bottom_s


def test_a_sensor_that_drops_mid_rep_is_reconnected_and_the_rep_reported_as_gap(bluez, fast_links, tmp_path,
                                                                                capsys):
    emu, _ = _two_sensors(bluez)
    drop_at_s = _first_rep_bottom_s()
    out, out_json = tmp_path / "rec.csv", tmp_path / "out.json"
    outage_s = 1.0

    def drop_and_return():
        if not emu.wait_until(lambda: emu.notifying(WIT_ADDRESS, witmotion.NOTIFY_UUID), timeout=10):
            return
        time.sleep(drop_at_s)  # the body clock starts with the first subscription, the pelvis's
        emu.drop(WIT_ADDRESS, vanish=True)
        time.sleep(outage_s)
        emu.reappear(WIT_ADDRESS)

    dropper = threading.Thread(target=drop_and_return, daemon=True)
    dropper.start()
    status = main(["live", "--pelvis", WIT_ADDRESS, "--thorax", V1_ADDRESS, "--out", str(out),
                   "--duration", "24.5", "--json", str(out_json)])
    dropper.join(timeout=5)
    printed = capsys.readouterr().out
    flat = " ".join(printed.split())  # rich wraps lines at the terminal's width

    assert status == 0, printed
    assert emu.stats(WIT_ADDRESS)["connects"] >= 2  # it came back
    pelvis = read_recording(out).streams["pelvis"]
    steps_s = np.diff(pelvis.time_s)
    assert steps_s.max() >= 0.5 * outage_s  # the outage is a hole in the recording, not bridged
    assert pelvis.time_s[-1] > drop_at_s + outage_s + 3.0  # and streaming went on after it
    reps = json.loads(out_json.read_text())["reps"]
    hole_s = float(pelvis.time_s[np.argmax(steps_s)])
    over_hole = [r for r in reps if r["start_s"] <= hole_s <= r["end_s"]]
    assert over_hole and all("gap" in r["flags"] for r in over_hole), reps
    assert "1 link outage" in flat  # the closing summary
    assert "pelvis: 1 outage" in flat  # the live screen's link line
    assert "Live feedback agreed" in flat


def test_killed_mid_set_leaves_a_valid_recording_complete_to_the_last_flush(bluez, tmp_path):
    emu, samples = _two_sensors(bluez)
    out = tmp_path / "rec.csv"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen(
        [sys.executable, "-m", "imuhinge", "live", "--pelvis", WIT_ADDRESS, "--thorax", V1_ADDRESS,
         "--out", str(out), "--duration", "60"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path,
    )
    try:
        assert emu.wait_until(lambda: emu.notifying(V1_ADDRESS, "c9040002-ca67-45ea-8fc8-abd4f3828215"), timeout=30)
        time.sleep(6.0)  # mid-set: calibrated, a rep under way
        sent_before_kill = sum(len(n) // witmotion.FRAME_BYTES for n in emu.sent(WIT_ADDRESS, witmotion.NOTIFY_UUID))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL

    recording = read_recording(out)  # valid contract-1 file: the reader refuses anything else
    pelvis = recording.streams["pelvis"]
    # on disk within a second of arriving (reorder window 0.25 s + flush every 0.5 s + a
    # 0.05 s batch): at most a second's worth of samples sent before the kill is missing
    assert len(pelvis.time_s) >= sent_before_kill - 1.0 * RATE_HZ
    sent = b"".join(n for n in emu.sent(WIT_ADDRESS, witmotion.NOTIFY_UUID) if n[:2] == witmotion.IMU_HEADER)
    sent_acc_g = witmotion.decode_frames(sent)[0]
    n = len(pelvis.time_s)
    assert np.allclose(pelvis.acc_g, sent_acc_g[:n], atol=1e-4)  # the rows are the samples sent, in order
    assert len(recording.streams["thorax"].time_s) > 0
