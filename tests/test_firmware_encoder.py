"""The firmware's C codec (``imuhinge_packet.c``) agrees byte for byte with the Python codec.

The reference firmware encodes every notification with
``firmware_protocols/imuhinge/firmware/imuhinge_xiao/imuhinge_packet.c``; the host decodes
with ``imuhinge.protocols.imuhinge_v1``. Both must mean the same bytes, so this module
compiles the C file on the host together with ``tests/firmware/encoder_harness.c`` (a
line-oriented front end) and feeds it the shared vectors, 10,000 random packets and every
control command, each batch through one process so the whole module stays fast.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from imuhinge.protocols import errors
from imuhinge.protocols import imuhinge_v1 as v1

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE = ROOT / "firmware_protocols" / "imuhinge" / "firmware" / "imuhinge_xiao"
C_SOURCE = FIRMWARE / "imuhinge_packet.c"
C_HEADER = FIRMWARE / "imuhinge_packet.h"
HARNESS_SOURCE = ROOT / "tests" / "firmware" / "encoder_harness.c"
VECTORS = json.loads((ROOT / "firmware_protocols" / "imuhinge" / "vectors.json").read_text())
CFLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic")
BUFFER = v1.HEADER_BYTES + v1.SAMPLE_BYTES * v1.MAX_SAMPLES

HEADER_TEXT = C_HEADER.read_text()
ERR = {m[1]: int(m[2]) for m in re.finditer(r"#define IMUHINGE_ERR_(\w+) \((-\d+)\)", HEADER_TEXT)}
"""The C error codes by name (``ERR["COUNT"] == -3``), read from the header itself."""

PYTHON_ERROR_OF = {
    ERR["TRUNCATED"]: errors.TruncatedPacketError,
    ERR["VERSION"]: errors.UnsupportedVersionError,
    ERR["COUNT"]: errors.MalformedPacketError,
    ERR["TRAILING"]: errors.MalformedPacketError,
    ERR["PERIOD"]: errors.MalformedPacketError,
    ERR["ACC_RANGE"]: errors.MalformedPacketError,
    ERR["GYR_RANGE"]: errors.MalformedPacketError,
}
"""Which Python exception each C decoder error corresponds to."""


class Harness:
    """The compiled harness: one process per batch of request lines, one answer per line."""

    def __init__(self, path: Path):
        self.path = path

    def run(self, requests: list[str]) -> list[str]:
        """The answers to ``requests``, in order; fails on a crash or a request it did not parse."""
        done = subprocess.run([str(self.path)], input="\n".join(requests) + "\n", capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        answers = done.stdout.splitlines()
        assert len(answers) == len(requests)
        bad = [(q, a) for q, a in zip(requests, answers) if a.startswith("bad")]
        assert not bad, f"the harness did not understand: {bad[:3]}"
        return answers

    def one(self, request: str) -> str:
        """The answer to a single request."""
        return self.run([request])[0]


def _compiler() -> str | None:
    """The C compiler to build with (gcc, else the system's cc), or None."""
    return shutil.which("gcc") or shutil.which("cc")


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Harness:
    """The harness built with the strict flags CI uses; skipped only without a C compiler."""
    compiler = _compiler()
    if compiler is None:
        pytest.skip("no C compiler (gcc or cc) on PATH, so the firmware's C encoder cannot be built")
    out = tmp_path_factory.mktemp("firmware") / "encoder_harness"
    build = subprocess.run(
        [compiler, *CFLAGS, "-I", str(FIRMWARE), str(HARNESS_SOURCE), str(C_SOURCE), "-o", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert build.returncode == 0, f"the firmware encoder does not build cleanly:\n{build.stderr}"
    return Harness(out)


# --- request and answer formatting ----------------------------------------------------

def _encode_request(verb: str, flags: int, sequence: int, time_us: int, period_us: int, acc: int, gyr: int,
                    samples, buffer: int = BUFFER) -> str:
    """A harness ``encode``/``lenient`` line for these header fields and (n, 6) samples."""
    rows = np.asarray(samples, dtype=np.int64).reshape(-1, 6)
    values = " ".join(map(str, rows.ravel().tolist()))
    return f"{verb} {buffer} {flags} {sequence} {time_us} {period_us} {acc} {gyr} {len(rows)} {values}".rstrip()


def _packet_request(verb: str, packet: v1.Packet, buffer: int = BUFFER) -> str:
    """A harness ``encode``/``lenient`` line for a Python ``Packet``."""
    return _encode_request(verb, packet.flags, packet.sequence, packet.device_time_us, packet.period_us,
                           packet.acc_range_g, packet.gyr_range_dps,
                           np.hstack([packet.acc_raw, packet.gyr_raw]), buffer)


def _fields(packet: v1.Packet) -> list[int]:
    """A packet as the harness's decode answer lists it: header fields, count, then samples."""
    samples = np.hstack([packet.acc_raw, packet.gyr_raw]).astype(np.int64).ravel().tolist()
    return [packet.flags, packet.sequence, packet.device_time_us, packet.period_us, packet.acc_range_g,
            packet.gyr_range_dps, packet.sample_count, *samples]


def _ok(answer: str) -> str:
    """The payload of an ``ok`` answer; fails with the answer itself otherwise."""
    assert answer.startswith("ok"), answer
    return answer[3:]


def _vector_packet(decoded: dict) -> v1.Packet:
    """The ``Packet`` a vector's ``decoded`` entry describes."""
    return v1.Packet(
        sequence=decoded["sequence"], device_time_us=decoded["device_time_us"], period_us=decoded["period_us"],
        acc_range_g=decoded["acc_range_g"], gyr_range_dps=decoded["gyr_range_dps"],
        acc_raw=np.array(decoded["acc_raw"], np.int16), gyr_raw=np.array(decoded["gyr_raw"], np.int16),
        flags=decoded["flags"],
    )


def _device_valid(packet: v1.Packet) -> int | None:
    """None if a device may send ``packet``, else the C error its strict encoder gives."""
    if not v1.MIN_PERIOD_US <= packet.period_us <= v1.MAX_PERIOD_US:
        return ERR["PERIOD"]
    if packet.acc_range_g not in v1.ACC_RANGES_G:
        return ERR["ACC_RANGE"]
    if packet.gyr_range_dps not in v1.GYR_RANGES_DPS:
        return ERR["GYR_RANGE"]
    if packet.flags & v1.RESERVED_FLAGS:
        return ERR["FLAGS"]
    return None


# --- the C header and the Python module name the same constants ----------------------

def _define(name: str) -> int:
    """The value of ``#define IMUHINGE_<name>`` in the C header."""
    match = re.search(rf"#define IMUHINGE_{name} (0x[0-9A-Fa-f]+|\d+)u\b", HEADER_TEXT)
    assert match, f"IMUHINGE_{name} is not a plain unsigned #define in {C_HEADER.name}"
    return int(match[1], 0)


def test_c_constants_match_the_python_module():
    pairs = {
        "VERSION": v1.VERSION, "HEADER_BYTES": v1.HEADER_BYTES, "SAMPLE_BYTES": v1.SAMPLE_BYTES,
        "MAX_SAMPLES": v1.MAX_SAMPLES, "FLAG_STREAM_START": v1.FLAG_STREAM_START,
        "FLAG_ACC_CLIPPED": v1.FLAG_ACC_CLIPPED, "FLAG_GYR_CLIPPED": v1.FLAG_GYR_CLIPPED,
        "FLAG_DEVICE_OVERRUN": v1.FLAG_DEVICE_OVERRUN, "FLAGS_RESERVED": v1.RESERVED_FLAGS,
        "MIN_PERIOD_US": v1.MIN_PERIOD_US, "MAX_PERIOD_US": v1.MAX_PERIOD_US,
        "OP_START": v1.OP_START, "OP_STOP": v1.OP_STOP, "OP_SET_PERIOD": v1.OP_SET_PERIOD,
        "OP_SET_ACC_RANGE": v1.OP_SET_ACC_RANGE, "OP_SET_GYR_RANGE": v1.OP_SET_GYR_RANGE,
        "RESPONSE_BIT": v1.RESPONSE_BIT, "STATUS_OK": v1.STATUS_OK,
        "STATUS_UNKNOWN_OPCODE": v1.STATUS_UNKNOWN_OPCODE, "STATUS_INVALID_PARAMETER": v1.STATUS_INVALID_PARAMETER,
        "STATUS_BUSY": v1.STATUS_BUSY, "STATUS_BAD_LENGTH": v1.STATUS_BAD_LENGTH,
    }
    assert {name: _define(name) for name in pairs} == pairs
    assert len(set(ERR.values())) == len(ERR) and all(code < 0 for code in ERR.values())


def test_c_uuids_are_the_protocol_uuids(harness):
    service, data, control = _ok(harness.one("uuids")).split()
    for wire_hex, text in ((service, v1.SERVICE_UUID), (data, v1.DATA_UUID), (control, v1.CONTROL_UUID)):
        assert bytes.fromhex(wire_hex)[::-1] == uuid.UUID(text).bytes


def test_header_compiles_as_cpp_for_the_sketch(tmp_path):
    """The sketch is C++ and includes the header: it must link against the C functions."""
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None:
        pytest.skip("no C++ compiler on PATH; the header's extern \"C\" block is checked only where one exists")
    unit = tmp_path / "sketch_like.cpp"
    unit.write_text('#include "imuhinge_packet.h"\n'
                    "int main() { return imuhinge_samples_per_notification(247) == 19 ? 0 : 1; }\n")
    obj_c = tmp_path / "imuhinge_packet.o"
    compiler = _compiler()
    if compiler is None:
        pytest.skip("no C compiler on PATH")
    steps = (
        [compiler, *CFLAGS, "-c", str(C_SOURCE), "-o", str(obj_c)],
        [cxx, "-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", str(FIRMWARE), str(unit),
         str(obj_c), "-o", str(tmp_path / "sketch_like")],
        [str(tmp_path / "sketch_like")],
    )
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr


# --- (a) shared vectors ----------------------------------------------------------------

def test_every_valid_vector_encodes_to_its_hex(harness):
    vectors = VECTORS["valid"]
    packets = [_vector_packet(v["decoded"]) for v in vectors]
    requests = [_packet_request("lenient", p) for p in packets]
    requests += [_packet_request("encode", p) for p in packets]
    requests += [f"decode {v['hex']}" for v in vectors]
    answers = harness.run(requests)
    n = len(vectors)
    rows = zip(vectors, packets, answers[:n], answers[n:2 * n], answers[2 * n:])
    for vector, packet, lenient, strict, decoded in rows:
        assert lenient == f"ok {vector['hex']}", vector["name"]
        refused = _device_valid(packet)
        assert strict == (f"ok {vector['hex']}" if refused is None else f"err {refused}"), vector["name"]
        assert list(map(int, _ok(decoded).split())) == _fields(packet), vector["name"]
    # the vectors include packets a device sends as they are, not only lenient ones
    assert sum(_device_valid(p) is None for p in packets) >= 5


@pytest.mark.parametrize("vector", VECTORS["malformed"], ids=lambda v: v["name"])
def test_malformed_vector_is_refused_by_c_as_by_python(harness, vector):
    answer = harness.one(f"decode {vector['hex'] or '-'}")
    assert answer.startswith("err "), answer
    assert PYTHON_ERROR_OF[int(answer.split()[1])] is getattr(errors, vector["error"])


# --- (b) 10,000 random packets, both directions ----------------------------------------

def _pick(rng: np.random.Generator, low: int, high: int, edges: tuple[int, ...], n: int) -> np.ndarray:
    """n integers in [low, high], a tenth of them drawn from the edge values."""
    values = rng.integers(low, high + 1, n, dtype=np.int64)
    at_edge = rng.random(n) < 0.1
    values[at_edge] = rng.choice(np.array(edges, dtype=np.int64), int(at_edge.sum()))
    return values


def _random_packets(rng: np.random.Generator, n: int, device: bool) -> list[v1.Packet]:
    """``n`` packets; ``device``: only what a device may send, else anything a host decodes."""
    counts = rng.integers(1, v1.MAX_SAMPLES + 1, n)
    rows = rng.integers(-32768, 32768, (int(counts.sum()), 6), dtype=np.int64)
    extreme = rng.random(rows.shape) < 0.05
    rows[extreme] = rng.choice(np.array([-32768, -32767, -1, 0, 1, 32766, 32767]), int(extreme.sum()))
    rows = rows.astype(np.int16)
    sequences = _pick(rng, 0, 0xFFFF, (0, 1, 0xFFFE, 0xFFFF), n)
    times = _pick(rng, 0, 0xFFFFFFFF, (0, 1, 0xFFFFFFFE, 0xFFFFFFFF), n)
    if device:
        periods = _pick(rng, v1.MIN_PERIOD_US, v1.MAX_PERIOD_US, (v1.MIN_PERIOD_US, v1.MAX_PERIOD_US), n)
        accs = rng.choice(np.array(v1.ACC_RANGES_G), n)
        gyrs = rng.choice(np.array(v1.GYR_RANGES_DPS), n)
        flags = rng.integers(0, 0x10, n)
    else:
        periods = _pick(rng, 1, 0xFFFF, (1, 0xFFFF), n)
        accs = _pick(rng, 1, 0xFF, (1, 0xFF), n)
        gyrs = _pick(rng, 1, 0xFFFF, (1, 0xFFFF), n)
        flags = rng.integers(0, 0x100, n)
    packets = []
    start = 0
    for i, count in enumerate(counts.tolist()):
        block = rows[start:start + count]
        start += count
        packets.append(v1.Packet(
            sequence=int(sequences[i]), device_time_us=int(times[i]), period_us=int(periods[i]),
            acc_range_g=int(accs[i]), gyr_range_dps=int(gyrs[i]),
            acc_raw=block[:, 0:3].copy(), gyr_raw=block[:, 3:6].copy(), flags=int(flags[i]),
        ))
    return packets


def _assert_same_packet(got: v1.Packet, want: v1.Packet) -> None:
    """Every header field and every sample of ``got`` equals ``want``'s."""
    for name in ("version", "flags", "sequence", "device_time_us", "period_us", "acc_range_g", "gyr_range_dps"):
        assert getattr(got, name) == getattr(want, name), name
    np.testing.assert_array_equal(got.acc_raw, want.acc_raw)
    np.testing.assert_array_equal(got.gyr_raw, want.gyr_raw)


def test_ten_thousand_random_packets_match_python_both_ways(harness):
    rng = np.random.default_rng(20240611)
    device = _random_packets(rng, 10_000, device=True)
    decodable = _random_packets(rng, 2_000, device=False)
    python_bytes = [v1.encode_packet(p) for p in device + decodable]
    requests = [_packet_request("encode", p) for p in device]
    requests += [_packet_request("lenient", p) for p in decodable]
    requests += [f"decode {b.hex()}" for b in python_bytes]
    requests += [f"clip {p.sample_count} " + " ".join(map(str, _fields(p)[7:])) for p in device]
    answers = harness.run(requests)

    packets = device + decodable
    n = len(packets)
    for packet, want, answer in zip(packets, python_bytes, answers[:n]):
        c_bytes = bytes.fromhex(_ok(answer))
        assert c_bytes == want, packet
        _assert_same_packet(v1.decode_packet(c_bytes), packet)          # C -> Python
    for packet, answer in zip(packets, answers[n:2 * n]):
        assert list(map(int, _ok(answer).split())) == _fields(packet)   # Python -> C
    for packet, answer in zip(device, answers[2 * n:]):
        acc_full = np.isin(packet.acc_raw, (-32768, 32767)).any()
        gyr_full = np.isin(packet.gyr_raw, (-32768, 32767)).any()
        want_flags = v1.FLAG_ACC_CLIPPED * bool(acc_full) | v1.FLAG_GYR_CLIPPED * bool(gyr_full)
        assert int(_ok(answer)) == want_flags
    # the sample did reach the edges it is meant to cover
    assert {p.sample_count for p in device} == set(range(1, v1.MAX_SAMPLES + 1))
    assert {0, 0xFFFF} <= {p.sequence for p in device}
    assert {0, 0xFFFFFFFF} <= {p.device_time_us for p in device}


# --- (c) invalid input ------------------------------------------------------------------

STILL = [0, 0, 2048, 0, 0, 0]


INVALID_PACKETS = [
    (_encode_request("encode", 0, 0, 0, 10000, 16, 2000, np.zeros((0, 6))), "COUNT"),
    (_encode_request("encode", 0, 0, 0, 10000, 16, 2000, [STILL] * 20), "COUNT"),
    (_encode_request("lenient", 0, 0, 0, 10000, 16, 2000, np.zeros((0, 6))), "COUNT"),
    (_encode_request("lenient", 0, 0, 0, 10000, 16, 2000, [STILL] * 20), "COUNT"),
    (_encode_request("encode", 0, 0, 0, 0, 16, 2000, [STILL]), "PERIOD"),
    (_encode_request("encode", 0, 0, 0, 2499, 16, 2000, [STILL]), "PERIOD"),
    (_encode_request("encode", 0, 0, 0, 40001, 16, 2000, [STILL]), "PERIOD"),
    (_encode_request("lenient", 0, 0, 0, 0, 16, 2000, [STILL]), "PERIOD"),
    (_encode_request("encode", 0, 0, 0, 10000, 0, 2000, [STILL]), "ACC_RANGE"),
    (_encode_request("encode", 0, 0, 0, 10000, 3, 2000, [STILL]), "ACC_RANGE"),
    (_encode_request("encode", 0, 0, 0, 10000, 32, 2000, [STILL]), "ACC_RANGE"),
    (_encode_request("lenient", 0, 0, 0, 10000, 0, 2000, [STILL]), "ACC_RANGE"),
    (_encode_request("encode", 0, 0, 0, 10000, 16, 0, [STILL]), "GYR_RANGE"),
    (_encode_request("encode", 0, 0, 0, 10000, 16, 245, [STILL]), "GYR_RANGE"),
    (_encode_request("encode", 0, 0, 0, 10000, 16, 4000, [STILL]), "GYR_RANGE"),
    (_encode_request("lenient", 0, 0, 0, 10000, 16, 0, [STILL]), "GYR_RANGE"),
    (_encode_request("encode", 0x10, 0, 0, 10000, 16, 2000, [STILL]), "FLAGS"),
    (_encode_request("encode", 0x80, 0, 0, 10000, 16, 2000, [STILL]), "FLAGS"),
    (_encode_request("encode", 0, 0, 0, 10000, 16, 2000, [STILL], buffer=25), "BUFFER"),
    (_encode_request("encode", 0, 0, 0, 10000, 16, 2000, [STILL] * 19, buffer=241), "BUFFER"),
    (_encode_request("lenient", 0, 0, 0, 10000, 16, 2000, [STILL], buffer=0), "BUFFER"),
]
"""(harness request, expected C error): every check of the strict and the lenient encoder."""


@pytest.mark.parametrize(
    ("request_line", "error"), INVALID_PACKETS,
    ids=[f"{line.split()[0]}-{error.lower()}-{i}" for i, (line, error) in enumerate(INVALID_PACKETS)],
)
def test_c_encoder_refuses_invalid_input(harness, request_line, error):
    assert harness.one(request_line) == f"err {ERR[error]}"


def test_c_encoder_fills_exactly_the_buffer_it_needs(harness):
    one = _encode_request("encode", 0, 0, 0, 10000, 16, 2000, [STILL], buffer=26)
    full = _encode_request("encode", 0, 0, 0, 10000, 16, 2000, [STILL] * 19, buffer=242)
    assert [len(bytes.fromhex(_ok(a))) for a in harness.run([one, full])] == [26, 242]


# --- (d) control commands and responses ---------------------------------------------------

def test_control_commands_are_identical_in_c_and_python(harness):
    cases = [(v1.OP_START, 0, v1.start_command()), (v1.OP_STOP, 0, v1.stop_command())]
    cases += [(v1.OP_SET_PERIOD, p, v1.set_period_command(p)) for p in (2500, 2501, 5000, 10000, 33333, 40000)]
    cases += [(v1.OP_SET_ACC_RANGE, g, v1.set_acc_range_command(g)) for g in v1.ACC_RANGES_G]
    cases += [(v1.OP_SET_GYR_RANGE, d, v1.set_gyr_range_command(d)) for d in v1.GYR_RANGES_DPS]
    requests = [f"command 3 {op} {value}" for op, value, _ in cases]
    requests += [f"parse {want.hex()}" for _, _, want in cases]
    answers = harness.run(requests)
    for (op, value, want), encoded, parsed in zip(cases, answers[:len(cases)], answers[len(cases):]):
        assert encoded == f"ok {want.hex()}"
        assert parsed == f"ok {v1.STATUS_OK} {op} {value}"
    # the examples PROTOCOL.md gives
    assert [_ok(a) for a in answers[:1]] == ["01"]
    examples = harness.run(["command 3 3 5000", "command 3 4 8", "command 3 5 500"])
    assert examples == ["ok 038813", "ok 0408", "ok 05f401"]


@pytest.mark.parametrize(
    ("op", "value", "python_call", "error"),
    [
        (v1.OP_SET_PERIOD, 2499, v1.set_period_command, "PERIOD"),
        (v1.OP_SET_PERIOD, 40001, v1.set_period_command, "PERIOD"),
        (v1.OP_SET_PERIOD, 0, v1.set_period_command, "PERIOD"),
        (v1.OP_SET_ACC_RANGE, 3, v1.set_acc_range_command, "ACC_RANGE"),
        (v1.OP_SET_ACC_RANGE, 0, v1.set_acc_range_command, "ACC_RANGE"),
        (v1.OP_SET_ACC_RANGE, 256, v1.set_acc_range_command, "ACC_RANGE"),
        (v1.OP_SET_GYR_RANGE, 245, v1.set_gyr_range_command, "GYR_RANGE"),
        (v1.OP_SET_GYR_RANGE, 4000, v1.set_gyr_range_command, "GYR_RANGE"),
    ],
)
def test_invalid_command_values_are_refused_by_both(harness, op, value, python_call, error):
    assert harness.one(f"command 3 {op} {value}") == f"err {ERR[error]}"
    with pytest.raises(ValueError):
        python_call(value)


def test_command_encoder_refuses_unknown_opcodes_and_small_buffers(harness):
    answers = harness.run(["command 3 0 0", "command 3 6 0", "command 3 128 0", "command 2 3 5000",
                           "command 0 1 0", "command 1 4 8"])
    assert answers == [f"err {ERR['OPCODE']}"] * 3 + [f"err {ERR['BUFFER']}"] * 3


def test_control_responses_are_identical_in_c_and_python(harness):
    pairs = [(op, status) for op in range(1, 6) for status in range(5)]
    requests = [f"respond 2 {op} {status}" for op, status in pairs]
    requests += [f"answer {bytes((0x80 | op, status)).hex()}" for op, status in pairs]
    answers = harness.run(requests)
    for (op, status), encoded, decoded in zip(pairs, answers[:len(pairs)], answers[len(pairs):]):
        data = bytes.fromhex(_ok(encoded))
        assert data == bytes((0x80 | op, status))
        answer = v1.decode_control_response(data)
        assert (answer.opcode, answer.status) == (op, status)
        assert decoded == f"ok {op} {status}"
    assert harness.one("respond 2 3 0") == "ok 8300"  # PROTOCOL.md's example answer


@pytest.mark.parametrize("hex_bytes", ["-", "83", "830000", "0300", "7f00"])
def test_malformed_responses_are_refused_by_both(harness, hex_bytes):
    data = b"" if hex_bytes == "-" else bytes.fromhex(hex_bytes)
    assert harness.one(f"answer {hex_bytes}") == f"err {ERR['RESPONSE']}"
    with pytest.raises(errors.MalformedPacketError):
        v1.decode_control_response(data)


def test_response_encoder_refuses_what_it_cannot_say(harness):
    answers = harness.run(["respond 2 128 0", "respond 2 3 5", "respond 1 3 0"])
    assert answers == [f"err {ERR['OPCODE']}", f"err {ERR['STATUS']}", f"err {ERR['BUFFER']}"]


STOPPED = (10000, 8, 1000, 0)
STREAMING = (10000, 8, 1000, 1)


@pytest.mark.parametrize(
    ("state", "write", "status", "after"),
    [
        (STOPPED, "01", v1.STATUS_OK, (10000, 8, 1000, 1)),
        (STREAMING, "01", v1.STATUS_OK, STREAMING),  # restart: the caller begins a new stream
        (STREAMING, "02", v1.STATUS_OK, STOPPED),
        (STOPPED, "02", v1.STATUS_OK, STOPPED),
        (STOPPED, "038813", v1.STATUS_OK, (5000, 8, 1000, 0)),
        (STOPPED, "03c409", v1.STATUS_OK, (2500, 8, 1000, 0)),
        (STOPPED, "03409c", v1.STATUS_OK, (40000, 8, 1000, 0)),
        (STOPPED, "03c309", v1.STATUS_INVALID_PARAMETER, STOPPED),
        (STOPPED, "03419c", v1.STATUS_INVALID_PARAMETER, STOPPED),
        (STOPPED, "030000", v1.STATUS_INVALID_PARAMETER, STOPPED),
        (STOPPED, "0402", v1.STATUS_OK, (10000, 2, 1000, 0)),
        (STOPPED, "0410", v1.STATUS_OK, (10000, 16, 1000, 0)),
        (STOPPED, "0403", v1.STATUS_INVALID_PARAMETER, STOPPED),
        (STOPPED, "057d00", v1.STATUS_OK, (10000, 8, 125, 0)),
        (STOPPED, "05d007", v1.STATUS_OK, (10000, 8, 2000, 0)),
        (STOPPED, "05f501", v1.STATUS_INVALID_PARAMETER, STOPPED),
        (STREAMING, "038813", v1.STATUS_BUSY, STREAMING),
        (STREAMING, "0404", v1.STATUS_BUSY, STREAMING),
        (STREAMING, "05f401", v1.STATUS_BUSY, STREAMING),
        (STREAMING, "0403", v1.STATUS_BUSY, STREAMING),       # busy is checked before the value
        (STREAMING, "0388", v1.STATUS_BAD_LENGTH, STREAMING),  # length is checked before busy
        (STOPPED, "0388", v1.STATUS_BAD_LENGTH, STOPPED),
        (STOPPED, "03881300", v1.STATUS_BAD_LENGTH, STOPPED),
        (STOPPED, "040800", v1.STATUS_BAD_LENGTH, STOPPED),
        (STOPPED, "05f4", v1.STATUS_BAD_LENGTH, STOPPED),
        (STOPPED, "0100", v1.STATUS_BAD_LENGTH, STOPPED),
        (STOPPED, "-", v1.STATUS_BAD_LENGTH, STOPPED),
        (STOPPED, "06", v1.STATUS_UNKNOWN_OPCODE, STOPPED),
        (STREAMING, "00ffff", v1.STATUS_UNKNOWN_OPCODE, STREAMING),  # opcode is checked first
    ],
)
def test_device_command_handling_follows_the_protocol(harness, state, write, status, after):
    answer = _ok(harness.one(f"handle {' '.join(map(str, state))} {write}")).split()
    opcode = 0 if write == "-" else bytes.fromhex(write)[0]
    assert [int(x) for x in answer[:5]] == [status, *after]
    response = bytes.fromhex(answer[5])
    assert response == bytes((0x80 | opcode, status))
    decoded = v1.decode_control_response(response)
    assert (decoded.opcode, decoded.status) == (opcode, status)
    if write != "-":  # the host never sends an empty write
        refusal = v1.check_control_response(bytes.fromhex(write), response)
        assert (refusal is None) == (status == v1.STATUS_OK)


# --- helpers the firmware uses ------------------------------------------------------------

def test_samples_per_notification_fits_the_mtu(harness):
    mtus = [0, 23, 28, 29, 40, 41, 100, 185, 244, 246, 247, 251, 517, 65535]
    answers = harness.run([f"mtu {m}" for m in mtus])
    for mtu, answer in zip(mtus, answers):
        n = int(_ok(answer))
        if mtu < 29:
            assert n == 0
        else:
            assert 1 <= n <= v1.MAX_SAMPLES
            assert v1.HEADER_BYTES + v1.SAMPLE_BYTES * n <= mtu - 3
            assert n == v1.MAX_SAMPLES or v1.HEADER_BYTES + v1.SAMPLE_BYTES * (n + 1) > mtu - 3
    assert int(_ok(answers[mtus.index(247)])) == 19


def _rescale(raw: int, num: int, den: int) -> int:
    """Python statement of ``imuhinge_rescale``: sensor limits stay limits, else round half away."""
    if den <= 0:
        return 0
    if raw in (-32768, 32767):
        return raw
    exact = Fraction(raw * num, den)
    magnitude = int(abs(exact) + Fraction(1, 2))
    return max(-32768, min(32767, magnitude if exact >= 0 else -magnitude))


def test_rescale_matches_its_statement(harness):
    rng = np.random.default_rng(7)
    cases = [(raw, 3584, 3125) for raw in (-32768, -32767, -28571, -28572, -1, 0, 1, 28571, 28572, 32766, 32767)]
    cases += [(raw, 15616, 15625) for raw in (-32768, -32767, -3, -1, 0, 1, 2, 32766, 32767)]
    cases += [(3, 1, 2), (-3, 1, 2), (5, 1, 2), (-5, 1, 2), (100, 7, 0), (100, 7, -3), (-32767, -1, 1)]
    raws = rng.integers(-32768, 32768, 500).tolist()
    nums = rng.integers(-100_000, 100_000, 500).tolist()
    dens = rng.integers(1, 100_000, 500).tolist()
    cases += list(zip(raws, nums, dens))
    answers = harness.run([f"rescale {r} {n} {d}" for r, n, d in cases])
    assert [int(_ok(a)) for a in answers] == [_rescale(*c) for c in cases]


def test_battery_percent_is_a_valid_battery_level(harness):
    millivolts = list(range(0, 5001, 5)) + [0xFFFFFFFF]
    levels = [int(_ok(a)) for a in harness.run([f"battery {mv}" for mv in millivolts])]
    assert all(v1.decode_battery_level(bytes((level,))) == level for level in levels)
    assert levels == sorted(levels)
    assert levels[millivolts.index(3300)] == 0 and levels[millivolts.index(4200)] == 100
    assert levels[-1] == 100
