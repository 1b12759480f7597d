"""Polar PMD (H10, Verity Sense): byte vectors, an independent delta encoder, round trips,
robustness, sample timing, accelerometer/gyroscope pairing, commands and answers, and
recognition while scanning (also against the emulated BlueZ)."""

from __future__ import annotations

import asyncio
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from imuhinge.ble.recognise import POLAR_H10, POLAR_VERITY, recognise_protocol
from imuhinge.protocols import errors, polar_pmd as pmd
from imuhinge.protocols.registry import PROTOCOLS, pick_protocol

VECTOR_FILE = Path(__file__).resolve().parents[1] / "firmware_protocols" / "polar" / "vectors.json"
VECTORS = json.loads(VECTOR_FILE.read_text())
T0_NS = 599_616_123_456_789_000


# --- an encoder written apart from the module: bit strings, least significant bit first ---

def _bits_lsb_first(value: int, width: int) -> str:
    """``value`` as a two's-complement field, its least significant bit first."""
    field = value & ((1 << width) - 1)
    return "".join("1" if field >> i & 1 else "0" for i in range(width))


def _bytes_from_bits(bits: str) -> bytes:
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8][::-1], 2) for i in range(0, len(bits), 8))


def _delta_body(samples, blocks) -> bytes:
    """Reference sample (int16 LE) and the deltas in ``blocks`` of (width, count)."""
    samples = [list(map(int, s)) for s in samples]
    out = b"".join(struct.pack("<h", v) for v in samples[0])
    index = 1
    for width, count in blocks:
        bits = ""
        for k in range(index, index + count):
            bits += "".join(_bits_lsb_first(samples[k][c] - samples[k - 1][c], width) for c in range(len(samples[k])))
        out += bytes((width, count)) + _bytes_from_bits(bits)
        index += count
    assert index == len(samples), "blocks must cover every sample"
    return out


def _header(kind: int, timestamp_ns: int, frame_byte: int) -> bytes:
    return bytes((kind,)) + timestamp_ns.to_bytes(8, "little") + bytes((frame_byte,))


# --- vectors --------------------------------------------------------------------------

@pytest.mark.parametrize("vector", VECTORS["frames"], ids=lambda v: v["name"])
def test_frame_vector_decodes_exactly(vector):
    frame = pmd.decode_frame(bytes.fromhex(vector["hex"]))
    assert frame.measurement_type == vector["measurement_type"]
    assert frame.timestamp_ns == vector["timestamp_ns"]
    assert frame.frame_type == vector["frame_type"] and frame.compressed == vector["compressed"]
    assert frame.counts.tolist() == vector["counts"]
    # through a stream: the units the analysis gets
    stream = pmd.PolarPmdStream(100, gyroscope=False, acc_factor_mg=pmd.count_factor(pmd.ACC, 8),
                                gyr_factor_dps=pmd.count_factor(pmd.GYRO, 2000))
    if vector["measurement_type"] == pmd.ACC:
        block = stream.feed(bytes.fromhex(vector["hex"]))
        assert block.acc_g.tolist() == vector["values"]
        assert not np.any(block.gyr_dps)
    else:
        assert np.allclose(frame.counts * stream.gyr_factor_dps, vector["values"], rtol=0, atol=0)


@pytest.mark.parametrize("name, blocks", [
    ("sdk_gyro_delta_type0", [(3, 1)]),
    ("acc_delta_two_blocks", [(3, 2), (5, 1)]),
    ("gyro_delta_one_block", [(4, 2)]),
])
def test_delta_vectors_are_rebuilt_by_an_independent_encoder(name, blocks):
    vector = next(v for v in VECTORS["frames"] if v["name"] == name)
    frame_byte = vector["frame_type"] | 0x80
    header = _header(vector["measurement_type"], vector["timestamp_ns"], frame_byte)
    built = header + _delta_body(vector["counts"], blocks)
    assert built.hex() == vector["hex"]


def test_padding_bits_are_ignored():
    # the SDK's own frame sets a bit in the padding after its 18 delta bits (08, not 00)
    vector = next(v for v in VECTORS["frames"] if v["name"] == "sdk_acc_delta_type1")
    built = _header(2, vector["timestamp_ns"], 0x81) + _delta_body(vector["counts"], [(6, 1)])
    assert built.hex() == vector["hex"][:-2] + "00"
    assert pmd.decode_frame(built).counts.tolist() == vector["counts"]


