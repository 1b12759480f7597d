"""Wire protocols: the byte vectors decode exactly, streams survive anything a link delivers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from imuhinge.protocols import errors, imuhinge_v1 as v1, witmotion as wit
from imuhinge.protocols.arrival_clock import smooth_sample_times

PROTOCOLS = Path(__file__).resolve().parents[1] / "firmware_protocols"
V1_VECTORS = json.loads((PROTOCOLS / "imuhinge" / "vectors.json").read_text())
WIT_VECTORS = json.loads((PROTOCOLS / "witmotion" / "vectors.json").read_text())


# --- imuhinge v1: vectors ------------------------------------------------------------

@pytest.mark.parametrize("vector", V1_VECTORS["valid"], ids=lambda v: v["name"])
def test_v1_vector_decodes_exactly(vector):
    packet = v1.decode_packet(bytes.fromhex(vector["hex"]))
    want = vector["decoded"]
    got = {
        "version": packet.version, "flags": packet.flags, "sequence": packet.sequence,
        "device_time_us": packet.device_time_us, "period_us": packet.period_us,
        "acc_range_g": packet.acc_range_g, "gyr_range_dps": packet.gyr_range_dps,
        "sample_count": packet.sample_count,
    }
    assert got == {k: want[k] for k in got}
    assert packet.acc_raw.tolist() == want["acc_raw"]
    assert packet.gyr_raw.tolist() == want["gyr_raw"]
    assert packet.acc_g.tolist() == want["acc_g"]
    assert packet.gyr_dps.tolist() == want["gyr_dps"]
    assert v1.encode_packet(packet).hex() == vector["hex"]


@pytest.mark.parametrize("vector", V1_VECTORS["malformed"], ids=lambda v: v["name"])
def test_v1_malformed_vector_raises_named_error(vector):
    expected = getattr(errors, vector["error"])
    with pytest.raises(expected):
        v1.decode_packet(bytes.fromhex(vector["hex"]))


def test_v1_vectors_cover_the_edge_cases():
    counts = {v["decoded"]["sample_count"] for v in V1_VECTORS["valid"]}
    assert {1, v1.MAX_SAMPLES} <= counts
    assert len(V1_VECTORS["valid"]) + len(V1_VECTORS["malformed"]) >= 12


def test_v1_stream_vector_counts_loss_and_unwraps_time():
    vector = V1_VECTORS["stream"]
    stream = v1.ImuhingeV1Stream()
    times = np.concatenate([stream.feed(bytes.fromhex(h)).time_s for h in vector["packets_hex"]])
    assert stream.stats.lost_packets == vector["lost_packets"]
    np.testing.assert_allclose(times, vector["time_s"], atol=1e-12)


# --- imuhinge v1: round trips and robustness ----------------------------------------

def _random_packet(rng: np.random.Generator) -> v1.Packet:
    count = int(rng.integers(1, v1.MAX_SAMPLES + 1))
    return v1.Packet(
        sequence=int(rng.integers(0, 1 << 16)),
        device_time_us=int(rng.integers(0, 1 << 32)),
        period_us=int(rng.integers(1, 1 << 16)),
        acc_range_g=int(rng.integers(1, 256)),
        gyr_range_dps=int(rng.integers(1, 1 << 16)),
        acc_raw=rng.integers(-32768, 32768, (count, 3)).astype(np.int16),
        gyr_raw=rng.integers(-32768, 32768, (count, 3)).astype(np.int16),
        flags=int(rng.integers(0, 256)),
    )


def test_v1_random_round_trips_agree():
    rng = np.random.default_rng(1)
    for _ in range(500):
        packet = _random_packet(rng)
        back = v1.decode_packet(v1.encode_packet(packet))
        for name in ("version", "flags", "sequence", "device_time_us", "period_us", "acc_range_g", "gyr_range_dps"):
            assert getattr(back, name) == getattr(packet, name)
        np.testing.assert_array_equal(back.acc_raw, packet.acc_raw)
        np.testing.assert_array_equal(back.gyr_raw, packet.gyr_raw)


def test_v1_decoder_raises_only_protocol_errors_on_garbage():
    rng = np.random.default_rng(2)
    valid = v1.encode_packet(_random_packet(rng))
    for _ in range(2000):
        data = rng.integers(0, 256, int(rng.integers(0, 260)), dtype=np.uint8).tobytes()
        if rng.random() < 0.5:
            data = bytes([1]) + data[1:]
        try:
            v1.decode_packet(data)
        except errors.ProtocolError:
            pass
    for cut in range(len(valid)):
        with pytest.raises(errors.TruncatedPacketError):
            v1.decode_packet(valid[:cut])


def test_v1_encoder_refuses_unsendable_packets():
    still = np.zeros((1, 3), np.int16)
    with pytest.raises(errors.MalformedPacketError):
        v1.encode_packet(v1.Packet(1 << 16, 0, 10000, 16, 2000, still, still))
    with pytest.raises(errors.MalformedPacketError):
        v1.encode_packet(v1.Packet(0, 0, 10000, 16, 2000, np.zeros((20, 3)), np.zeros((20, 3))))


def _packets(sequences, period_us=10000, count=2, start_us=0, flags_first=v1.FLAG_STREAM_START):
    """Consecutive packets with the given sequence numbers; device time follows the sequence."""
    out = []
    first = sequences[0]
    for n, seq in enumerate(sequences):
        steps = (seq - first) % (1 << 16)
        time_us = (start_us + steps * count * period_us) % (1 << 32)
        raw = np.tile(np.array([[0, 0, 2048]], np.int16), (count, 1))
        out.append(v1.encode_packet(v1.Packet(seq, time_us, period_us, 16, 2000, raw, raw * 0,
                                              flags=flags_first if n == 0 else 0)))
    return out


def test_v1_stream_counts_lost_packets_across_the_sequence_wrap():
    sequences = [65530, 65531, 65534, 65535, 0, 3, 4, 10]
    stream = v1.ImuhingeV1Stream()
    blocks = [stream.feed(p) for p in _packets(sequences, start_us=(1 << 32) - 70_000)]
    assert stream.stats.lost_packets == 2 + 2 + 5
    assert stream.stats.packets == len(sequences)
    times = np.concatenate([b.time_s for b in blocks])
    assert np.all(np.diff(times) > 0)
    # each packet's first sample sits where its sequence number says, despite the clock wrap
    firsts = [b.time_s[0] for b in blocks]
    steps = [(s - sequences[0]) % (1 << 16) for s in sequences]
    np.testing.assert_allclose(firsts, np.array(steps) * 0.02, atol=1e-9)


def test_v1_stream_drops_duplicates_and_counts_garbage_without_raising():
    packets = _packets([5, 6, 7], flags_first=0)
    stream = v1.ImuhingeV1Stream()
    fed = [packets[0], packets[1], packets[1], b"\x01\x02", b"", packets[1][:-3], b"\x07" * 40, packets[0], packets[2]]
    total = sum(len(stream.feed(p)) for p in fed)
    assert total == 6
    assert stream.stats.stale_packets == 2
    assert stream.stats.malformed_packets == 4
    assert stream.stats.lost_packets == 0


def test_v1_stream_unwraps_device_time_over_several_wraps():
    step_us = 1 << 30
    raw = np.zeros((1, 3), np.int16)
    stream = v1.ImuhingeV1Stream()
    times = [stream.feed(v1.encode_packet(v1.Packet(k, (k * step_us + 123) % (1 << 32), 10000, 16, 2000, raw, raw))).time_s[0]
             for k in range(10)]
    np.testing.assert_allclose(times, np.arange(10) * step_us / 1e6)


def test_v1_stream_restart_continues_time_forward():
    stream = v1.ImuhingeV1Stream()
    first = [stream.feed(p, arrival_s=0.02 * k) for k, p in enumerate(_packets([100, 101], start_us=9_000_000))]
    again = [stream.feed(p, arrival_s=5.0 + 0.02 * k) for k, p in enumerate(_packets([0, 1]))]
    assert stream.stats.restarts == 1
    assert stream.stats.lost_packets == 0
    assert again[0].time_s[0] > first[-1].time_s[-1] + 4.9


def test_v1_control_and_battery():
    assert v1.start_command() == b"\x01" and v1.stop_command() == b"\x02"
    assert v1.set_period_command(5000) == bytes.fromhex("038813")
    assert v1.set_acc_range_command(8) == bytes.fromhex("0408")
    assert v1.set_gyr_range_command(500) == bytes.fromhex("05f401")
    with pytest.raises(ValueError):
        v1.set_period_command(100)
    response = v1.decode_control_response(bytes.fromhex("8300"))
    assert response.opcode == v1.OP_SET_PERIOD and response.ok
    with pytest.raises(errors.MalformedPacketError):
        v1.decode_control_response(b"\x03\x00")
    assert v1.decode_battery_level(b"\x57") == 87
    with pytest.raises(errors.MalformedPacketError):
        v1.decode_battery_level(b"\x65")


# --- WitMotion -----------------------------------------------------------------------

@pytest.mark.parametrize("vector", WIT_VECTORS["frames"], ids=lambda v: v["name"])
def test_witmotion_frame_vector_decodes_exactly(vector):
    acc_g, gyr_dps, angle_deg = wit.decode_frames(bytes.fromhex(vector["hex"]))
    assert acc_g[0].tolist() == vector["acc_g"]
    assert gyr_dps[0].tolist() == vector["gyr_dps"]
    assert angle_deg[0].tolist() == vector["angle_deg"]


@pytest.mark.parametrize("vector", WIT_VECTORS["streams"], ids=lambda v: v["name"])
def test_witmotion_stream_vector(vector):
    stream = wit.WitMotionStream(rate_hz=100)
    total = sum(len(stream.feed(bytes.fromhex(h), 0.01 * k)) for k, h in enumerate(vector["notifications_hex"]))
    assert total == vector["frames"] == stream.stats.frames
    assert stream.stats.skipped_bytes == vector["skipped_bytes"]
    assert stream.stats.register_frames == vector["register_frames"]


def test_witmotion_commands_match_vectors():
    commands = WIT_VECTORS["commands_hex"]
    assert wit.UNLOCK_COMMAND.hex() == commands["unlock"]
    assert wit.SAVE_COMMAND.hex() == commands["save"]
    assert wit.rate_command(100).hex() == commands["rate_100hz"]
    assert wit.rate_command(200).hex() == commands["rate_200hz"]
    assert wit.configuration_commands(50) == (wit.UNLOCK_COMMAND, bytes.fromhex(commands["rate_50hz"]), wit.SAVE_COMMAND)
    assert wit.COMMAND_SPACING_S == pytest.approx(0.1)
    with pytest.raises(ValueError):
        wit.rate_command(30)
    assert wit.WRITE_UUID.endswith("805f9a34fb")


def _frames(n: int, seed: int = 3) -> tuple[bytes, np.ndarray]:
    rng = np.random.default_rng(seed)
    raw = rng.integers(-32768, 32768, (n, 9))
    return b"".join(wit.encode_frame(r[0:3], r[3:6], r[6:9]) for r in raw), raw


def _decode_all(chunks: list[bytes]) -> tuple[np.ndarray, wit.WitMotionStream]:
    stream = wit.WitMotionStream(rate_hz=100)
    blocks = [stream.feed(c, 0.01 * k) for k, c in enumerate(chunks)]
    return np.vstack([np.hstack([b.acc_g, b.gyr_dps, b.angle_deg]) for b in blocks]), stream


def test_witmotion_split_at_every_byte_position_decodes_identically():
    data, raw = _frames(3)
    expected, _ = _decode_all([data])
    scale = np.repeat([16.0, 2000.0, 180.0], 3) / 32768
    np.testing.assert_array_equal(expected, raw * scale)
    for cut in range(1, len(data)):
        got, stream = _decode_all([data[:cut], data[cut:]])
        np.testing.assert_array_equal(got, expected)
        assert stream.stats.skipped_bytes == 0
    for cut_a in range(1, len(data), 3):
        for cut_b in range(cut_a + 1, len(data), 7):
            got, _ = _decode_all([data[:cut_a], data[cut_a:cut_b], data[cut_b:]])
            np.testing.assert_array_equal(got, expected)


def test_witmotion_packed_and_byte_by_byte_decode_identically():
    data, _ = _frames(12)
    whole, _ = _decode_all([data])
    per_frame, _ = _decode_all([data[k:k + 20] for k in range(0, len(data), 20)])
    per_byte, _ = _decode_all([data[k:k + 1] for k in range(len(data))])
    packed, _ = _decode_all([data[k:k + 60] for k in range(0, len(data), 60)])
    for got in (per_frame, per_byte, packed):
        np.testing.assert_array_equal(got, whole)


def test_witmotion_garbage_is_counted_and_skipped_never_raised():
    data, _ = _frames(4)
    garbage = bytes([0x00, 0xFF, 0x12, 0x55, 0x00, 0x55, 0x52])
    stream = wit.WitMotionStream(rate_hz=100)
    got = [stream.feed(garbage + data[:20], 0.0), stream.feed(b"\x13\x37" + data[20:], 0.05)]
    assert sum(map(len, got)) == 4
    assert stream.stats.skipped_bytes == len(garbage) + 2
    rng = np.random.default_rng(4)
    fuzz = wit.WitMotionStream(rate_hz=200)
    for k in range(2000):
        chunk = rng.integers(0, 256, int(rng.integers(0, 40)), dtype=np.uint8).tobytes()
        block = fuzz.feed(chunk, 0.005 * k)
        assert np.all(np.isfinite(block.acc_g))
    assert fuzz.stats.skipped_bytes > 0


def test_witmotion_truncated_frame_then_new_frames_recovers():
    data, _ = _frames(3)
    stream = wit.WitMotionStream(rate_hz=100)
    stream.feed(b"\x01\x02\x03", 0.0)
    blocks = [stream.feed(data, 0.03)]
    assert len(blocks[0]) == 3


# --- arrival clock -------------------------------------------------------------------

def _batched_arrivals(n: int, period_s: float, seed: int, max_batch: int = 4):
    """True sample times on a grid and BLE-like arrivals: batches of 1..max_batch frames
    sent after the last one is sampled, with 2..25 ms latency."""
    rng = np.random.default_rng(seed)
    true_s = 1.0 + np.arange(n) * period_s
    sizes = rng.integers(1, max_batch + 1, n)
    ends = np.minimum(np.cumsum(sizes), n)
    ends = np.unique(ends)
    arrival_s = np.empty(n)
    start, previous_s = 0, -np.inf
    for end in ends:
        previous_s = max(true_s[end - 1] + rng.uniform(0.002, 0.025), previous_s + 0.0005)
        arrival_s[start:end] = previous_s
        start = end
    return true_s, arrival_s, ends


def test_smoothed_times_follow_the_true_grid_under_batching():
    period_s = 0.01
    true_s, arrival_s, _ = _batched_arrivals(3000, period_s, seed=5)
    time_s, _ = smooth_sample_times(arrival_s, period_s)
    assert np.all(np.diff(time_s) >= 0.5 * period_s - 1e-12)
    error_s = time_s - true_s
    assert np.all(error_s >= -1e-9)
    assert np.median(error_s[50:]) < 0.006
    assert np.percentile(error_s[50:], 99) < 0.015
    raw_error_s = arrival_s - true_s
    assert np.std(np.diff(time_s)) < 0.3 * np.std(np.diff(arrival_s))
    assert np.median(error_s[50:]) < np.median(raw_error_s[50:])


def test_smoothing_per_notification_equals_smoothing_all_at_once():
    period_s = 0.005
    _, arrival_s, ends = _batched_arrivals(800, period_s, seed=6)
    arrival_s[400:] += 1.0
    whole_s, _ = smooth_sample_times(arrival_s, period_s)
    state, parts = None, []
    for start, end in zip(np.concatenate(([0], ends[:-1])), ends):
        part, state = smooth_sample_times(arrival_s[start:end], period_s, state)
        parts.append(part)
    np.testing.assert_allclose(np.concatenate(parts), whole_s, atol=1e-12)


def test_smoothing_restarts_after_a_pause_and_tracks_a_slow_clock():
    period_s = 0.01
    slow_s = 1.0 + np.arange(2000) * period_s * 1.005
    arrival_s = slow_s + 0.004
    arrival_s[1000:] += 2.0
    time_s, _ = smooth_sample_times(arrival_s, period_s)
    np.testing.assert_allclose(time_s, arrival_s, atol=period_s)
    assert time_s[1000] - time_s[999] > 1.9


def test_witmotion_feed_many_gives_exactly_what_feeding_one_by_one_gives():
    rng = np.random.default_rng(7)
    frames = [wit.encode_frame(*(tuple(int(v) for v in rng.integers(-32768, 32767, 3)) for _ in range(3)))
              for _ in range(60)]
    notes = []
    t_s = 0.0
    for k, frame in enumerate(frames):  # single frames, packed pairs, split frames and garbage
        t_s += float(rng.uniform(0.0, 0.02))
        if k % 7 == 3:
            notes += [(frame[:9], t_s), (b"\x00\x55" + frame[9:], t_s + 0.001)]
        else:
            notes.append((frame, t_s))
    one_by_one, together = wit.WitMotionStream(100.0), wit.WitMotionStream(100.0)
    blocks = [one_by_one.feed(data, arrival) for data, arrival in notes]
    batched = [together.feed_many(notes[:25]), together.feed_many(notes[25:])]
    for name in ("time_s", "acc_g", "gyr_dps", "angle_deg"):
        expected = np.concatenate([getattr(b, name) for b in blocks])
        np.testing.assert_allclose(np.concatenate([getattr(b, name) for b in batched]), expected,
                                   rtol=0, atol=1e-12, err_msg=name)  # times: the same up to rounding
    assert together.stats == one_by_one.stats


def _lossy_arrivals(n: int, period_s: float, seed: int, loss: float = 0.02, max_burst: int = 40):
    """True times of the frames that got through (bursts of 1..max_burst lost, ``loss`` of
    all) and their arrivals 2..25 ms later."""
    rng = np.random.default_rng(seed)
    true_s = 1.0 + np.arange(n) * period_s
    keep = np.ones(n, dtype=bool)
    while (~keep).sum() < loss * n:
        burst = int(rng.integers(1, max_burst + 1))
        start = int(rng.integers(100, n - burst))
        keep[start:start + burst] = False
    kept_s = true_s[keep]
    return kept_s, np.maximum.accumulate(kept_s + rng.uniform(0.002, 0.025, len(kept_s)))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_lost_frames_move_the_grid_instead_of_shrinking_the_timeline(seed):
    period_s = 0.005  # 200 Hz, 2% lost in bursts of up to 0.2 s: arrival pauses below gap_s
    true_s, arrival_s = _lossy_arrivals(6000, period_s, seed)
    error_s = np.abs(smooth_sample_times(arrival_s, period_s)[0] - true_s)
    assert np.median(error_s) < 0.008
    assert np.mean(error_s > 0.02) < 0.08  # only frames inside a loss's detection window
    counted_s = np.abs(smooth_sample_times(arrival_s, period_s, loss_window_s=np.inf)[0] - true_s)
    assert np.median(counted_s) > 0.05  # what counting frames alone does: everything shifts
