"""`imuhinge live` over Bluetooth, against the emulated BlueZ (tests/bluez): a WitMotion pelvis
and an imuhinge v1 thorax stream a simulated deadlift session, with malformed notifications
mixed in; every sample sent must reach the recording, and the session must end with its
analysis. Also: a sensor that never answers, and a rate WitMotion cannot do."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from imuhinge.ble import LinkSettings
from imuhinge.cli.main import main
from imuhinge.live import ble_source
from imuhinge.protocols import imuhinge_v1, witmotion
from imuhinge.recording import read_recording
from bluez.body import measured_session
from bluez.emulator import OnSharedClock, SharedClock
from test_ble_scan import V1_ADDRESS, WIT_ADDRESS, v1_device, witmotion_device

RATE_HZ = 100.0
SESSION_S = 22.0
"""Seconds of the simulated session sent (real time: WitMotion samples are timed by arrival).
Quiet standing, then two reps (seed 1000)."""
DURATION_S = 24.5
"""--duration: past the end of both streams (the thorax connects a little after the pelvis)."""
PER_PACKET = 5
GARBAGE = b"\x00\x01\x02\x03"
"""Bytes without a WitMotion header: skipped and counted, no frame lost."""


@pytest.fixture
def fast_links(monkeypatch):
    monkeypatch.setattr(ble_source, "BASE_SETTINGS", LinkSettings(
        scan_timeout_s=2.0, name_settle_s=0.2, connect_timeout_s=2.0, connect_attempts=2,
        backoff_initial_s=0.05, backoff_max_s=0.2,
    ))


def _session():
    """Per sensor: (time_s, acc int16, gyr int16) for the first ``SESSION_S`` of the session."""
    streams, _ = measured_session(1000, ("pelvis", "thorax"), rate_hz=RATE_HZ, duration_s=SESSION_S + 5.0)
    n = int(SESSION_S * RATE_HZ)
    return {label: (s.time_s[:n], *(values[:n] for values in s.raw())) for label, s in streams.items()}


def _witmotion_notifications(time_s, acc_raw, gyr_raw):
    notes = [(float(time_s[i]), witmotion.encode_frame(tuple(acc_raw[i]), tuple(gyr_raw[i]), (0, 0, 0)))
             for i in range(len(acc_raw))]
    notes += [(float(time_s[i]) - 0.5 / RATE_HZ, GARBAGE) for i in (300, 900, 1500)]  # between two frames
    return sorted(notes, key=lambda note: note[0])


def _v1_notifications(time_s, acc_raw, gyr_raw):
    period_us = round(1e6 / RATE_HZ)
    notes = []
    for k in range(len(acc_raw) // PER_PACKET):
        rows = slice(k * PER_PACKET, (k + 1) * PER_PACKET)
        packet = imuhinge_v1.encode_packet(imuhinge_v1.Packet(
            sequence=k, device_time_us=k * PER_PACKET * period_us, period_us=period_us,
            acc_range_g=16, gyr_range_dps=2000, acc_raw=acc_raw[rows], gyr_raw=gyr_raw[rows],
            flags=imuhinge_v1.FLAG_STREAM_START if k == 0 else 0,
        ))
        t_s = float(time_s[rows.stop - 1])
        notes.append((t_s, packet))
        if k in (100, 200, 300):
            notes.append((t_s + 0.001, packet[:10]))  # truncated mid-header
    return notes


def test_live_streams_two_sensors_into_a_complete_recording(bluez, fast_links, tmp_path, capsys):
    samples = _session()
    body = SharedClock()  # one body: the later-connected sensor skips what it would have sent before
    emu = bluez([
        witmotion_device(source=OnSharedClock(_witmotion_notifications(*samples["pelvis"]), body)),
        v1_device("imuhinge-T12", source=OnSharedClock(_v1_notifications(*samples["thorax"]), body)),
    ])
    out, out_json = tmp_path / "rec.csv", tmp_path / "out.json"

    status = main(["live", "--pelvis", WIT_ADDRESS, "--thorax", "imuhinge-T12", "--out", str(out),
                   "--duration", str(DURATION_S), "--json", str(out_json)])
    printed = capsys.readouterr().out

    assert status == 0, printed
    head = out.read_text().splitlines()[:4]
    assert f"# sensor pelvis: WT901BLE67 (witmotion) {WIT_ADDRESS} 100 Hz" in head  # what connected
    assert f"# sensor thorax: imuhinge-T12 (imuhinge-v1) {V1_ADDRESS} 100 Hz" in head
    recording = read_recording(out)
    for label, (_, acc_raw, gyr_raw) in samples.items():
        stream = recording.streams[label]
        # Nothing lost inside the program: the recording ends with every sample sent,
        # from wherever the sensor's subscription joined the session.
        n = len(stream.time_s)
        assert n > 0.9 * len(acc_raw), label
        assert np.allclose(stream.acc_g, acc_raw[-n:] * 16.0 / 32768.0, atol=1e-4), label
        assert np.allclose(stream.gyr_dps, gyr_raw[-n:] * 2000.0 / 32768.0, atol=2e-3), label
        assert np.all(np.diff(stream.time_s) > 0)
    frames_sent = sum(len(n) // witmotion.FRAME_BYTES for n in emu.sent(WIT_ADDRESS, witmotion.NOTIFY_UUID))
    assert len(recording.streams["pelvis"].time_s) == frames_sent
    # both sensors on one session clock: they start within a second or so of each other
    assert abs(recording.streams["pelvis"].time_s[0] - recording.streams["thorax"].time_s[0]) < 2.0
    assert json.loads(out_json.read_text())["reps"]
    assert f"--duration {DURATION_S:g} s reached" in printed
    assert "Live feedback agreed" in printed
    assert "3 malformed notifications" in printed and f"{3 * len(GARBAGE)} bytes skipped" in printed
    assert not emu.connected(WIT_ADDRESS) and not emu.connected(V1_ADDRESS)


def test_sensor_that_never_answers_exits_2_in_one_sentence(bluez, monkeypatch, tmp_path, capsys):
    bluez([witmotion_device(connect="hang")])
    monkeypatch.setattr(ble_source, "BASE_SETTINGS", LinkSettings(
        connect_timeout_s=0.4, connect_attempts=2, backoff_initial_s=0.05))
    out = tmp_path / "rec.csv"

    status = main(["live", "--pelvis", WIT_ADDRESS, "--out", str(out), "--duration", "5"])
    err = capsys.readouterr().err

    assert status == 2
    message = err.strip()
    assert message.startswith("imuhinge: the pelvis sensor") and "did not answer" in message
    assert "\n" not in message
    assert not out.exists()


def test_a_rate_witmotion_cannot_do_is_refused_before_connecting(tmp_path, capsys):
    status = main(["live", "--pelvis", WIT_ADDRESS, "--protocol", "witmotion", "--rate-hz", "75",
                   "--out", str(tmp_path / "rec.csv")])
    assert status == 2
    assert "50, 100, 200 Hz" in capsys.readouterr().err


def test_source_counts_start_empty():
    source = ble_source.BleSource({"pelvis": WIT_ADDRESS}, rate_hz=50.0)
    assert source.settings == replace(ble_source.BASE_SETTINGS, rate_hz=50.0)
    assert source.counts() == {} and source.gaps() == []


def test_an_unknown_protocol_is_refused_with_the_known_ones(tmp_path, capsys):
    status = main(["live", "--pelvis", WIT_ADDRESS, "--protocol", "witmotoin", "--out", str(tmp_path / "rec.csv")])
    assert status == 2
    err = capsys.readouterr().err
    assert "--protocol must be auto or one of" in err and "witmotion" in err and "witmotoin" in err