def test_hand_derived_delta_vectors_are_what_the_module_encoder_writes():
    for name, block_samples in (("acc_delta_two_blocks", 2), ("gyro_delta_one_block", 255)):
        vector = next(v for v in VECTORS["frames"] if v["name"] == name)
        encoded = pmd.encode_frame(vector["measurement_type"], vector["timestamp_ns"], np.array(vector["counts"]),
                                   frame_type=vector["frame_type"], compressed=True, block_samples=block_samples)
        assert encoded.hex() == vector["hex"]
    for name in ("h10_acc_raw_type1", "acc_raw_type0", "acc_raw_type2", "sdk_acc_raw_type1"):
        vector = next(v for v in VECTORS["frames"] if v["name"] == name)
        encoded = pmd.encode_frame(vector["measurement_type"], vector["timestamp_ns"], np.array(vector["counts"]),
                                   frame_type=vector["frame_type"], compressed=False)
        assert encoded.hex() == vector["hex"]


def test_sdk_ten_bit_delta_body_decodes_to_the_sdk_walkthrough():
    vector = VECTORS["delta_bodies"][0]
    body = bytes.fromhex(vector["hex"])
    counts = pmd.decode_delta_samples(body, vector["channels"], vector["resolution_bits"])
    assert len(counts) == vector["sample_count"]
    assert counts[:2].tolist() == vector["first_counts"]
    # the independent encoder, at the block's 10 bits, gives the same bytes back
    assert _delta_body(counts.tolist(), [(10, vector["sample_count"] - 1)]) == body


@pytest.mark.parametrize("vector", VECTORS["invalid_frames"], ids=lambda v: v["name"])
def test_invalid_frame_vector_raises_its_named_error(vector):
    with pytest.raises(getattr(errors, vector["error"])):
        pmd.decode_frame(bytes.fromhex(vector["hex"]))


def test_commands_are_the_vector_bytes():
    c = VECTORS["commands_hex"]
    assert [x.hex() for x in pmd.H10.start_commands(100)] == [c["h10_start_acc_100hz_8g"]]
    assert [x.hex() for x in pmd.H10.start_commands(25)] == [c["h10_start_acc_25hz_8g"]]
    assert [x.hex() for x in pmd.H10.start_commands(200)] == [c["h10_start_acc_200hz_8g"]]
    assert [x.hex() for x in pmd.VERITY_SENSE.start_commands(104)] == [
        c["verity_sdk_mode_on"], c["verity_start_acc_104hz_8g"], c["verity_start_gyro_104hz_2000dps"]]
    assert [x.hex() for x in pmd.VERITY_SENSE.start_commands(52)] == [
        c["verity_start_acc_52hz_8g"], c["verity_start_gyro_52hz_2000dps"]]
    assert [x.hex() for x in pmd.H10.stop_commands()] == [c["stop_acc"]]
    assert [x.hex() for x in pmd.VERITY_SENSE.stop_commands()] == [
        c["stop_acc"], c["stop_gyro"], c["verity_sdk_mode_off"]]


@pytest.mark.parametrize("vector", VECTORS["responses"], ids=lambda v: v["name"])
def test_response_vector_decodes_and_is_judged(vector):
    answer = bytes.fromhex(vector["hex"])
    response = pmd.decode_control_point_response(answer)
    assert (response.op_code, response.measurement_type, response.status, response.more) == (
        vector["op_code"], vector["measurement_type"], vector["status"], vector["more"])
    assert response.parameters.hex() == vector["parameters_hex"]
    if "factor" in vector:
        assert pmd.response_factor(answer) == pytest.approx(vector["factor"], rel=1e-7)
    problem = pmd.check_response(bytes.fromhex(vector["command"]), answer)
    assert (problem is None) == vector["accepted"], problem
    if not vector["accepted"]:
        assert vector["says"] in problem and problem.startswith("the sensor") and "\n" not in problem


