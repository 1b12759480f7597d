"""The project's open sensor protocol, version 1: GATT layout, packet codec, stream.

Every byte is specified in ``firmware_protocols/imuhinge/PROTOCOL.md``; the byte vectors
in ``firmware_protocols/imuhinge/vectors.json`` pin this codec and the firmware's C
encoder to the same meaning. A data notification is a 14-byte header (version, flags,
sequence number, device time of the first sample in µs, sample period in µs, the
accelerometer and gyroscope full scales) and 1 to ``MAX_SAMPLES`` samples of six int16
values, all little-endian. Unlike WitMotion units the device has a sample clock, so
sample times come from it, and a sequence number reveals lost notifications.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from .errors import MalformedPacketError, ProtocolError, TruncatedPacketError, UnsupportedVersionError
from .descriptor import DEVICE_CLOCK, SensorProtocol
from .samples import SampleBlock

SERVICE_UUID = "c9040001-ca67-45ea-8fc8-abd4f3828215"
DATA_UUID = "c9040002-ca67-45ea-8fc8-abd4f3828215"
CONTROL_UUID = "c9040003-ca67-45ea-8fc8-abd4f3828215"
BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"

VERSION = 1
HEADER = struct.Struct("<BBHIHBHB")
HEADER_BYTES = HEADER.size
SAMPLE_BYTES = 12
MAX_SAMPLES = 19
"""19 samples fill 242 of the 244 bytes a notification carries at the largest ATT MTU (247)."""
RAW_FULL_SCALE = 32768.0
SEQUENCE_MODULUS = 1 << 16
DEVICE_TIME_MODULUS = 1 << 32

FLAG_STREAM_START = 0x01
"""First packet after a start command: sequence and device time begin afresh."""
FLAG_ACC_CLIPPED = 0x02
"""At least one accelerometer value in this packet reached the full scale."""
FLAG_GYR_CLIPPED = 0x04
"""At least one gyroscope value in this packet reached the full scale."""
FLAG_DEVICE_OVERRUN = 0x08
"""The device's buffer overflowed and dropped samples just before this packet."""
RESERVED_FLAGS = 0xF0

ACC_RANGES_G = (2, 4, 8, 16)
GYR_RANGES_DPS = (125, 250, 500, 1000, 2000)
MIN_PERIOD_US = 2500
MAX_PERIOD_US = 40000

OP_START = 0x01
OP_STOP = 0x02
OP_SET_PERIOD = 0x03
OP_SET_ACC_RANGE = 0x04
OP_SET_GYR_RANGE = 0x05
RESPONSE_BIT = 0x80
STATUS_OK = 0x00
STATUS_UNKNOWN_OPCODE = 0x01
STATUS_INVALID_PARAMETER = 0x02
STATUS_BUSY = 0x03
STATUS_BAD_LENGTH = 0x04


@dataclass(frozen=True, eq=False)
class Packet:
    """One data notification, values as on the wire.

    ``acc_raw`` and ``gyr_raw`` are (n, 3) int16 counts; physical values are
    ``raw / 32768 * acc_range_g`` (g) and ``raw / 32768 * gyr_range_dps`` (°/s).
    ``device_time_us`` is the device clock (µs, wraps at 2**32) at the first sample,
    the next samples follow every ``period_us``.
    """

    sequence: int
    device_time_us: int
    period_us: int
    acc_range_g: int
    gyr_range_dps: int
    acc_raw: np.ndarray
    gyr_raw: np.ndarray
    flags: int = 0
    version: int = VERSION

    @property
    def sample_count(self) -> int:
        return len(self.acc_raw)

    @property
    def acc_g(self) -> np.ndarray:
        return self.acc_raw.astype(np.float64) * (self.acc_range_g / RAW_FULL_SCALE)

    @property
    def gyr_dps(self) -> np.ndarray:
        return self.gyr_raw.astype(np.float64) * (self.gyr_range_dps / RAW_FULL_SCALE)


def decode_packet(data: bytes) -> Packet:
    """Decode one data notification; raise a ``ProtocolError`` subclass if it is not valid."""
    if len(data) < HEADER_BYTES:
        raise TruncatedPacketError(
            f"packet of {len(data)} bytes is shorter than the {HEADER_BYTES}-byte header"
        )
    version, flags, sequence, time_us, period_us, acc_range, gyr_range, count = HEADER.unpack_from(data)
    if version != VERSION:
        raise UnsupportedVersionError(f"protocol version {version} is not supported (expected {VERSION})")
    if count == 0 or count > MAX_SAMPLES:
        raise MalformedPacketError(f"sample count {count} is outside 1..{MAX_SAMPLES}")
    expected = HEADER_BYTES + count * SAMPLE_BYTES
    if len(data) < expected:
        raise TruncatedPacketError(
            f"packet of {len(data)} bytes is shorter than the {expected} its {count} samples need"
        )
    if len(data) > expected:
        raise MalformedPacketError(
            f"packet of {len(data)} bytes has {len(data) - expected} bytes after its {count} samples"
        )
    if period_us == 0:
        raise MalformedPacketError("sample period is 0 µs")
    if acc_range == 0 or gyr_range == 0:
        raise MalformedPacketError("a full scale of 0 cannot scale samples")
    samples = np.frombuffer(data, dtype="<i2", offset=HEADER_BYTES).reshape(count, 6).astype(np.int16)
    return Packet(
        sequence=sequence, device_time_us=time_us, period_us=period_us,
        acc_range_g=acc_range, gyr_range_dps=gyr_range,
        acc_raw=samples[:, 0:3].copy(), gyr_raw=samples[:, 3:6].copy(),
        flags=flags, version=version,
    )


