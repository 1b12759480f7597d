"""`imuhinge live` with a Nordic Thingy:52 or a Movesense at the pelvis, through the emulated
BlueZ (tests/bluez): each streams quiet standing and two reps of a simulated deadlift
session; every sample sent must reach the recording (checked against the bytes the sensor
sent, decoded here with struct), and the session must end with reps and their verdicts.
Also: `imuhinge scan` labels both sensors from their advertisements, and the emulated
sensors answer commands as their firmware does."""

from __future__ import annotations

import asyncio
import json
import struct

import numpy as np
import pytest

from bluez.sensor_devices import (
    MOVESENSE_ADDRESS, MOVESENSE_NAME, THINGY_ADDRESS, movesense_device, movesense_payloads, sample_slots,
    thingy52_device, thingy52_notifications,
)
from imuhinge.ble import LinkSettings
from imuhinge.cli.main import main
from imuhinge.live import ble_source
from imuhinge.protocols import movesense, thingy52
from imuhinge.recording import read_recording
from imuhinge.simulation import SessionConfig, simulate_session

SESSION_S = 22.0
"""Seconds of the simulated session sent: quiet standing, then two reps (seed 1000). The
simulated sensor loses a sample now and then; those slots are lost on the way here too."""
DURATION_S = 24.5
"""--duration: past the end of the stream (the Thingy pauses 0.3 s when its rate changes)."""


@pytest.fixture
def fast_links(monkeypatch):
    monkeypatch.setattr(ble_source, "BASE_SETTINGS", LinkSettings(
        scan_timeout_s=2.0, name_settle_s=0.2, connect_timeout_s=2.0, connect_attempts=2,
        backoff_initial_s=0.05, backoff_max_s=0.2,
    ))


def _pelvis(rate_hz: float):
    """(acc_g, gyr_dps, slots) of the simulated pelvis sensor's first ``SESSION_S``."""
    config = SessionConfig.random(seed=1000, sensors=("pelvis",), rate_hz=rate_hz, scenario="deadlift")
    recording, _ = simulate_session(config)
    stream = recording.streams["pelvis"]
    n = int(np.searchsorted(stream.time_s, stream.time_s[0] + SESSION_S))
    return stream.acc_g[:n], stream.gyr_dps[:n], sample_slots(stream.time_s[:n], rate_hz)


def _live(address: str, tmp_path, *extra: str):
    """Run `imuhinge live` on one pelvis sensor; (exit status, recording path, JSON path)."""
    out, out_json = tmp_path / "rec.csv", tmp_path / "out.json"
    status = main(["live", "--pelvis", address, "--protocol", "auto", "--duration", str(DURATION_S),
                   "--out", str(out), "--json", str(out_json), *extra])
    return status, out, out_json


def _check_session(recording, out_json, acc_g, gyr_dps) -> None:
    stream = recording.streams["pelvis"]
    assert len(stream.time_s) == len(acc_g)  # every sample sent is in the recording
    np.testing.assert_allclose(stream.acc_g, acc_g, atol=1e-4)
    np.testing.assert_allclose(stream.gyr_dps, gyr_dps, atol=2e-3)
    assert np.all(np.diff(stream.time_s) > 0)
    reps = json.loads(out_json.read_text())["reps"]
    assert len(reps) == 2
    for rep in reps:
        assert isinstance(rep["flags"], list) and isinstance(rep["reasons"], list)


def test_live_session_from_a_thingy52(bluez, fast_links, tmp_path, capsys):
    acc_g, gyr_dps, slots = _pelvis(100.0)
    notes = thingy52_notifications(acc_g, gyr_dps)
    emu = bluez([thingy52_device(notifications=notes, slots=slots)])  # as from the factory: 10 Hz stored

    status, out, out_json = _live(THINGY_ADDRESS, tmp_path)
    printed = capsys.readouterr().out

    assert status == 0, printed
    sent = emu.sent(THINGY_ADDRESS, thingy52.RAW_UUID)
    assert sent == notes
    raw = np.array([struct.unpack("<9h", n) for n in sent], dtype=float)
    _check_session(read_recording(out), out_json, -raw[:, 0:3] / 1024.0, raw[:, 3:6] / 32.0)
    config_writes = [data for uuid, data, _ in emu.writes(THINGY_ADDRESS) if uuid == thingy52.CONFIG_UUID]
    assert config_writes == [struct.pack("<HHHHB", 1000, 500, 500, 100, 1)]
    assert f"--duration {DURATION_S:g} s reached" in printed and "thingy52" in printed
    assert not emu.connected(THINGY_ADDRESS)