@pytest.mark.parametrize("vector", VECTORS["invalid_responses"], ids=lambda v: v["name"])
def test_invalid_response_vector_raises_and_is_refused_in_words(vector):
    with pytest.raises(getattr(errors, vector["error"])):
        pmd.decode_control_point_response(bytes.fromhex(vector["hex"]))
    problem = pmd.check_response(bytes.fromhex("0202"), bytes.fromhex(vector["hex"]))
    assert problem and "unreadable" in problem


def test_every_status_code_has_words():
    assert set(pmd.STATUS_WORDS) == set(range(1, 15))
    command = pmd.start_measurement_command(pmd.ACC, 100, 16, 8)
    for status in range(1, 16):
        problem = pmd.check_response(command, bytes((0xF0, 2, 2, status, 0)))
        assert problem and "accelerometer" in problem


def test_stream_vector_places_times_and_counts_losses():
    vector = VECTORS["stream"]
    stream = pmd.H10.new_stream(vector["rate_hz"])
    times = np.concatenate([stream.feed(bytes.fromhex(h)).time_s for h in vector["frames_hex"]])
    np.testing.assert_allclose(times, vector["time_s"], atol=1e-12)
    for name in ("lost_samples", "lost_packets", "stale_packets", "malformed_packets"):
        assert getattr(stream.stats, name) == vector[name], name


def test_vectors_cover_the_cases():
    assert {v["error"] for v in VECTORS["invalid_frames"]} == {
        "TruncatedPacketError", "MalformedPacketError", "UnsupportedVersionError"}
    kinds = {(v["measurement_type"], v["compressed"]) for v in VECTORS["frames"]}
    assert {(pmd.ACC, False), (pmd.ACC, True), (pmd.GYRO, True)} <= kinds


# --- round trips and robustness ---------------------------------------------------------

def test_random_round_trips_raw_and_delta():
    rng = np.random.default_rng(7)
    for _ in range(400):
        n = int(rng.integers(1, 80))
        spread = int(rng.choice([1, 30, 3000, 32767]))
        start = rng.integers(-32768 + spread, 32767 - spread, 3)
        counts = np.clip(start + np.cumsum(rng.integers(-spread, spread + 1, (n, 3)), axis=0), -32768, 32767)
        timestamp = int(rng.integers(0, 1 << 63))
        kind, frame_type = [(pmd.ACC, 1), (pmd.GYRO, 0)][int(rng.integers(2))]
        block = int(rng.integers(1, 256))
        data = pmd.encode_frame(kind, timestamp, counts, frame_type=frame_type, compressed=True, block_samples=block)
        frame = pmd.decode_frame(data)
        assert frame.timestamp_ns == timestamp and frame.measurement_type == kind
        np.testing.assert_array_equal(frame.counts, counts)
        raw = pmd.encode_frame(pmd.ACC, timestamp, counts, frame_type=1, compressed=False)
        np.testing.assert_array_equal(pmd.decode_frame(raw).counts, counts)


def test_independent_encoder_with_wider_fields_decodes_too():
    rng = np.random.default_rng(8)
    for _ in range(100):
        n = int(rng.integers(2, 40))
        counts = np.cumsum(rng.integers(-200, 201, (n, 3)), axis=0)
        needed = max(pmd.delta_width(np.diff(counts, axis=0)), 2)
        widths = rng.integers(needed, 33, 3)
        cuts = sorted(set(rng.integers(1, n, 2).tolist()))
        sizes = np.diff([1, *cuts, n]).tolist()
        blocks = [(int(w), int(s)) for w, s in zip(widths, sizes) if s]
        body = _delta_body(counts.tolist(), blocks)
        np.testing.assert_array_equal(pmd.decode_delta_samples(body, 3, 16), counts)


def test_bit_packing_matches_numpy_free_reference():
    rng = np.random.default_rng(9)
    for width in range(1, 33):
        values = rng.integers(-(1 << (width - 1)), 1 << (width - 1), 17)
        packed = pmd.pack_signed_bits(values, width)
        assert packed == _bytes_from_bits("".join(_bits_lsb_first(int(v), width) for v in values))
        np.testing.assert_array_equal(pmd.unpack_signed_bits(packed, width, len(values)), values)