def encode_packet(packet: Packet) -> bytes:
    """The wire bytes of ``packet`` (for tests and the emulated sensor); refuses invalid fields."""
    count = packet.sample_count
    if not 1 <= count <= MAX_SAMPLES:
        raise MalformedPacketError(f"sample count {count} is outside 1..{MAX_SAMPLES}")
    if np.shape(packet.acc_raw) != (count, 3) or np.shape(packet.gyr_raw) != (count, 3):
        raise MalformedPacketError("acc_raw and gyr_raw must both be (n, 3)")
    if packet.period_us == 0 or packet.acc_range_g == 0 or packet.gyr_range_dps == 0:
        raise MalformedPacketError("period and full scales must be positive")
    for name, value in (("acc_raw", packet.acc_raw), ("gyr_raw", packet.gyr_raw)):
        if np.any(np.asarray(value) < -32768) or np.any(np.asarray(value) > 32767):
            raise MalformedPacketError(f"{name} holds values outside int16")
    try:
        header = HEADER.pack(
            packet.version, packet.flags, packet.sequence, packet.device_time_us,
            packet.period_us, packet.acc_range_g, packet.gyr_range_dps, count,
        )
    except struct.error as exc:
        raise MalformedPacketError(f"a header field is out of range ({exc})") from None
    samples = np.hstack([packet.acc_raw, packet.gyr_raw]).astype("<i2")
    return header + samples.tobytes()


@dataclass(frozen=True)
class ControlResponse:
    """The device's answer on the control characteristic to the command ``opcode``."""

    opcode: int
    status: int

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK


def start_command() -> bytes:
    """Control write that starts streaming (the first packet carries ``FLAG_STREAM_START``)."""
    return bytes((OP_START,))


def stop_command() -> bytes:
    """Control write that stops streaming."""
    return bytes((OP_STOP,))


def set_period_command(period_us: int) -> bytes:
    """Control write that sets the sample period (µs, 2500..40000, i.e. 400..25 Hz)."""
    if not MIN_PERIOD_US <= period_us <= MAX_PERIOD_US:
        raise ValueError(f"period {period_us} µs is outside {MIN_PERIOD_US}..{MAX_PERIOD_US} µs")
    return struct.pack("<BH", OP_SET_PERIOD, period_us)


def set_acc_range_command(range_g: int) -> bytes:
    """Control write that sets the accelerometer full scale (g, one of ``ACC_RANGES_G``)."""
    if range_g not in ACC_RANGES_G:
        raise ValueError(f"accelerometer range {range_g} g is not one of {ACC_RANGES_G}")
    return struct.pack("<BB", OP_SET_ACC_RANGE, range_g)


def set_gyr_range_command(range_dps: int) -> bytes:
    """Control write that sets the gyroscope full scale (°/s, one of ``GYR_RANGES_DPS``)."""
    if range_dps not in GYR_RANGES_DPS:
        raise ValueError(f"gyroscope range {range_dps} °/s is not one of {GYR_RANGES_DPS}")
    return struct.pack("<BH", OP_SET_GYR_RANGE, range_dps)


def decode_control_response(data: bytes) -> ControlResponse:
    """Decode a control-characteristic notification ``[0x80 | opcode, status]``."""
    if len(data) != 2 or not data[0] & RESPONSE_BIT:
        raise MalformedPacketError(
            f"control response must be 2 bytes starting with 0x80|opcode, got {data.hex()}"
        )
    return ControlResponse(opcode=data[0] & ~RESPONSE_BIT & 0xFF, status=data[1])


def decode_battery_level(data: bytes) -> int:
    """Battery level in percent from the standard Battery Level characteristic (0x2A19)."""
    if len(data) != 1 or data[0] > 100:
        raise MalformedPacketError(f"battery level must be one byte 0..100, got {data.hex()}")
    return data[0]


