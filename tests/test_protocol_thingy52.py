"""Nordic Thingy:52: the byte vectors decode exactly (and are rebuilt here with struct, not the
codec), round trips agree, bad notifications are counted and never raised, samples are timed
by arrival, and scans recognise the Thingy from its advertisement."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from imuhinge.ble.recognise import recognise_protocol
from imuhinge.protocols import errors, thingy52
from imuhinge.protocols.descriptor import ARRIVAL_CLOCK
from imuhinge.protocols.registry import PROTOCOLS, protocol_named

VECTORS_PATH = Path(__file__).resolve().parents[1] / "firmware_protocols" / "thingy52" / "vectors.json"
VECTORS = json.loads(VECTORS_PATH.read_text())
CONFIG_FIELDS = ("step_interval_ms", "temperature_interval_ms", "compass_interval_ms", "motion_freq_hz",
                 "wake_on_motion")


# --------------------------------------------------------------------------- vectors


@pytest.mark.parametrize("vector", VECTORS["raw_valid"], ids=lambda v: v["name"])
def test_raw_vector_decodes_exactly(vector):
    raw = vector["raw"]
    assert struct.pack("<9h", *raw).hex() == vector["hex"]  # the vector itself, without the codec
    sample = thingy52.decode_raw(bytes.fromhex(vector["hex"]))
    assert sample.acc_g.tolist() == vector["acc_g"]
    assert sample.gyr_dps.tolist() == vector["gyr_dps"]
    assert sample.mag_ut.tolist() == vector["mag_ut"]
    assert vector["acc_g"] == [-r / 1024 + 0.0 for r in raw[0:3]]
    assert thingy52.encode_raw(tuple(raw[0:3]), tuple(raw[3:6]), tuple(raw[6:9])).hex() == vector["hex"]


@pytest.mark.parametrize("vector", VECTORS["raw_malformed"], ids=lambda v: v["name"])
def test_raw_malformed_vector_raises_named_error(vector):
    with pytest.raises(getattr(errors, vector["error"])):
        thingy52.decode_raw(bytes.fromhex(vector["hex"]))


@pytest.mark.parametrize("vector", VECTORS["config_valid"], ids=lambda v: v["name"])
def test_config_vector_round_trips(vector):
    fields = [vector["config"][name] for name in CONFIG_FIELDS]
    assert struct.pack("<HHHHB", *fields).hex() == vector["hex"]
    config = thingy52.decode_config(bytes.fromhex(vector["hex"]))
    assert config == thingy52.MotionConfig(**vector["config"])
    assert thingy52.encode_config(config).hex() == vector["hex"]


@pytest.mark.parametrize("vector", VECTORS["config_malformed"], ids=lambda v: v["name"])
def test_config_malformed_vector_is_refused_both_ways(vector):
    data = bytes.fromhex(vector["hex"])
    with pytest.raises(getattr(errors, vector["error"])):
        thingy52.decode_config(data)
    if len(data) == thingy52.CONFIG_BYTES:
        with pytest.raises(errors.MalformedPacketError):
            thingy52.encode_config(thingy52.MotionConfig(*struct.unpack("<HHHHB", data)))


def test_start_commands_match_the_vectors_and_refuse_other_rates():
    for rate in (50, 100, 200):
        assert thingy52.start_commands(float(rate)) == (bytes.fromhex(VECTORS["commands_hex"][f"rate_{rate}hz"]),)
    for rate in (10.0, 25.0, 40.0, 60.0, 104.0, 400.0):
        with pytest.raises(ValueError, match=r"Thingy:52 streams at 50, 100, 200 Hz"):
            thingy52.start_commands(rate)
    assert thingy52.PROTOCOL.supports_rate(100) and not thingy52.PROTOCOL.supports_rate(75)


def test_output_rates_follow_the_dmp_divider():
    for configured, real in VECTORS["output_rates_hz"].items():
        assert thingy52.output_rate_hz(int(configured)) == pytest.approx(real)
    for rate in thingy52.RATES_HZ:  # every offered rate comes out exactly as asked
        assert thingy52.output_rate_hz(int(rate)) == rate


def test_the_vectors_cover_the_edge_cases():
    assert len(VECTORS["raw_valid"]) + len(VECTORS["raw_malformed"]) >= 8
    assert {v["error"] for v in VECTORS["raw_malformed"]} == {"TruncatedPacketError", "MalformedPacketError"}
    assert any(v["name"] == "firmware_default" for v in VECTORS["config_valid"])


# --------------------------------------------------------------------------- round trips, robustness


def test_random_wire_values_round_trip():
    rng = np.random.default_rng(52)
    for _ in range(500):
        raw = rng.integers(-32768, 32768, 9)
        data = thingy52.encode_raw(tuple(raw[0:3]), tuple(raw[3:6]), tuple(raw[6:9]))
        assert data == struct.pack("<9h", *raw.tolist())
        sample = thingy52.decode_raw(data)
        np.testing.assert_array_equal(sample.acc_g, -raw[0:3] / 1024.0)
        np.testing.assert_array_equal(sample.gyr_dps, raw[3:6] / 32.0)
        np.testing.assert_array_equal(sample.mag_ut, raw[6:9] / 16.0)


def test_physical_values_survive_the_wire_within_one_count():
    rng = np.random.default_rng(7)
    acc_g = rng.uniform(-1.99, 1.99, (300, 3))
    gyr_dps = rng.uniform(-1000.0, 1000.0, (300, 3))
    acc_raw, gyr_raw = thingy52.raw_counts(acc_g, gyr_dps)
    for a, w, want_acc, want_gyr in zip(acc_raw, gyr_raw, acc_g, gyr_dps):
        sample = thingy52.decode_raw(thingy52.encode_raw(tuple(a), tuple(w)))
        np.testing.assert_allclose(sample.acc_g, want_acc, atol=0.5 / 1024 + 1e-12)
        np.testing.assert_allclose(sample.gyr_dps, want_gyr, atol=0.5 / 32 + 1e-12)


def test_sensor_and_wire_limits_clip_as_the_firmware_does():
    acc_raw, gyr_raw = thingy52.raw_counts(np.array([[3.0, -5.0, 0.0]]), np.array([[1500.0, -2000.0, 0.0]]))
    assert acc_raw.tolist() == [[-2048, 2048, 0]]  # ±2 g sensor range, sent negated
    assert gyr_raw.tolist() == [[1023 * 32, -32768, 0]]
    with pytest.raises(errors.MalformedPacketError):
        thingy52.encode_raw((40000, 0, 0), (0, 0, 0))


def test_decoder_raises_only_protocol_errors_and_stream_never_raises():
    rng = np.random.default_rng(3)
    stream = thingy52.Thingy52Stream(100.0)
    fed = good = 0
    for i in range(3000):
        data = rng.integers(0, 256, int(rng.integers(0, 40)), dtype=np.uint8).tobytes()
        try:
            thingy52.decode_raw(data)
        except errors.ProtocolError:
            pass
        block = stream.feed(data, i * 0.01)
        fed += 1
        good += len(data) == thingy52.RAW_BYTES
        assert len(block) == (len(data) == thingy52.RAW_BYTES)
    assert stream.stats.notifications == fed
    assert stream.stats.samples == good
    assert stream.stats.malformed_packets == fed - good
    assert set(stream.stats.errors) <= {"TruncatedPacketError", "MalformedPacketError"}


def test_stream_counts_and_skips_bad_notifications_between_good_ones():
    good = bytes.fromhex(VECTORS["raw_valid"][0]["hex"])
    stream = thingy52.Thingy52Stream(100.0)
    fed = [good, b"", good[:17], good + b"\x00", good * 2, good]
    blocks = [stream.feed(data, 0.01 * i) for i, data in enumerate(fed)]
    assert [len(b) for b in blocks] == [1, 0, 0, 0, 0, 1]
    assert stream.stats.malformed_packets == 4
    assert stream.stats.errors == {"TruncatedPacketError": 2, "MalformedPacketError": 2}
    np.testing.assert_array_equal(blocks[-1].acc_g, [[0.0, 0.0, 1.0]])


# --------------------------------------------------------------------------- time placement


def _feed(stream, arrivals_s):
    good = bytes.fromhex(VECTORS["raw_valid"][1]["hex"])
    return np.concatenate([stream.feed(good, t).time_s for t in arrivals_s])


def test_samples_arriving_on_time_are_timed_at_arrival():
    arrivals = 100.0 + np.arange(500) / 100.0
    times = _feed(thingy52.Thingy52Stream(100.0), arrivals)
    np.testing.assert_allclose(times, arrivals, atol=1e-9)


def test_late_notifications_are_placed_back_on_the_sample_grid():
    rng = np.random.default_rng(11)
    true_s = 5.0 + np.arange(1000) / 100.0
    # connection events every 30 ms: each sample arrives at the next event, plus jitter
    arrivals = np.ceil(true_s / 0.03) * 0.03 + rng.uniform(0.0, 0.004, true_s.size)
    arrivals = np.maximum.accumulate(arrivals)
    times = _feed(thingy52.Thingy52Stream(100.0), arrivals)
    assert np.all(np.diff(times) > 0)
    step = np.median(np.diff(times[100:]))
    assert step == pytest.approx(0.01, rel=0.02)
    assert np.max(np.abs((times - times[0]) - (true_s - true_s[0]))) < 0.02


def test_a_pause_restarts_the_grid_at_the_next_arrival():
    arrivals = np.concatenate([np.arange(50) / 100.0, 2.0 + np.arange(50) / 100.0])
    times = _feed(thingy52.Thingy52Stream(100.0), arrivals)
    assert times[50] == pytest.approx(2.0)
    assert np.all(np.diff(times) > 0)


# --------------------------------------------------------------------------- description, recognition


def test_protocol_description():
    protocol = protocol_named("thingy52")
    assert protocol is thingy52.PROTOCOL and "thingy52" in PROTOCOLS
    assert protocol.clock == ARRIVAL_CLOCK and protocol.gyroscope
    for uuid in (protocol.service_uuid, protocol.notify_uuid, protocol.command_uuid):
        assert uuid == uuid.lower() and len(uuid) == 36
    assert protocol.service_uuid == "ef680400-9b35-4933-9b10-52ffa9740042"
    assert protocol.notify_uuid == "ef680406-9b35-4933-9b10-52ffa9740042"
    assert protocol.command_uuid == "ef680401-9b35-4933-9b10-52ffa9740042"
    assert protocol.stop_commands() == ()
    assert isinstance(protocol.new_stream(100.0), thingy52.Thingy52Stream)


@pytest.mark.parametrize(("uuids", "name", "expected"), [
    ([thingy52.CONFIGURATION_SERVICE_UUID], "Thingy", "thingy52"),   # what a factory Thingy advertises
    (["EF680100-9B35-4933-9B10-52FFA9740042"], "thingy", "thingy52"),
    ([], "Thingy", "thingy52"),
    ([thingy52.SERVICE_UUID], None, "thingy52"),                       # the motion service decides alone
    ([thingy52.SERVICE_UUID], "WT901BLE67", "thingy52"),
    ([thingy52.CONFIGURATION_SERVICE_UUID], "Bench rig", "thingy52"),  # renamed: its advertised service tells
    ([], "MyThingy", None),
    ([], "Thingy:91", None),
    ([], "Thingy:53", None),
    ([], "Thingy-bench", "thingy52"),
])
def test_scan_recognises_a_thingy(uuids, name, expected):
    assert recognise_protocol(uuids, name) == expected