def test_decoder_raises_only_protocol_errors_on_garbage():
    rng = np.random.default_rng(10)
    for _ in range(3000):
        data = rng.integers(0, 256, int(rng.integers(0, 120)), dtype=np.uint8).tobytes()
        if rng.random() < 0.7 and data:
            data = bytes([int(rng.choice([pmd.ACC, pmd.GYRO]))]) + data[1:]
        if rng.random() < 0.5 and len(data) > 9:
            data = data[:9] + bytes([int(rng.choice([0x01, 0x81, 0x80]))]) + data[10:]
        try:
            pmd.decode_frame(data)
        except errors.ProtocolError:
            pass


def test_every_cut_of_a_frame_is_truncated_or_a_prefix():
    counts = np.cumsum(np.random.default_rng(11).integers(-300, 300, (40, 3)), axis=0)
    for compressed, kind, frame_type in ((True, pmd.ACC, 1), (True, pmd.GYRO, 0), (False, pmd.ACC, 1)):
        data = pmd.encode_frame(kind, T0_NS, counts, frame_type=frame_type, compressed=compressed, block_samples=7)
        for cut in range(len(data)):
            try:
                frame = pmd.decode_frame(data[:cut])
            except errors.TruncatedPacketError:
                continue
            np.testing.assert_array_equal(frame.counts, counts[:len(frame.counts)])  # cut at a block boundary


def test_stream_counts_and_skips_bad_frames_without_raising():
    good = [pmd.encode_frame(pmd.ACC, T0_NS + k * 40_000_000, np.tile([[0, 0, 1000]], (4, 1)),
                             frame_type=1, compressed=False) for k in range(3)]
    ecg = _header(pmd.ECG, T0_NS, 0x00) + bytes(9)
    fed = [good[0], b"", b"\x02\x01", good[1][:-1], ecg, b"\x04" + good[1][1:], good[1],
           _header(pmd.ACC, T0_NS, 0x05) + bytes(6), good[2]]
    stream = pmd.H10.new_stream(100)
    blocks = [stream.feed(data, 0.0) for data in fed]
    assert sum(len(b) for b in blocks) == 12
    assert stream.stats.malformed_packets == 5
    assert stream.stats.ignored_frames == 1
    assert stream.stats.errors == {"TruncatedPacketError": 3, "MalformedPacketError": 1, "UnsupportedVersionError": 1}
    times = np.concatenate([b.time_s for b in blocks])
    np.testing.assert_allclose(times, np.arange(12) * 0.01, atol=1e-12)
    rng = np.random.default_rng(12)
    for _ in range(500):
        stream.feed(rng.integers(0, 256, int(rng.integers(0, 60)), dtype=np.uint8).tobytes())


# --- timing -------------------------------------------------------------------------------

def _acc_frame(timestamp_ns: int, n: int, z_mg: int = 1000) -> bytes:
    rows = np.tile([[0, 0, z_mg]], (n, 1))
    return pmd.encode_frame(pmd.ACC, timestamp_ns, rows, frame_type=1, compressed=False)


def test_last_sample_sits_at_the_timestamp_and_the_period_follows_the_frames():
    stream = pmd.H10.new_stream(50)  # first frame: 20 ms back from its timestamp
    first = stream.feed(_acc_frame(T0_NS, 5))
    np.testing.assert_allclose(first.time_s, np.arange(5) * 0.02, atol=1e-12)
    # the sensor's clock runs 1 % fast: 5 samples took 101 ms, so the period is 20.2 ms
    second = stream.feed(_acc_frame(T0_NS + 101_000_000, 5))
    np.testing.assert_allclose(second.time_s, 0.08 + np.arange(1, 6) * 0.0202, atol=1e-9)
    assert second.time_s[-1] == pytest.approx(0.08 + 0.101)


def test_a_clock_that_runs_backwards_restarts_after_the_last_sample():
    stream = pmd.H10.new_stream(100)
    stream.feed(_acc_frame(T0_NS, 4))
    stream.feed(_acc_frame(T0_NS + 40_000_000, 4))
    after = stream.feed(_acc_frame(1_000_000_000, 4))  # the H10 lost its time: back near 2000
    assert stream.stats.restarts == 1
    np.testing.assert_allclose(after.time_s, 0.07 + np.arange(1, 5) * 0.01, atol=1e-9)
    again = stream.feed(_acc_frame(1_040_000_000, 4))
    np.testing.assert_allclose(again.time_s, 0.11 + np.arange(1, 5) * 0.01, atol=1e-9)