def test_live_session_from_a_movesense(bluez, fast_links, tmp_path, capsys):
    acc_g, gyr_dps, slots = _pelvis(104.0)
    payloads = movesense_payloads(acc_g, gyr_dps, 104.0, slots=slots)
    emu = bluez([movesense_device(payloads=payloads, rate_hz=104.0)])
    assert len(payloads) < slots[-1] // 8  # some blocks lost a sample and are not sent

    status, out, out_json = _live(MOVESENSE_ADDRESS, tmp_path)  # auto: its rate nearest 100 Hz, 104
    printed = capsys.readouterr().out

    assert status == 0, printed
    sent = emu.sent(MOVESENSE_ADDRESS, movesense.NOTIFY_UUID)
    assert [n[0] for n in sent] == [2, 3] * len(payloads)  # every block split in two
    joined = [sent[i][2:] + sent[i + 1][2:] for i in range(0, len(sent), 2)]
    assert joined == [payloads[b] for b in sorted(payloads)]
    count = (len(joined[0]) - 4) // 24
    values = np.array([struct.unpack(f"<{6 * count}f", p[4:]) for p in joined]).reshape(-1, 2, count, 3)
    acc_mps2 = values[:, 0].reshape(-1, 3)
    gyr = values[:, 1].reshape(-1, 3)
    _check_session(read_recording(out), out_json, acc_mps2 / 9.80665, gyr)
    writes = [data for uuid, data, _ in emu.writes(MOVESENSE_ADDRESS) if uuid == movesense.COMMAND_UUID]
    assert writes == [b"\x01\x63/Meas/IMU6/104", b"\x02\x63"]  # subscribed, and unsubscribed at the end
    assert f"--duration {DURATION_S:g} s reached" in printed and "movesense" in printed
    assert "malformed notifications" not in printed
    assert f"{max(payloads) + 1 - len(payloads)} notifications lost" in printed  # from the time stamps
    assert not emu.connected(MOVESENSE_ADDRESS)


def test_a_rate_the_movesense_cannot_do_is_refused_in_one_sentence(bluez, fast_links, tmp_path, capsys):
    bluez([movesense_device()])
    status, out, _ = _live(MOVESENSE_ADDRESS, tmp_path, "--rate-hz", "100")  # asked for explicitly
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert "52, 104, 208 Hz, not 100 Hz" in err and "\n" not in err


def test_scan_labels_a_thingy_and_a_movesense(bluez, capsys):
    from imuhinge.ble.scan import scan

    bluez([thingy52_device(), movesense_device()])
    found = {d.address: d for d in asyncio.run(scan(0.6))}
    assert found[THINGY_ADDRESS].protocol == "thingy52" and found[THINGY_ADDRESS].name == "Thingy"
    assert found[MOVESENSE_ADDRESS].protocol == "movesense" and found[MOVESENSE_ADDRESS].name == MOVESENSE_NAME
    assert main(["scan", "--timeout", "0.6"]) == 0
    out = capsys.readouterr().out
    for text in (THINGY_ADDRESS, "thingy52", MOVESENSE_ADDRESS, "movesense", MOVESENSE_NAME):
        assert text in out


def test_emulated_sensors_answer_as_their_firmware_does(bluez):
    """The emulated devices themselves, driven with bleak: Thingy configuration checks and
    storage, Movesense HELLO, refused paths, subscribing and unsubscribing."""
    from bleak import BleakClient
    from bleak.exc import BleakError

    acc_g, gyr_dps = np.tile([[0.0, 0.0, 1.0]], (800, 1)), np.zeros((800, 3))
    emu = bluez([thingy52_device(notifications=thingy52_notifications(acc_g, gyr_dps), motion_freq_hz=100),
                 movesense_device(payloads=movesense_payloads(acc_g, gyr_dps, 104.0), rate_hz=104.0)])

    async def thingy():
        got = []
        async with BleakClient(THINGY_ADDRESS, timeout=5) as client:
            assert thingy52.decode_config(await client.read_gatt_char(thingy52.CONFIG_UUID)).motion_freq_hz == 100
            with pytest.raises(BleakError):
                await client.write_gatt_char(thingy52.CONFIG_UUID, b"\xe8\x03\xf4\x01\xf4\x01\x00\x00\x01")
            await client.start_notify(thingy52.RAW_UUID, lambda _c, d: got.append(bytes(d)))
            await asyncio.sleep(0.3)
            await client.write_gatt_char(thingy52.CONFIG_UUID, thingy52.configuration_command(50.0))
            assert await client.read_gatt_char(thingy52.CONFIG_UUID) == thingy52.configuration_command(50.0)
        return got

    async def gsp():
        got = []
        async with BleakClient(MOVESENSE_ADDRESS, timeout=5) as client:
            await client.start_notify(movesense.NOTIFY_UUID, lambda _c, d: got.append(bytes(d)))
            await client.write_gatt_char(movesense.COMMAND_UUID, movesense.hello_command(7), response=True)
            await client.write_gatt_char(movesense.COMMAND_UUID, movesense.subscribe_command("/Meas/IMU6/100"))
            await client.write_gatt_char(movesense.COMMAND_UUID, movesense.subscribe_command("/Meas/Temp"))
            await asyncio.sleep(0.3)
            answers = list(got)
            await client.write_gatt_char(movesense.COMMAND_UUID, movesense.start_commands(104.0)[0])
            await asyncio.sleep(0.4)
            await client.write_gatt_char(movesense.COMMAND_UUID, movesense.stop_commands()[0])
            streamed = len(got)
            await asyncio.sleep(0.3)
            return answers, got[len(answers):streamed], len(got) - streamed

    raw = asyncio.run(thingy())
    assert len(raw) >= 25 and raw == emu.sent(THINGY_ADDRESS, thingy52.RAW_UUID)
    answers, data, after_stop = asyncio.run(gsp())
    assert answers == [b"\x01\x07Hello"]  # the refused subscriptions get no answer from this firmware
    stream = movesense.MovesenseStream(104.0)
    assert sum(len(stream.feed(note)) for note in data) >= 24
    assert stream.stats.malformed_packets == 0 and stream.stats.lost_packets == 0
    assert after_stop == 0
