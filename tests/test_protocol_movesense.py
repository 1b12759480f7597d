"""Movesense GATT SensorData Protocol: the byte vectors decode exactly (rebuilt here with struct,
not the codec), split payloads are joined, random round trips agree, bad notifications are
counted and never raised, samples sit on the sensor's clock, and scans recognise a Movesense."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from imuhinge.ble.recognise import recognise_protocol
from imuhinge.protocols import errors, movesense as ms
from imuhinge.protocols.descriptor import DEVICE_CLOCK
from imuhinge.protocols.registry import PROTOCOLS, protocol_named

VECTORS_PATH = Path(__file__).resolve().parents[1] / "firmware_protocols" / "movesense" / "vectors.json"
VECTORS = json.loads(VECTORS_PATH.read_text())
G = 9.80665


def _stream_notes(name: str) -> list[bytes]:
    """The notifications of the stream vector called ``name``."""
    return [bytes.fromhex(h) for h in next(v for v in VECTORS["streams"] if v["name"] == name)["notifications_hex"]]


def _payload(timestamp_ms, acc, gyr) -> bytes:
    """An IMU6 payload built with struct alone: the layout as PROTOCOL.md states it."""
    return (struct.pack("<I", timestamp_ms) + b"".join(struct.pack("<3f", *v) for v in acc)
            + b"".join(struct.pack("<3f", *v) for v in gyr))


# --------------------------------------------------------------------------- vectors


def test_command_vectors():
    hexes = VECTORS["commands_hex"]
    assert ms.hello_command(99).hex() == hexes["hello_ref99"] == "0063"
    assert ms.unsubscribe_command(99).hex() == hexes["unsubscribe_ref99"] == "0263"
    for rate in (52, 104, 208):
        want = bytes((1, 99)) + f"/Meas/IMU6/{rate}".encode()
        assert want.hex() == hexes[f"subscribe_imu6_{rate}hz"]
        assert ms.start_commands(float(rate)) == (want,)
    assert ms.stop_commands() == (bytes.fromhex(hexes["unsubscribe_ref99"]),)


def test_commands_refuse_what_the_firmware_cannot_take():
    for rate in (13.0, 26.0, 50.0, 100.0, 416.0):
        with pytest.raises(ValueError, match=r"Movesense sensors stream IMU6 at 52, 104, 208 Hz"):
            ms.start_commands(rate)
    with pytest.raises(ValueError):
        ms.subscribe_command("/Meas/IMU6/104", reference=0)
    with pytest.raises(ValueError):
        ms.subscribe_command("/" + "x" * ms.MAX_PATH_BYTES)
    with pytest.raises(ValueError):
        ms.subscribe_command("/Meas/\x00")
    assert ms.PROTOCOL.supports_rate(104) and not ms.PROTOCOL.supports_rate(100)


@pytest.mark.parametrize("vector", VECTORS["notifications_valid"], ids=lambda v: v["name"])
def test_notification_vector_decodes(vector):
    note = ms.decode_notification(bytes.fromhex(vector["hex"]))
    got = (note.kind, note.reference, note.payload.hex())
    assert got == (vector["kind"], vector["reference"], vector["payload_hex"])
    if "status" in vector:
        assert ms.command_status(note.payload) == vector["status"]


@pytest.mark.parametrize("vector", VECTORS["notifications_malformed"], ids=lambda v: v["name"])
def test_notification_malformed_vector_raises_named_error(vector):
    with pytest.raises(getattr(errors, vector["error"])):
        ms.decode_notification(bytes.fromhex(vector["hex"]))


@pytest.mark.parametrize("vector", VECTORS["payloads_valid"], ids=lambda v: v["name"])
def test_payload_vector_decodes_exactly(vector):
    assert _payload(vector["timestamp_ms"], vector["acc_mps2"], vector["gyr_dps"]).hex() == vector["hex"]
    frame = ms.decode_imu6(bytes.fromhex(vector["hex"]))
    assert frame.timestamp_ms == vector["timestamp_ms"]
    assert frame.acc_mps2.tolist() == vector["acc_mps2"]
    assert frame.gyr_dps.tolist() == vector["gyr_dps"]
    np.testing.assert_allclose(frame.acc_g, np.array(vector["acc_mps2"]) / G, rtol=1e-15)
    assert ms.encode_imu6(frame.timestamp_ms, frame.acc_mps2, frame.gyr_dps).hex() == vector["hex"]


@pytest.mark.parametrize("vector", VECTORS["payloads_malformed"], ids=lambda v: v["name"])
def test_payload_malformed_vector_raises_named_error(vector):
    with pytest.raises(getattr(errors, vector["error"])):
        ms.decode_imu6(bytes.fromhex(vector["hex"]))


@pytest.mark.parametrize("vector", VECTORS["streams"], ids=lambda v: v["name"])
def test_stream_vector(vector):
    stream = ms.MovesenseStream(vector["rate_hz"])
    blocks = [stream.feed(bytes.fromhex(h)) for h in vector["notifications_hex"]]
    times = np.concatenate([b.time_s for b in blocks])
    assert stream.stats.samples == len(times) == vector["samples"]
    np.testing.assert_allclose(times, vector["time_s"], atol=1e-9)
    for name, want in vector["stats"].items():
        assert getattr(stream.stats, name) == want, name
    assert stream.stats.notifications == len(vector["notifications_hex"])


def test_the_vectors_cover_the_edge_cases():
    names = {v["name"] for v in VECTORS["streams"]}
    assert {"split_block", "three_parts", "orphan_part2", "lost_block", "clock_wrap", "clock_restart"} <= names
    split = next(v for v in VECTORS["streams"] if v["name"] == "split_block")
    assert [h[:2] for h in split["notifications_hex"]] == ["02", "03"]
    assert len(bytes.fromhex(split["notifications_hex"][0])) == 2 + ms.PART_BYTES


# --------------------------------------------------------------------------- round trips, robustness


def _random_block(rng, count, timestamp_ms):
    acc = rng.normal(0.0, 12.0, (count, 3)).astype(np.float32).astype(np.float64)
    gyr = rng.normal(0.0, 200.0, (count, 3)).astype(np.float32).astype(np.float64)
    return timestamp_ms, acc, gyr


def test_random_blocks_round_trip_through_split_notifications():
    rng = np.random.default_rng(6)
    for _ in range(300):
        count = int(rng.integers(1, 17))
        stamp, acc, gyr = _random_block(rng, count, int(rng.integers(0, 1 << 32)))
        payload = ms.encode_imu6(stamp, acc, gyr)
        assert payload == _payload(stamp, acc.tolist(), gyr.tolist())
        # split points where no part boundary falls on whole samples (see PROTOCOL.md)
        part_bytes = int(rng.choice([b for b in range(40, 200)
                                     if ms.TIMESTAMP_BYTES not in (b % ms.SAMPLE_BYTES, 2 * b % ms.SAMPLE_BYTES)]))
        if len(payload) > 3 * part_bytes:
            continue
        notes = ms.data_notifications(payload, reference=99, part_bytes=part_bytes)
        assert b"".join(n[2:] for n in notes) == payload
        stream = ms.MovesenseStream(104.0)
        blocks = [stream.feed(n) for n in notes]
        assert [len(b) for b in blocks[:-1]] == [0] * (len(notes) - 1)
        np.testing.assert_array_equal(blocks[-1].acc_g, acc / G)
        np.testing.assert_array_equal(blocks[-1].gyr_dps, gyr)
        assert stream.stats.malformed_packets == 0


def test_decoders_raise_only_protocol_errors_and_stream_never_raises():
    rng = np.random.default_rng(8)
    stream = ms.MovesenseStream(104.0)
    good = _stream_notes("split_block")
    for _ in range(3000):
        data = rng.integers(0, 256, int(rng.integers(0, 200)), dtype=np.uint8).tobytes()
        if rng.random() < 0.5 and data:
            data = bytes([int(rng.integers(1, 5)), 99]) + data[2:]
        for decode in (ms.decode_notification, ms.decode_imu6):
            try:
                decode(data)
            except errors.ProtocolError:
                pass
        stream.feed(data, None)
        if rng.random() < 0.05:
            for note in good:
                stream.feed(note)
    assert stream.stats.notifications > 3000
    assert set(stream.stats.errors) <= {"TruncatedPacketError", "MalformedPacketError"}
    assert np.isfinite(stream._last_end_s)


def test_truncated_parts_are_counted_and_the_next_block_decodes():
    notes = _stream_notes("split_block")
    stream = ms.MovesenseStream(104.0)
    fed = [notes[0], notes[1][:-5]]  # the end of DATA_PART2 is cut off: not whole samples
    assert sum(len(stream.feed(n)) for n in fed) == 0
    assert stream.stats.malformed_packets == 0  # a DATA_PART3 could still complete it
    assert sum(len(stream.feed(n)) for n in notes) == 8
    assert stream.stats.malformed_packets == 1  # the next block's DATA gave it up


# --------------------------------------------------------------------------- time placement


def _blocks(stamps_ms, count=8, rate=104.0, reference=99):
    rng = np.random.default_rng(1)
    return [ms.data_notifications(ms.encode_imu6(s, *_random_block(rng, count, 0)[1:]), reference) for s in stamps_ms]


def _feed_blocks(stream, blocks, arrivals=None):
    out = []
    for k, notes in enumerate(blocks):
        for note in notes:
            out.append(stream.feed(note, None if arrivals is None else arrivals[k]).time_s)
    return np.concatenate(out)


def test_first_sample_sits_at_the_time_stamp_and_the_rest_follow_at_the_rate():
    stamps = [7000 + round(k * 8000 / 104) for k in range(50)]
    stream = ms.MovesenseStream(104.0)
    times = _feed_blocks(stream, _blocks(stamps))
    firsts = times[::8]
    np.testing.assert_allclose(firsts, (np.array(stamps) - stamps[0]) / 1000.0, atol=1e-12)
    np.testing.assert_allclose(np.diff(times.reshape(50, 8), axis=1), 1 / 104, atol=1e-12)
    assert np.all(np.diff(times) > 0)
    assert stream.stats.lost_packets == 0 and stream.stats.frames == 50


def test_time_stamp_jumps_count_lost_blocks():
    kept = [0, 1, 2, 5, 6, 9]
    stamps = [round(k * 8000 / 104) for k in kept]
    stream = ms.MovesenseStream(104.0)
    times = _feed_blocks(stream, _blocks(stamps))
    assert stream.stats.lost_packets == 2 + 2
    np.testing.assert_allclose(times[::8], np.array(stamps) / 1000.0, atol=1e-12)


def test_jittery_stamps_stay_strictly_increasing():
    rng = np.random.default_rng(4)
    stamps = [1000 + round(k * 8000 / 104) + int(rng.integers(-12, 13)) for k in range(200)]
    stream = ms.MovesenseStream(104.0)
    times = _feed_blocks(stream, _blocks(stamps))
    assert np.all(np.diff(times) > 0)
    assert stream.stats.lost_packets == 0
    assert stream.stats.time_corrections > 0  # some blocks claimed to start before the last one ended


def test_a_restart_continues_after_the_last_sample_by_the_arrival_pause():
    stamps = [50_000, 50_077, 1_000, 1_077]
    arrivals = [10.0, 10.077, 12.5, 12.577]
    stream = ms.MovesenseStream(104.0)
    times = _feed_blocks(stream, _blocks(stamps), arrivals)
    assert stream.stats.restarts == 1
    last_before = times[15]
    assert times[16] == pytest.approx(last_before + (12.5 - 10.077))
    assert times[24] - times[16] == pytest.approx(0.077)


def test_the_clock_unwraps_over_several_wraps():
    step = 1 << 30
    stamps = [(k * step) % (1 << 32) for k in range(10)]
    stream = ms.MovesenseStream(104.0)
    times = _feed_blocks(stream, _blocks(stamps))
    np.testing.assert_allclose(times[::8], np.arange(10) * step / 1000.0)
    assert stream.stats.restarts == 0


def test_data_of_another_subscription_is_not_mixed_in():
    stream = ms.MovesenseStream(104.0)
    times = _feed_blocks(stream, _blocks([0, 77], reference=100))
    assert len(times) == 0 and stream.stats.other_references == 4
    assert len(_feed_blocks(stream, _blocks([0, 77]))) == 16


# --------------------------------------------------------------------------- description, recognition


def test_protocol_description():
    protocol = protocol_named("movesense")
    assert protocol is ms.PROTOCOL and "movesense" in PROTOCOLS
    assert protocol.clock == DEVICE_CLOCK and protocol.gyroscope and not protocol.command_responses
    assert protocol.service_uuid == "34802252-7185-4d5d-b431-630e7050e8f0"
    assert protocol.command_uuid == "34800001-7185-4d5d-b431-630e7050e8f0"
    assert protocol.notify_uuid == "34800002-7185-4d5d-b431-630e7050e8f0"
    assert protocol.rates_hz == (52.0, 104.0, 208.0)
    assert isinstance(protocol.new_stream(104.0), ms.MovesenseStream)


@pytest.mark.parametrize(("uuids", "name", "expected"), [
    ([ms.WHITEBOARD_SERVICE_UUID], "Movesense 223430000123", "movesense"),  # what a sensor advertises
    (["fdf3"], "Movesense 223430000123", "movesense"),
    ([], "movesense 1", "movesense"),
    ([ms.SERVICE_UUID], None, "movesense"),
    ([ms.SERVICE_UUID.upper()], "Thingy", "movesense"),
    ([ms.WHITEBOARD_SERVICE_UUID], "Kitchen scale", None),
    ([], "MovesenseX", None),
])
def test_scan_recognises_a_movesense(uuids, name, expected):
    assert recognise_protocol(uuids, name) == expected