def test_after_a_clock_reset_the_outage_keeps_its_length_from_the_arrival_times():
    stream = pmd.H10.new_stream(100)
    stream.feed(_acc_frame(T0_NS, 4), arrival_s=10.0)
    after = stream.feed(_acc_frame(5_000_000_000, 4), arrival_s=13.0)  # reconnected 3 s later, clock reset
    np.testing.assert_allclose(after.time_s, 0.03 + 3.0 - np.arange(3, -1, -1) * 0.01, atol=1e-9)


def test_timestamps_too_close_for_their_samples_do_not_set_the_period():
    stream = pmd.H10.new_stream(100)
    stream.feed(_acc_frame(T0_NS, 4))
    assert len(stream.feed(_acc_frame(T0_NS + 5_000, 4))) == 0  # 5 µs for 4 samples: overlaps, dropped
    assert stream.stats.stale_packets == 1
    later = stream.feed(_acc_frame(T0_NS + 80_000_000, 4))  # 80 ms after the last good frame
    np.testing.assert_allclose(later.time_s, 0.03 + np.arange(5, 9) * 0.01, atol=1e-9)
    assert stream.stats.lost_samples == 4


def test_a_repeated_frame_is_dropped_as_stale():
    stream = pmd.H10.new_stream(100)
    frame = _acc_frame(T0_NS, 4)
    assert len(stream.feed(frame)) == 4
    assert len(stream.feed(frame)) == 0
    assert stream.stats.stale_packets == 1


# --- pairing (Verity Sense) ------------------------------------------------------------------

RATE_HZ = 104
PERIOD_NS = 1e9 / RATE_HZ


def _frames(kind, counts, start_index, per_frame, lag_ns=0):
    out = []
    for s in range(0, len(counts), per_frame):
        rows = counts[s:s + per_frame]
        last = start_index + s + len(rows) - 1
        ts = T0_NS + round(last * PERIOD_NS) + lag_ns
        frame_type = 1 if kind == pmd.ACC else 0
        out.append((ts, pmd.encode_frame(kind, ts, rows, frame_type=frame_type, compressed=True)))
    return out


def _verity():
    return pmd.VERITY_SENSE.new_stream(100)


def test_gyroscope_is_interpolated_onto_accelerometer_times():
    n = 300
    index = np.arange(n)
    acc = np.stack([index % 50, -index % 70, 4096 + index % 9], axis=1)
    gyr = np.stack([10 * index, -5 * index, 3 * index], axis=1)  # linear in time: interpolation is exact
    lag_ns = 3_000_000  # the gyroscope samples 3 ms after the accelerometer
    notes = _frames(pmd.ACC, acc, 0, 36) + _frames(pmd.GYRO, gyr, 0, 27, lag_ns)
    stream = _verity()
    blocks = [stream.feed(data) for _, data in sorted(notes, key=lambda note: note[0])]
    time_s = np.concatenate([b.time_s for b in blocks])
    acc_g = np.concatenate([b.acc_g for b in blocks])
    gyr_dps = np.concatenate([b.gyr_dps for b in blocks])
    # the first accelerometer sample precedes every gyroscope sample: unpaired; the rest pair
    assert stream.stats.unpaired_samples == 1
    assert len(time_s) == n - 1
    assert np.all(np.diff(time_s) > 0)
    np.testing.assert_allclose(acc_g, acc[1:] * stream.acc_factor_mg / 1000, atol=1e-12)
    gyr_index = index[1:] - lag_ns / PERIOD_NS  # gyroscope index at each accelerometer time
    expected = np.stack([10 * gyr_index, -5 * gyr_index, 3 * gyr_index], axis=1) * stream.gyr_factor_dps
    np.testing.assert_allclose(gyr_dps, expected, atol=1e-3)