@dataclass
class ImuhingeV1Stats:
    """What the stream has seen; lost and stale packets are inferred from sequence numbers."""

    packets: int = 0
    samples: int = 0
    lost_packets: int = 0
    malformed_packets: int = 0
    stale_packets: int = 0
    restarts: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class ImuhingeV1Stream:
    """Decodes notifications in order, counts losses and unwraps the device clock.

    Sample times are seconds of device time since the first sample of the stream. A
    packet whose sequence number is behind the last one (a duplicate, or reordering) is
    dropped; a jump ahead counts the packets in between as lost, across the u16 wrap.
    A packet flagged ``FLAG_STREAM_START``, or whose clock runs backwards, restarts the
    count; its time then continues from the last sample by the arrival interval when
    arrival times are given, else by one period. Bad packets are counted, never raised.
    """

    def __init__(self) -> None:
        self.stats = ImuhingeV1Stats()
        self._last_sequence: int | None = None
        self._last_raw_time_us = 0
        self._last_time_us = 0
        self._last_end_us = 0
        self._last_arrival_s: float | None = None

    def feed(self, data: bytes, arrival_s: float | None = None) -> SampleBlock:
        """Samples of one notification (empty if it was malformed or stale)."""
        try:
            packet = decode_packet(data)
        except ProtocolError as exc:
            self.stats.malformed_packets += 1
            kind = type(exc).__name__
            self.stats.errors[kind] = self.stats.errors.get(kind, 0) + 1
            return SampleBlock.empty()
        if not self._place(packet, arrival_s):
            return SampleBlock.empty()
        offsets_us = np.arange(packet.sample_count, dtype=np.int64) * packet.period_us
        time_s = (self._last_time_us + offsets_us) / 1e6
        self._last_end_us = self._last_time_us + int(offsets_us[-1])
        self._last_arrival_s = arrival_s
        self.stats.packets += 1
        self.stats.samples += packet.sample_count
        return SampleBlock(time_s=time_s, acc_g=packet.acc_g, gyr_dps=packet.gyr_dps)

    def _place(self, packet: Packet, arrival_s: float | None) -> bool:
        """Update sequence and clock state for ``packet``; False if it is to be dropped."""
        if self._last_sequence is None:
            self._start(packet, 0)
            return True
        expected = (self._last_sequence + 1) % SEQUENCE_MODULUS
        missing = (packet.sequence - expected) % SEQUENCE_MODULUS
        restart = bool(packet.flags & FLAG_STREAM_START)
        if not restart and missing >= SEQUENCE_MODULUS // 2:
            self.stats.stale_packets += 1
            return False
        time_step_us = (packet.device_time_us - self._last_raw_time_us) % DEVICE_TIME_MODULUS
        if restart or time_step_us >= DEVICE_TIME_MODULUS // 2:
            self.stats.restarts += 1
            if arrival_s is not None and self._last_arrival_s is not None:
                pause_us = max(round((arrival_s - self._last_arrival_s) * 1e6), packet.period_us)
            else:
                pause_us = packet.period_us
            self._start(packet, self._last_end_us + pause_us)
            return True
        self.stats.lost_packets += missing
        self._last_sequence = packet.sequence
        self._last_raw_time_us = packet.device_time_us
        self._last_time_us += time_step_us
        return True

    def _start(self, packet: Packet, time_us: int) -> None:
        self._last_sequence = packet.sequence
        self._last_raw_time_us = packet.device_time_us
        self._last_time_us = time_us


def start_commands(rate_hz: float) -> tuple[bytes, ...]:
    """Set the sample period for ``rate_hz`` (25 to 400 Hz), then start streaming."""
    period_us = round(1e6 / rate_hz)
    if not MIN_PERIOD_US <= period_us <= MAX_PERIOD_US:
        raise ValueError(
            f"imuhinge sensors stream at {1e6 / MAX_PERIOD_US:g} to {1e6 / MIN_PERIOD_US:g} Hz, not {rate_hz:g} Hz"
        )
    return (set_period_command(period_us), start_command())


def check_control_response(command: bytes, response: bytes) -> str | None:
    """None if ``response`` acknowledges ``command``, else what the sensor refused, in words."""
    try:
        answer = decode_control_response(response)
    except ProtocolError:
        return f"the sensor answered a command with {len(response)} unreadable bytes"
    if command and answer.opcode != command[0]:
        return f"the sensor answered command {command[0]:#04x} with a reply to {answer.opcode:#04x}"
    if answer.ok:
        return None
    reason = STATUS_WORDS.get(answer.status, f"status {answer.status:#04x}")
    return f"the sensor refused command {answer.opcode:#04x}: {reason}"


STATUS_WORDS = {
    STATUS_UNKNOWN_OPCODE: "it does not know the command",
    STATUS_INVALID_PARAMETER: "a parameter is out of range",
    STATUS_BUSY: "it is busy",
    STATUS_BAD_LENGTH: "the command has the wrong length",
}

PROTOCOL = SensorProtocol(
    name="imuhinge-v1",
    title="imuhinge open sensor (reference firmware), protocol v1",
    service_uuid=SERVICE_UUID,
    notify_uuid=DATA_UUID,
    command_uuid=CONTROL_UUID,
    start_commands=start_commands,
    stop_commands=lambda: (stop_command(),),
    new_stream=lambda _rate_hz: ImuhingeV1Stream(),
    clock=DEVICE_CLOCK,
)
