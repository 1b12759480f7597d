"""`imuhinge live --plan progression` over Bluetooth, against the emulated BlueZ (tests/bluez):
two imuhinge v1 sensors (pelvis and thorax) send a simulated person doing the whole
progression (bridge lying down, the kneeling raises, then every standing drill, three reps
each and the lat hold), and the session walks through all eleven drills by itself.

To keep the suite short the session runs four times faster than real time: the emulated
sensors send their notifications four times sooner, and the clock imuhinge's Bluetooth code
stamps arrivals with (``time.monotonic`` in ``imuhinge.ble.session`` and
``imuhinge.live.ble_source``) runs four times faster too, so the sensors' device clocks
and the session clock still agree, as they do at real time. (Sensors timed by arrival,
such as WitMotion's, are left to tests/test_live_ble.py at real time: four times as many
notifications a second over D-Bus would time them worse than a real link does.) Everything else (bleak, D-Bus, decoding, recording, the live processor, the
drill switches, the end-of-session analysis) is what a real session runs.
"""

from __future__ import annotations

import time
import types

import pytest

from imuhinge.ble import LinkSettings
from imuhinge.ble import session as ble_session
from imuhinge.cli.main import main
from imuhinge.exercises import plan_file_name, plan_named
from imuhinge.live import ble_source
from imuhinge.protocols import imuhinge_v1
from imuhinge.recording import read_recording
from bluez.body import measured_plan
from bluez.emulator import OnSharedClock, SharedClock
from test_ble_scan import V1_ADDRESS, v1_device

SPEED = 4.0
RATE_HZ = 100.0
REPS = 3
SEED = 2003
PELVIS_ADDRESS = "C0:FF:EE:00:00:31"
PER_PACKET = 5


@pytest.fixture
def fast_clock(monkeypatch):
    """imuhinge's Bluetooth clock running ``SPEED`` times faster than real time."""
    start = time.monotonic()
    scaled = types.SimpleNamespace(monotonic=lambda: start + (time.monotonic() - start) * SPEED)
    monkeypatch.setattr(ble_session, "time", scaled)
    monkeypatch.setattr(ble_source, "time", scaled)
    monkeypatch.setattr(ble_source, "BASE_SETTINGS", LinkSettings(
        scan_timeout_s=2.0, name_settle_s=0.2, connect_timeout_s=2.0, connect_attempts=2,
        backoff_initial_s=0.05, backoff_max_s=0.2,
    ))


def _v1_notes(stream):
    acc_raw, gyr_raw = stream.raw()
    period_us = round(1e6 / RATE_HZ)
    notes = []
    for k in range(len(acc_raw) // PER_PACKET):
        rows = slice(k * PER_PACKET, (k + 1) * PER_PACKET)
        packet = imuhinge_v1.encode_packet(imuhinge_v1.Packet(
            sequence=k % 65536, device_time_us=k * PER_PACKET * period_us, period_us=period_us,
            acc_range_g=16, gyr_range_dps=2000, acc_raw=acc_raw[rows], gyr_raw=gyr_raw[rows],
            flags=imuhinge_v1.FLAG_STREAM_START if k == 0 else 0,
        ))
        notes.append((float(stream.time_s[rows.stop - 1]) / SPEED, packet))
    return notes


def test_a_plan_session_runs_the_whole_progression_over_bluetooth(bluez, fast_clock, tmp_path, capsys):
    streams, simulated = measured_plan(SEED, ("pelvis", "thorax"), rate_hz=RATE_HZ, reps_per_drill=REPS)
    body = SharedClock()
    emu = bluez([
        v1_device("imuhinge-S2", PELVIS_ADDRESS, source=OnSharedClock(_v1_notes(streams["pelvis"]), body)),
        v1_device("imuhinge-T12", source=OnSharedClock(_v1_notes(streams["thorax"]), body)),
    ])
    folder = tmp_path / "session"

    session_s = max(float(s.time_s[-1]) for s in streams.values())
    status = main(["live", "--pelvis", "imuhinge-S2", "--thorax", "imuhinge-T12", "--plan", "progression",
                   "--target-reps", str(REPS), "--out", str(folder), "--duration", f"{session_s + 20:.0f}"])
    printed = " ".join(capsys.readouterr().out.split())  # the terminal's wrapping undone

    assert status == 0, printed
    plan = plan_named("progression")
    assert "Stopped (plan complete) after 11 of 11 drills" in printed
    files = sorted(p.name for p in folder.iterdir() if p.suffix == ".csv")
    assert files == [plan_file_name(i, name) for i, name in enumerate(plan.drills, start=1)]
    sent = PER_PACKET * len(emu.sent(PELVIS_ADDRESS, imuhinge_v1.DATA_UUID))
    recorded = 0
    for index, name in enumerate(plan.drills, start=1):
        recording = read_recording(folder / plan_file_name(index, name))
        assert recording.metadata["exercise"] == name
        assert recording.metadata["plan"] == f"progression, drill {index} of 11"
        assert recording.streams["pelvis"].time_s[0] < 1.0  # each file's time starts at its drill
        recorded += len(recording.streams["pelvis"].time_s)
    # every pelvis frame that reached imuhinge before the plan ended is in exactly one file
    assert sent - 2 * RATE_HZ <= recorded <= sent
    # each drill: its reps found live, and found again by the end-of-session analysis
    profiles = plan.profiles()
    marks = [f"{i}. {p.title}:" for i, p in enumerate(profiles, start=1)] + ["Session plan"]
    for profile, mark, following in zip(profiles, marks, marks[1:]):
        line = printed[printed.index(mark) + len(mark) : printed.index(following)]
        if profile.kind == "hold":
            assert "in 1 hold(s)" in line, line
        else:
            assert f"(live found {REPS}, matched {REPS})" in line, line
    assert not emu.connected(PELVIS_ADDRESS) and not emu.connected(V1_ADDRESS)
    assert len(simulated.parts) == len(plan.drills)