def test_coinciding_times_pair_exactly_whatever_arrives_first():
    n = 120
    acc = np.tile([[0, 0, 4096]], (n, 1))
    gyr = np.random.default_rng(13).integers(-3000, 3000, (n, 3))
    stream = _verity()
    notes = _frames(pmd.GYRO, gyr, 0, 40) + _frames(pmd.ACC, acc, 0, 30)
    blocks = [stream.feed(data) for _, data in notes]  # all gyroscope frames first
    gyr_dps = np.concatenate([b.gyr_dps for b in blocks])
    assert stream.stats.unpaired_samples == 0
    np.testing.assert_allclose(gyr_dps, gyr * stream.gyr_factor_dps, atol=1e-12)


def test_no_rate_is_made_up_across_a_gyroscope_gap():
    n = 200
    acc = np.tile([[0, 0, 4096]], (n, 1))
    gyr = np.tile([[100, 0, 0]], (n, 1))
    gyro_frames = _frames(pmd.GYRO, gyr, 0, 20)
    del gyro_frames[4:6]  # 40 gyroscope samples lost
    stream = _verity()
    notes = sorted(_frames(pmd.ACC, acc, 0, 25) + gyro_frames, key=lambda note: note[0])
    emitted = sum(len(stream.feed(data)) for _, data in notes)
    assert stream.stats.lost_samples == 40 and stream.stats.lost_packets == 2
    assert emitted == n - 40  # samples 80 to 119 lie between gyroscope samples 41 periods apart
    assert stream.stats.unpaired_samples == 40


def test_accelerometer_left_waiting_is_dropped_and_counted():
    stream = pmd.PolarPmdStream(RATE_HZ, gyroscope=True, max_wait_s=1.0)
    acc = np.tile([[0, 0, 4096]], (520, 1))  # 5 s of accelerometer, no gyroscope at all
    for _, data in _frames(pmd.ACC, acc, 0, 52):
        assert len(stream.feed(data)) == 0
    assert 300 < stream.stats.unpaired_samples < 520
    assert len(stream._acc_t) <= RATE_HZ + 52


def test_h10_stream_ignores_gyroscope_frames_and_emits_zero_rates():
    stream = pmd.H10.new_stream(100)
    gyro = _frames(pmd.GYRO, np.ones((10, 3), dtype=int), 0, 10)[0][1]
    assert len(stream.feed(gyro)) == 0 and stream.stats.ignored_frames == 1
    block = stream.feed(_acc_frame(T0_NS, 10))
    assert len(block) == 10 and not np.any(block.gyr_dps)


# --- rates, protocol descriptions, recognition ------------------------------------------------

def test_rates_pick_the_nearest_within_five_percent_or_refuse_in_a_sentence():
    assert pmd.VERITY_SENSE.device_rate(100) == 104
    assert pmd.VERITY_SENSE.device_rate(50) == 52
    assert pmd.VERITY_SENSE.device_rate(416) == 416
    assert pmd.H10.device_rate(100) == 100 and pmd.H10.device_rate(25) == 25
    for model, rate in ((pmd.VERITY_SENSE, 75), (pmd.VERITY_SENSE, 1000), (pmd.H10, 150), (pmd.H10, 60)):
        with pytest.raises(ValueError) as refused:
            model.start_commands(rate)
        assert str(refused.value).startswith(f"the {model.title} streams at ")
    assert PROTOCOLS["polar-h10"].supports_rate(200) and not PROTOCOLS["polar-h10"].supports_rate(400)
    assert PROTOCOLS["polar-verity"].supports_rate(208)


def test_protocol_descriptions():
    h10, verity = PROTOCOLS["polar-h10"], PROTOCOLS["polar-verity"]
    assert h10.gyroscope is False and verity.gyroscope is True
    for p in (h10, verity):
        assert p.service_uuid == pmd.SERVICE_UUID == "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
        assert p.command_uuid == "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
        assert p.notify_uuid == "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
        assert p.command_responses and p.check_response is pmd.check_response
        assert p.clock == "device"
    assert h10.rates_hz == (25.0, 50.0, 100.0, 200.0)
    assert verity.rates_hz == (26.0, 52.0, 104.0, 208.0, 416.0)
    names = list(PROTOCOLS)
    assert names.index("polar-h10") < names.index("polar-verity")


@pytest.mark.parametrize(("uuids", "name", "expected"), [
    ([], "Polar H10 1A2B3C4D", POLAR_H10),
    (["180d"], "Polar H10 1A2B3C4D", POLAR_H10),
    ([], "Polar Sense 0A1B2C3D", POLAR_VERITY),
    ([], "Polar Verity Sense 0A1B2C3D", POLAR_VERITY),
    ([pmd.SERVICE_UUID.upper()], "Polar Sense 0A1B2C3D", POLAR_VERITY),
    ([pmd.SERVICE_UUID], None, POLAR_H10),  # unknown PMD device: the accelerometer-only protocol
    ([pmd.SERVICE_UUID], "Polar OH1 12345678", POLAR_H10),
    (["180d"], "Polar OH1 12345678", None),
    (["180d"], "Polar H9 1234", None),
    ([], "my Polar H10", None),
])
def test_recognise_polar_devices(uuids, name, expected):
    assert recognise_protocol(uuids, name) == expected


def test_shared_service_is_told_apart_by_name_when_connected():
    offered = {pmd.SERVICE_UUID, "0000180d-0000-1000-8000-00805f9b34fb"}
    assert pick_protocol(offered, "Polar Sense 0A1B2C3D").name == POLAR_VERITY
    assert pick_protocol(offered, "Polar H10 1A2B3C4D").name == POLAR_H10
    assert pick_protocol(offered, "").name == POLAR_H10
    assert pick_protocol(offered, "Polar Sense 0A1B2C3D", wanted=["polar-h10"]).name == POLAR_H10


# --- the emulated sensors ---------------------------------------------------------------------

def test_emulated_control_point_answers_like_the_sensors():
    from bluez.polar_devices import polar_h10, verity_sense

    verity = verity_sense(None).state
    acc104, gyr104 = pmd.VERITY_SENSE.start_commands(104)[1:]
    assert verity.answer(acc104)[0] == bytes.fromhex("f002020800")  # 104 Hz needs the SDK mode
    assert verity.answer(pmd.SDK_MODE_ON)[0] == bytes.fromhex("f002090000")
    answer, play = verity.answer(acc104)
    assert pmd.check_response(acc104, answer) is None and not play
    answer, play = verity.answer(gyr104)
    assert pmd.check_response(gyr104, answer) is None and play  # both running: the stream starts
    assert pmd.response_factor(answer) == pmd.count_factor(pmd.GYRO, 2000)
    assert verity.answer(pmd.SDK_MODE_OFF)[0][3] == 12  # not while streaming
    h10 = polar_h10(None).state
    assert h10.answer(pmd.start_measurement_command(pmd.GYRO, 100, 16, 2000))[0][3] == 2
    answer, play = h10.answer(pmd.H10.start_commands(100)[0])
    assert answer == bytes.fromhex("f002020000") and play
    assert h10.answer(pmd.stop_measurement_command(pmd.ACC))[0][3] == 0
    assert h10.answer(pmd.stop_measurement_command(pmd.ACC))[0][3] == 6


def test_emulated_session_frames_decode_back_to_the_session():
    from bluez.polar_devices import polar_session

    session = polar_session(1000, rate_hz=52, duration_s=4.0, gyr_per_frame=20, block_samples=9)
    stream = pmd.VERITY_SENSE.new_stream(52)
    blocks = [stream.feed(data) for _, data in session.merged((pmd.ACC, pmd.GYRO))]
    acc_g = np.concatenate([b.acc_g for b in blocks])
    assert stream.stats.malformed_packets == 0 and len(acc_g) >= len(session.acc_counts) - 40
    np.testing.assert_allclose(acc_g, session.acc_g[1:1 + len(acc_g)], atol=1e-12)


def test_scan_labels_emulated_polar_sensors(bluez):
    from bluez.polar_devices import H10_ADDRESS, VERITY_ADDRESS, polar_h10, verity_sense
    from imuhinge.ble.scan import scan

    bluez([polar_h10().spec, verity_sense(advertise_pmd=True).spec])
    found = {d.address: d for d in asyncio.run(scan(0.6))}
    assert found[H10_ADDRESS].protocol == POLAR_H10 and found[H10_ADDRESS].name == "Polar H10 1A2B3C4D"
    assert found[VERITY_ADDRESS].protocol == POLAR_VERITY
