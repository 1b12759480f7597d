"""Polar sensors through the Polar Measurement Data (PMD) service: Polar H10 and Verity Sense.

Both sensors offer one GATT service (``SERVICE_UUID``) with a control point
(``CONTROL_POINT_UUID``: write, indicate) and a data characteristic (``DATA_UUID``:
notify). A write ``02 <type> <settings>`` starts a measurement, ``03 <type>`` stops it, and
the control point answers each write with ``F0 <op> <type> <status> <more> <parameters>``.
The data characteristic then notifies frames: a 10-byte header (measurement type, 64-bit
timestamp in ns since 2000-01-01 of the frame's last sample, frame-type byte whose top bit
marks a delta-compressed frame) followed by samples, either plain little-endian integers
or a reference sample and bit-packed signed deltas. Every byte is specified, with the
Polar BLE SDK source each one comes from, in ``firmware_protocols/polar/PROTOCOL.md``;
``firmware_protocols/polar/vectors.json`` pins this codec to it.

- Polar H10: accelerometer only (25, 50, 100, 200 Hz, range 8 g); the H10 sends raw frames
  of int16 milli-g. Its samples carry zero angular rate and ``gyroscope=False``.
- Polar Verity Sense: accelerometer and gyroscope, as delta-compressed frames whose counts
  are scaled by a factor. In its normal mode it streams at 52 Hz only; the other rates
  (26, 104, 208, 416 Hz) need its "SDK mode", which the start commands switch on first.

Sample times come from the frame timestamps (the device clock), as the SDK places them:
the last sample of a frame sits at the frame's timestamp and the others one sample period
apart, the period being the time since the previous frame of that measurement divided by
the samples in this frame (the configured rate for a first frame, or after a gap).
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field

import numpy as np

from .descriptor import DEVICE_CLOCK, SensorProtocol
from .errors import MalformedPacketError, ProtocolError, TruncatedPacketError, UnsupportedVersionError
from .samples import SampleBlock

SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CONTROL_POINT_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

# --- measurement types (PmdMeasurementType) -------------------------------------------

ECG = 0x00
PPG = 0x01
ACC = 0x02
PPI = 0x03
GYRO = 0x05
MAGNETOMETER = 0x06
SDK_MODE = 0x09
MEASUREMENT_NAMES = {
    0x00: "ECG", 0x01: "PPG", 0x02: "accelerometer", 0x03: "PP interval", 0x05: "gyroscope",
    0x06: "magnetometer", 0x07: "skin temperature", 0x09: "SDK mode", 0x0A: "location",
    0x0B: "pressure", 0x0C: "temperature", 0x0D: "offline recording", 0x0E: "offline HR",
    0x0F: "offline temperature",
}
"""Every measurement type the SDK knows; a data frame with another one is malformed."""
MEASUREMENT_TYPE_MASK = 0x3F
"""The low six bits of a frame's first byte are the measurement type (the SDK masks the rest)."""

# --- control point ----------------------------------------------------------------------

OP_GET_MEASUREMENT_SETTINGS = 0x01
OP_START_MEASUREMENT = 0x02
OP_STOP_MEASUREMENT = 0x03
RESPONSE_CODE = 0xF0
"""First byte of every control-point answer to a command."""
MEASUREMENT_STOPPED = 0x01
"""First byte of a notification the sensor sends on its own when it stops a stream."""

SETTING_SAMPLE_RATE = 0x00
SETTING_RESOLUTION = 0x01
SETTING_RANGE = 0x02
SETTING_RANGE_MILLIUNIT = 0x03
SETTING_CHANNELS = 0x04
SETTING_FACTOR = 0x05
SETTING_FIELD_BYTES = {
    SETTING_SAMPLE_RATE: 2, SETTING_RESOLUTION: 2, SETTING_RANGE: 2,
    SETTING_RANGE_MILLIUNIT: 4, SETTING_CHANNELS: 1, SETTING_FACTOR: 4,
}

STATUS_SUCCESS = 0
STATUS_ALREADY_IN_STATE = 6
STATUS_WORDS = {
    1: "it does not know the operation (invalid op code)",
    2: "it does not offer that measurement (invalid measurement type)",
    3: "it does not support that request (not supported)",
    4: "the command has the wrong length (invalid length)",
    5: "a setting is not valid (invalid parameter)",
    6: "it is already in that state (already in state)",
    7: "it cannot use that resolution (invalid resolution)",
    8: "it cannot use that sample rate (invalid sample rate)",
    9: "it cannot use that range (invalid range)",
    10: "the Bluetooth packet size is too small for it (invalid MTU)",
    11: "it cannot use that number of channels (invalid number of channels)",
    12: "it is busy with something that prevents it, such as a running measurement (invalid state)",
    13: "it is on its charger; take it off the charger (device in charger)",
    14: "its memory is full (disk full)",
}
"""Control-point status codes (PmdControlPointResponseCode) in words; 0 is success."""

# --- data frames ------------------------------------------------------------------------

HEADER = struct.Struct("<BQB")
HEADER_BYTES = HEADER.size
COMPRESSED_BIT = 0x80
FRAME_TYPE_MASK = 0x7F
MAX_DELTA_BITS = 32
"""The SDK assembles each delta in a 32-bit integer; a wider field cannot be a delta."""
EPOCH_2000_UNIX_S = 946_684_800
"""Polar timestamps count ns since 2000-01-01T00:00:00Z; add this to get Unix time in s."""

RAW_FORMATS = {(ACC, 0): 1, (ACC, 1): 2, (ACC, 2): 3}
"""Uncompressed frames the decoder reads: (measurement, frame type) → bytes per value.
Values are signed little-endian milli-g, three channels (AccData.kt)."""
DELTA_FORMATS = {(ACC, 1): 16, (GYRO, 0): 16}
"""Delta-compressed frames the decoder reads: (measurement, frame type) → resolution in bits
of the three-channel reference sample; counts times the stream's factor give milli-g (ACC)
or degrees per second (GYRO) (AccData.kt, GyrData.kt)."""
CHANNELS = 3


@dataclass(frozen=True, eq=False)
class PmdFrame:
    """One data notification, values as on the wire.

    ``counts`` is (n, 3) int64: milli-g for raw ACC frames, counts to multiply by the
    measurement's factor for delta-compressed frames. ``timestamp_ns`` is the device time
    of the last sample (ns since 2000-01-01). ``frame_type`` is the number without the
    compression bit.
    """

    measurement_type: int
    timestamp_ns: int
    frame_type: int
    compressed: bool
    counts: np.ndarray

    @property
    def sample_count(self) -> int:
        return len(self.counts)

    @property
    def frame_type_byte(self) -> int:
        return self.frame_type | (COMPRESSED_BIT if self.compressed else 0)


def decode_header(data: bytes) -> tuple[int, int, int, bool]:
    """(measurement type, timestamp in ns, frame type, compressed) of a data notification."""
    if len(data) < HEADER_BYTES:
        raise TruncatedPacketError(f"frame of {len(data)} bytes is shorter than the {HEADER_BYTES}-byte header")
    type_byte, timestamp_ns, frame_byte = HEADER.unpack_from(data)
    measurement_type = type_byte & MEASUREMENT_TYPE_MASK
    if measurement_type not in MEASUREMENT_NAMES:
        raise MalformedPacketError(f"measurement type {measurement_type:#04x} is not a PMD measurement")
    return measurement_type, timestamp_ns, frame_byte & FRAME_TYPE_MASK, bool(frame_byte & COMPRESSED_BIT)


def decode_frame(data: bytes) -> PmdFrame:
    """Decode one ACC or GYRO data notification; raise a ``ProtocolError`` subclass if it is not valid.

    A frame of a measurement or frame type this decoder does not read raises
    ``UnsupportedVersionError``.
    """
    measurement_type, timestamp_ns, frame_type, compressed = decode_header(data)
    content = bytes(data[HEADER_BYTES:])
    kind = (measurement_type, frame_type)
    name = MEASUREMENT_NAMES[measurement_type]
    if compressed:
        if kind not in DELTA_FORMATS:
            raise UnsupportedVersionError(f"delta-compressed {name} frame type {frame_type} is not decoded")
        counts = decode_delta_samples(content, CHANNELS, DELTA_FORMATS[kind])
    else:
        if kind not in RAW_FORMATS:
            raise UnsupportedVersionError(f"raw {name} frame type {frame_type} is not decoded")
        counts = decode_raw_samples(content, CHANNELS, RAW_FORMATS[kind])
    return PmdFrame(measurement_type, timestamp_ns, frame_type, compressed, counts)


def decode_raw_samples(content: bytes, channels: int, value_bytes: int) -> np.ndarray:
    """(n, channels) int64 from signed little-endian values of ``value_bytes`` each, sample after sample."""
    step = channels * value_bytes
    if not content:
        raise TruncatedPacketError("frame holds no samples")
    if len(content) % step:
        raise TruncatedPacketError(
            f"{len(content)} bytes of samples is not a whole number of {step}-byte samples"
        )
    raw = np.frombuffer(content, dtype=np.uint8).reshape(-1, value_bytes).astype(np.int64)
    values = (raw << (8 * np.arange(value_bytes, dtype=np.int64))).sum(axis=1)
    sign = np.int64(1) << (8 * value_bytes - 1)
    values = np.where(values >= sign, values - 2 * sign, values)
    return values.reshape(-1, channels)


def decode_delta_samples(content: bytes, channels: int, resolution_bits: int) -> np.ndarray:
    """(n, channels) int64 from a delta-compressed frame body.

    The body is a reference sample (``channels`` signed little-endian values of
    ceil(resolution / 8) bytes) and then blocks: a byte giving the delta bit width, a byte
    giving the number of samples, and that many samples of ``channels`` two's-complement
    deltas of that width, packed from the least significant bit of each byte on and
    padded to a whole byte. Each sample is the previous one plus its deltas.
    """
    value_bytes = math.ceil(resolution_bits / 8)
    reference_bytes = channels * value_bytes
    if len(content) < reference_bytes:
        raise TruncatedPacketError(
            f"delta frame of {len(content)} bytes is shorter than its {reference_bytes}-byte reference sample"
        )
    reference = decode_raw_samples(content[:reference_bytes], channels, value_bytes)[0]
    limit = 1 << (resolution_bits - 1)
    if np.any(reference < -limit) or np.any(reference >= limit):
        raise MalformedPacketError(f"reference sample {reference.tolist()} exceeds {resolution_bits} bits")
    deltas = [np.zeros((1, channels), dtype=np.int64)]
    offset = reference_bytes
    while offset < len(content):
        if len(content) - offset < 2:
            raise TruncatedPacketError(f"delta block header cut off at byte {offset}")
        width, count = content[offset], content[offset + 1]
        offset += 2
        if not 1 <= width <= MAX_DELTA_BITS:
            raise MalformedPacketError(f"delta bit width {width} is outside 1..{MAX_DELTA_BITS}")
        block_bytes = math.ceil(width * count * channels / 8)
        if len(content) - offset < block_bytes:
            raise TruncatedPacketError(
                f"delta block of {count} samples at {width} bits needs {block_bytes} bytes, "
                f"{len(content) - offset} are left"
            )
        deltas.append(unpack_signed_bits(content[offset:offset + block_bytes], width, count * channels)
                      .reshape(count, channels))
        offset += block_bytes
    samples = reference + np.cumsum(np.concatenate(deltas), axis=0)
    if np.any(samples < -limit) or np.any(samples >= limit):
        raise MalformedPacketError(f"deltas take a sample outside {resolution_bits} bits")
    return samples


def unpack_signed_bits(data: bytes, width: int, count: int) -> np.ndarray:
    """``count`` two's-complement integers of ``width`` bits, packed least significant bit first."""
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")[: width * count]
    weights = np.int64(1) << np.arange(width, dtype=np.int64)
    values = bits.reshape(count, width).astype(np.int64) @ weights
    sign = np.int64(1) << (width - 1)
    return np.where(values >= sign, values - 2 * sign, values)


def pack_signed_bits(values: np.ndarray, width: int) -> bytes:
    """``values`` as two's-complement fields of ``width`` bits, least significant bit first."""
    values = np.asarray(values, dtype=np.int64).ravel()
    low = values & ((np.int64(1) << width) - 1)
    bits = ((low[:, None] >> np.arange(width, dtype=np.int64)) & 1).astype(np.uint8).ravel()
    return np.packbits(bits, bitorder="little").tobytes()


def delta_width(deltas: np.ndarray) -> int:
    """The fewest bits that hold every delta in two's complement (2 at least unless all are 0).

    Width 1 would hold -1 as a single set bit, which the SDK's decoder reads as 2**31 - 1
    (its sign mask misses a 1-bit field), so a nonzero block never uses it.
    """
    deltas = np.asarray(deltas, dtype=np.int64)
    if not deltas.size or not np.any(deltas):
        return 1
    high = int(deltas.max())
    low = int(deltas.min())
    needed = max(high.bit_length() + 1, (-low - 1).bit_length() + 1 if low < 0 else 1)
    return max(needed, 2)


def encode_delta_samples(samples: np.ndarray, resolution_bits: int = 16, block_samples: int = 255) -> bytes:
    """The delta-compressed body of ``samples`` (n, channels) (for tests and emulated sensors).

    Deltas go into blocks of at most ``block_samples`` samples, each block at the smallest
    width that holds its deltas.
    """
    samples = np.asarray(samples, dtype=np.int64)
    if samples.ndim != 2 or not len(samples):
        raise MalformedPacketError("samples must be a non-empty (n, channels) array")
    if not 1 <= block_samples <= 255:
        raise MalformedPacketError(f"block size {block_samples} is outside 1..255 samples")
    limit = 1 << (resolution_bits - 1)
    if np.any(samples < -limit) or np.any(samples >= limit):
        raise MalformedPacketError(f"samples exceed {resolution_bits} bits")
    value_bytes = math.ceil(resolution_bits / 8)
    out = bytearray(_pack_values(samples[0], value_bytes))
    deltas = np.diff(samples, axis=0)
    for start in range(0, len(deltas), block_samples):
        block = deltas[start:start + block_samples]
        width = delta_width(block)
        out += bytes((width, len(block))) + pack_signed_bits(block, width)
    return bytes(out)


def _pack_values(values: np.ndarray, value_bytes: int) -> bytes:
    return b"".join(int(v).to_bytes(value_bytes, "little", signed=True) for v in values)


def encode_frame(measurement_type: int, timestamp_ns: int, counts: np.ndarray, *,
                 frame_type: int, compressed: bool, block_samples: int = 255) -> bytes:
    """A data notification holding ``counts`` (n, 3) (for tests and emulated sensors)."""
    counts = np.asarray(counts, dtype=np.int64)
    kind = (measurement_type, frame_type)
    if compressed:
        if kind not in DELTA_FORMATS:
            raise UnsupportedVersionError(
                f"no delta format for measurement {measurement_type}, frame type {frame_type}")
        body = encode_delta_samples(counts, DELTA_FORMATS[kind], block_samples)
    else:
        if kind not in RAW_FORMATS:
            raise UnsupportedVersionError(f"no raw format for measurement {measurement_type}, frame type {frame_type}")
        value_bytes = RAW_FORMATS[kind]
        limit = 1 << (8 * value_bytes - 1)
        if counts.ndim != 2 or not len(counts) or np.any(counts < -limit) or np.any(counts >= limit):
            raise MalformedPacketError(f"raw samples must be a non-empty (n, 3) array of {8 * value_bytes}-bit values")
        body = b"".join(_pack_values(row, value_bytes) for row in counts)
    frame_byte = frame_type | (COMPRESSED_BIT if compressed else 0)
    return HEADER.pack(measurement_type, timestamp_ns, frame_byte) + body


# --- commands and answers ---------------------------------------------------------------


def settings_bytes(sample_rate_hz: int, resolution_bits: int, range_: int, channels: int | None = None) -> bytes:
    """Measurement settings as the SDK serialises them: per setting its type, a count of 1
    and the value little-endian (2 bytes; channels 1 byte), in ascending type order."""
    out = bytearray()
    for setting, value in ((SETTING_SAMPLE_RATE, sample_rate_hz), (SETTING_RESOLUTION, resolution_bits),
                           (SETTING_RANGE, range_), (SETTING_CHANNELS, channels)):
        if value is None:
            continue
        size = SETTING_FIELD_BYTES[setting]
        out += bytes((setting, 1)) + int(value).to_bytes(size, "little")
    return bytes(out)


def start_measurement_command(measurement_type: int, sample_rate_hz: int, resolution_bits: int,
                              range_: int, channels: int | None = None) -> bytes:
    """``02 <type> <settings>``: start streaming a measurement with these settings."""
    return bytes((OP_START_MEASUREMENT, measurement_type)) + settings_bytes(
        sample_rate_hz, resolution_bits, range_, channels)


def stop_measurement_command(measurement_type: int) -> bytes:
    """``03 <type>``: stop streaming a measurement."""
    return bytes((OP_STOP_MEASUREMENT, measurement_type))


SDK_MODE_ON = bytes((OP_START_MEASUREMENT, SDK_MODE))
"""Switch the SDK mode on (the Verity Sense then offers its wider rates and ranges)."""
SDK_MODE_OFF = bytes((OP_STOP_MEASUREMENT, SDK_MODE))
"""Switch the SDK mode off again."""


@dataclass(frozen=True)
class ControlPointResponse:
    """The sensor's answer on the control point: ``F0 <op> <type> <status> [<more> <parameters>]``."""

    op_code: int
    measurement_type: int
    status: int
    more: bool = False
    parameters: bytes = b""

    @property
    def ok(self) -> bool:
        return self.status == STATUS_SUCCESS


def decode_control_point_response(data: bytes) -> ControlPointResponse:
    """Decode a control-point answer; raise a ``ProtocolError`` subclass if it is not one."""
    if len(data) < 4:
        raise TruncatedPacketError(f"control-point answer of {len(data)} bytes is shorter than 4")
    if data[0] != RESPONSE_CODE:
        raise MalformedPacketError(f"control-point notification starts with {data[0]:#04x}, not {RESPONSE_CODE:#04x}")
    more = len(data) > 4 and data[4] != 0
    return ControlPointResponse(data[1], data[2], data[3], more, bytes(data[5:]))


def decode_settings(parameters: bytes) -> dict[int, list[int | float]]:
    """Setting type → values from a settings list (``<type> <count> <values>…``); a factor is a float."""
    settings: dict[int, list[int | float]] = {}
    offset = 0
    while offset < len(parameters):
        if len(parameters) - offset < 2:
            raise TruncatedPacketError("settings list cut off inside a setting header")
        setting, count = parameters[offset], parameters[offset + 1]
        offset += 2
        if setting not in SETTING_FIELD_BYTES:
            raise MalformedPacketError(f"setting type {setting} is not a PMD setting")
        size = SETTING_FIELD_BYTES[setting]
        if len(parameters) - offset < size * count:
            raise TruncatedPacketError(f"setting {setting} needs {size * count} bytes")
        values: list[int | float] = []
        for _ in range(count):
            chunk = parameters[offset:offset + size]
            values.append(struct.unpack("<f", chunk)[0] if setting == SETTING_FACTOR
                          else int.from_bytes(chunk, "little", signed=setting == SETTING_RANGE_MILLIUNIT))
            offset += size
        settings[setting] = values
    return settings


def response_factor(answer: bytes) -> float | None:
    """The scale factor a start answer reports for the measurement's counts, or None."""
    try:
        values = decode_settings(decode_control_point_response(answer).parameters).get(SETTING_FACTOR)
    except ProtocolError:
        return None
    return float(values[0]) if values else None


def count_factor(measurement_type: int, range_: int, resolution_bits: int = 16) -> float:
    """Milli-g (ACC) or °/s (GYRO) per count of a delta-compressed frame: full range over 2**(bits-1).

    The sensor reports this factor in its answer to the start command; the stream, which
    sees only the data characteristic, uses this value, and ``check_response`` refuses a
    start answer that reports another one, so a different scaling cannot pass unnoticed.
    """
    full_scale = range_ * 1000.0 if measurement_type == ACC else float(range_)
    return full_scale / float(1 << (resolution_bits - 1))


def _measurement_words(measurement_type: int) -> str:
    return MEASUREMENT_NAMES.get(measurement_type, f"measurement {measurement_type:#04x}")


def _request_words(command: bytes) -> str:
    if len(command) < 2:
        return f"command {command.hex()}"
    op, kind = command[0], command[1]
    if kind == SDK_MODE:
        return "to switch its SDK mode " + ("on" if op == OP_START_MEASUREMENT else "off")
    verb = {OP_START_MEASUREMENT: "to start", OP_STOP_MEASUREMENT: "to stop",
            OP_GET_MEASUREMENT_SETTINGS: "to list the settings of"}.get(op, f"operation {op:#04x} on")
    return f"{verb} its {_measurement_words(kind)}"


def check_response(command: bytes, answer: bytes) -> str | None:
    """None if ``answer`` accepts ``command``, else what the sensor refused, in words.

    "Already in state" counts as accepted for stop commands and for the SDK mode (the
    sensor is where it was asked to be); for a start command it means the measurement is
    already running, likely for another app, and is refused. A start answer that reports
    a scale factor other than ``count_factor`` for the requested range is refused too.
    """
    try:
        response = decode_control_point_response(answer)
    except ProtocolError:
        return f"the sensor answered {_request_words(command)} with {len(answer)} unreadable bytes ({answer[:8].hex()})"
    if len(command) >= 2 and (response.op_code != command[0] or response.measurement_type != command[1]):
        return (f"the sensor answered the request {_request_words(command)} as if it were the request "
                f"{_request_words(bytes((response.op_code, response.measurement_type)))}")
    request = _request_words(command)
    if response.status == STATUS_ALREADY_IN_STATE and (command[:1] == bytes((OP_STOP_MEASUREMENT,))
                                                      or command[1:2] == bytes((SDK_MODE,))):
        return None
    if response.status == STATUS_ALREADY_IN_STATE:
        return (f"the sensor refused {request}: it is already streaming it, probably to another app; "
                "close that app or switch the sensor off and on")
    if not response.ok:
        reason = STATUS_WORDS.get(response.status, f"status {response.status}")
        hint = ""
        if command[1:2] == bytes((SDK_MODE,)):
            hint = "; rates other than 52 Hz need Verity Sense firmware 1.1.5 or later, or use --rate-hz 52"
        return f"the sensor refused {request}: {reason}{hint}"
    if command[:1] == bytes((OP_START_MEASUREMENT,)) and len(command) > 2 and command[1] in (ACC, GYRO):
        factor = response_factor(answer)
        try:
            asked = decode_settings(command[2:])
        except ProtocolError:
            return None
        if factor is not None and SETTING_RANGE in asked:
            expected = count_factor(command[1], int(asked[SETTING_RANGE][0]),
                                    int(asked.get(SETTING_RESOLUTION, [16])[0]))
            if not math.isfinite(factor) or abs(factor / expected - 1.0) > 0.01:
                unit = "milli-g" if command[1] == ACC else "°/s"
                return (f"the sensor scales its {_measurement_words(command[1])} by {factor:.6g} {unit} per count, "
                        f"not the {expected:.6g} imuhinge expects for that range; its samples would be misread")
    return None


# --- sensor models and rates --------------------------------------------------------------


@dataclass(frozen=True)
class PolarModel:
    """What one Polar sensor streams: rates, ranges and which measurements."""

    title: str
    rates_hz: tuple[int, ...]
    acc_range_g: int
    gyr_range_dps: int | None = None
    normal_rates_hz: tuple[int, ...] | None = None
    """Rates available without the SDK mode (None: all of ``rates_hz``)."""
    channels_setting: bool = False
    """Whether start commands carry the channel count (the Verity Sense lists it among its
    settings, the H10 does not)."""
    resolution_bits: int = 16

    def device_rate(self, rate_hz: float) -> int:
        """The rate the sensor streams at for ``rate_hz``: equal, or nearest within 5 %.

        Raises ``ValueError`` with a plain sentence for a rate the sensor cannot do.
        """
        rate_hz = float(rate_hz)
        nearest = nearest_rate(self.rates_hz, rate_hz)
        if not (math.isfinite(rate_hz) and rate_hz > 0 and abs(nearest - rate_hz) <= RATE_TOLERANCE * rate_hz):
            listed = ", ".join(str(r) for r in self.rates_hz)
            raise ValueError(f"the {self.title} streams at {listed} Hz, not {rate_hz:g} Hz")
        return nearest

    def needs_sdk_mode(self, device_rate_hz: int) -> bool:
        return self.normal_rates_hz is not None and device_rate_hz not in self.normal_rates_hz

    def start_commands(self, rate_hz: float) -> tuple[bytes, ...]:
        """SDK mode on when the rate needs it, then start ACC (and GYRO)."""
        rate = self.device_rate(rate_hz)
        channels = CHANNELS if self.channels_setting else None
        commands = [SDK_MODE_ON] if self.needs_sdk_mode(rate) else []
        commands.append(start_measurement_command(ACC, rate, self.resolution_bits, self.acc_range_g, channels))
        if self.gyr_range_dps is not None:
            commands.append(start_measurement_command(GYRO, rate, self.resolution_bits, self.gyr_range_dps, channels))
        return tuple(commands)

    def stop_commands(self) -> tuple[bytes, ...]:
        """Stop ACC (and GYRO), then SDK mode off where the model has one (last: it may answer
        "already in state", and a refusal would stop the sequence)."""
        commands = [stop_measurement_command(ACC)]
        if self.gyr_range_dps is not None:
            commands.append(stop_measurement_command(GYRO))
        if self.normal_rates_hz is not None:
            commands.append(SDK_MODE_OFF)
        return tuple(commands)

    def new_stream(self, rate_hz: float) -> "PolarPmdStream":
        """A decoder for this model streaming at (the rate nearest) ``rate_hz``."""
        return PolarPmdStream(
            nearest_rate(self.rates_hz, float(rate_hz)),
            gyroscope=self.gyr_range_dps is not None,
            acc_factor_mg=count_factor(ACC, self.acc_range_g, self.resolution_bits),
            gyr_factor_dps=count_factor(GYRO, self.gyr_range_dps or 2000, self.resolution_bits),
        )


RATE_TOLERANCE = 0.05
"""A requested rate within 5 % of one the sensor has selects it (100 Hz → 104 Hz on a Verity Sense)."""


def nearest_rate(rates_hz: tuple[int, ...], rate_hz: float) -> int:
    """The rate in ``rates_hz`` closest to ``rate_hz`` (relative difference)."""
    if not math.isfinite(rate_hz) or rate_hz <= 0:
        return rates_hz[0]
    return min(rates_hz, key=lambda r: abs(math.log(r / rate_hz)))


H10 = PolarModel(title="Polar H10", rates_hz=(25, 50, 100, 200), acc_range_g=8)
"""Polar H10: accelerometer only, 25 to 200 Hz, ±8 g (PolarH10.md)."""
VERITY_SENSE = PolarModel(
    title="Polar Verity Sense", rates_hz=(26, 52, 104, 208, 416), acc_range_g=8, gyr_range_dps=2000,
    normal_rates_hz=(52,), channels_setting=True,
)
"""Polar Verity Sense: accelerometer ±8 g and gyroscope ±2000 °/s, 52 Hz in its normal mode,
26 to 416 Hz in its SDK mode (PolarVeritySense.md, SdkModeExplained.md)."""


# --- stream -------------------------------------------------------------------------------

GAP_FACTOR = 1.5
"""A frame whose time since the previous frame exceeds 1.5 times its samples' worth of periods
follows lost frames: its samples are spaced at the current period estimate instead."""
MAX_BRACKET_PERIODS = 2.5
"""A gyroscope value is interpolated between neighbours at most 2.5 gyroscope periods apart."""
MIN_SPAN_FRACTION = 0.5
"""A frame arriving less than half its samples' worth of periods after the previous one does
not set the period (its timestamps are inconsistent); it is placed at the current estimate."""
COINCIDE_NS = 1000
"""Gyroscope and accelerometer samples less than 1 µs apart are the same instant (the two
measurements' periods are each estimated from their own frames, so equal sample times can
come out a few ns apart): the gyroscope value is taken as it is."""
MAX_PAIRING_WAIT_S = 5.0
"""Accelerometer samples no gyroscope frame has covered within 5 s are dropped as unpaired
(the Verity Sense sends a frame every one to two seconds)."""


@dataclass
class PolarPmdStats:
    """What the stream has seen.

    ``lost_packets`` is estimated from gaps in the frame timestamps (missing samples over
    the samples per frame, at least one per gap), ``lost_samples`` counts the missing
    samples themselves. ``unpaired_samples``: accelerometer samples dropped because no
    gyroscope samples surrounded them. ``ignored_frames``: valid frames of measurements
    this stream does not use. ``stale_packets``: frames repeating an earlier timestamp.
    """

    notifications: int = 0
    frames: int = 0
    samples: int = 0
    acc_samples: int = 0
    gyr_samples: int = 0
    malformed_packets: int = 0
    lost_packets: int = 0
    lost_samples: int = 0
    stale_packets: int = 0
    restarts: int = 0
    unpaired_samples: int = 0
    ignored_frames: int = 0
    errors: dict[str, int] = field(default_factory=dict)


@dataclass
class _Clock:
    """Per measurement: the previous frame's raw timestamp, the period estimate, the last
    sample placed (output ns)."""

    period_ns: float
    previous_ns: int | None = None
    last_out_ns: int | None = None


class PolarPmdStream:
    """Decodes PMD notifications into samples on the device clock; never raises on bad bytes.

    Times: each measurement's frames are placed on the device clock as the SDK places them
    (see the module docstring); output times are seconds since the first sample of the
    stream. A frame whose timestamp repeats the previous one is dropped as stale; one
    running backwards means the sensor's clock was reset: its samples continue after the
    latest sample placed, by the time between the two frames' arrivals (``arrival_s``,
    optional) or else one period, and pending pairing is discarded.

    Pairing (``gyroscope=True``, Verity Sense): accelerometer and gyroscope frames arrive
    separately, with their own sizes and timestamps, so the stream buffers both and emits
    six-axis samples on the accelerometer's times once gyroscope samples surround them:
    the angular rate at each accelerometer time is linearly interpolated between the two
    nearest gyroscope samples (taken as they are when the times coincide within
    ``COINCIDE_NS``, as they do when both come from one IMU at one rate). Interpolating
    the angular rate, a smooth signal sampled at the same rate, keeps every accelerometer
    sample unaltered, and the inclination the analysis takes from gravity is where timing
    matters most. Accelerometer samples before
    the first gyroscope sample, across a gyroscope gap (neighbours more than
    ``MAX_BRACKET_PERIODS`` apart) or left waiting more than ``MAX_PAIRING_WAIT_S`` are
    dropped and counted in ``stats.unpaired_samples``, never filled with a made-up rate.
    Without a gyroscope (H10) accelerometer samples are emitted at once with zero rate.
    """

    def __init__(self, rate_hz: float, *, gyroscope: bool, acc_factor_mg: float = 1.0,
                 gyr_factor_dps: float = 1.0, max_wait_s: float = MAX_PAIRING_WAIT_S) -> None:
        self.rate_hz = float(rate_hz)
        self.gyroscope = gyroscope
        self.acc_factor_mg = float(acc_factor_mg)
        self.gyr_factor_dps = float(gyr_factor_dps)
        self.max_wait_ns = int(max_wait_s * 1e9)
        self.stats = PolarPmdStats()
        nominal_ns = 1e9 / self.rate_hz
        self._clocks = {ACC: _Clock(nominal_ns), GYRO: _Clock(nominal_ns)}
        self._offset_ns: int | None = None
        self._last_arrival_s: float | None = None
        self._acc_t = np.empty(0, dtype=np.int64)
        self._acc_v = np.empty((0, 3))
        self._gyr_t = np.empty(0, dtype=np.int64)
        self._gyr_v = np.empty((0, 3))

    @property
    def wanted(self) -> tuple[int, ...]:
        return (ACC, GYRO) if self.gyroscope else (ACC,)

    def feed(self, data: bytes, arrival_s: float | None = None) -> SampleBlock:
        """Samples completed by this notification (empty while waiting for a partner, or if bad)."""
        self.stats.notifications += 1
        try:
            measurement_type = decode_header(data)[0]
            if measurement_type not in self.wanted:
                self.stats.ignored_frames += 1
                return SampleBlock.empty()
            frame = decode_frame(data)
        except ProtocolError as exc:
            self.stats.malformed_packets += 1
            kind = type(exc).__name__
            self.stats.errors[kind] = self.stats.errors.get(kind, 0) + 1
            return SampleBlock.empty()
        times_ns = self._place(frame, arrival_s)
        if times_ns is None:
            return SampleBlock.empty()
        self.stats.frames += 1
        if frame.measurement_type == ACC:
            factor = self.acc_factor_mg if frame.compressed else 1.0
            acc_g = frame.counts * factor / 1000.0
            self.stats.acc_samples += len(acc_g)
            if not self.gyroscope:
                self.stats.samples += len(acc_g)
                return SampleBlock(times_ns / 1e9, acc_g, np.zeros_like(acc_g))
            self._acc_t = np.concatenate([self._acc_t, times_ns])
            self._acc_v = np.concatenate([self._acc_v, acc_g])
        else:
            gyr_dps = frame.counts * self.gyr_factor_dps
            self.stats.gyr_samples += len(gyr_dps)
            self._gyr_t = np.concatenate([self._gyr_t, times_ns])
            self._gyr_v = np.concatenate([self._gyr_v, gyr_dps])
        return self._pair()

    def _place(self, frame: PmdFrame, arrival_s: float | None) -> np.ndarray | None:
        """Output times (int64 ns) of ``frame``'s samples, or None if it is stale."""
        clock = self._clocks[frame.measurement_type]
        n = frame.sample_count
        ts = frame.timestamp_ns
        period = clock.period_ns
        restart = False
        if clock.previous_ns is not None:
            span = ts - clock.previous_ns
            if span == 0:
                self.stats.stale_packets += 1
                return None
            if span < 0:
                restart = True
            elif span > GAP_FACTOR * n * clock.period_ns:
                missing = max(1, round(span / clock.period_ns) - n)
                self.stats.lost_samples += missing
                self.stats.lost_packets += max(1, round(missing / n))
            elif span < MIN_SPAN_FRACTION * n * clock.period_ns:
                pass  # too little time for its samples: kept at the current period, dropped if it overlaps
            else:
                period = span / n
                clock.period_ns = period
        raw_ns = ts - np.round(period * np.arange(n - 1, -1, -1)).astype(np.int64)
        if self._offset_ns is None:
            self._offset_ns = -int(raw_ns[0])
        elif restart:
            self._restart(ts, n, period, frame.measurement_type, arrival_s)
        out_ns = raw_ns + self._offset_ns
        if clock.last_out_ns is not None and out_ns[0] <= clock.last_out_ns:
            self.stats.stale_packets += 1
            return None
        clock.previous_ns = ts
        clock.last_out_ns = int(out_ns[-1])
        if arrival_s is not None:
            self._last_arrival_s = arrival_s
        return out_ns

    def _restart(self, timestamp_ns: int, n: int, period_ns: float, measurement_type: int,
                 arrival_s: float | None) -> None:
        """The device clock went back: continue after the latest sample placed, drop pending pairs.

        The frame's last sample goes as far after the latest sample placed as it arrived
        after the previous frame (when arrival times are given), at least its samples' worth
        of periods, so an outage keeps its length on the output time axis.
        """
        self.stats.restarts += 1
        latest = max(c.last_out_ns for c in self._clocks.values() if c.last_out_ns is not None)
        step_ns = n * period_ns
        if arrival_s is not None and self._last_arrival_s is not None:
            step_ns = max(step_ns, (arrival_s - self._last_arrival_s) * 1e9)
        self._offset_ns = latest + int(round(step_ns)) - timestamp_ns
        for kind, other in self._clocks.items():
            if kind != measurement_type:
                other.previous_ns = None
        self.stats.unpaired_samples += len(self._acc_t)
        self._acc_t, self._acc_v = self._acc_t[:0], self._acc_v[:0]
        self._gyr_t, self._gyr_v = self._gyr_t[:0], self._gyr_v[:0]

    def _pair(self) -> SampleBlock:
        """Emit the accelerometer samples the gyroscope now covers, with interpolated rates."""
        at, av, gt, gv = self._acc_t, self._acc_v, self._gyr_t, self._gyr_v
        if not len(at):
            if len(gt):
                keep = gt >= gt[-1] - self.max_wait_ns
                self._gyr_t, self._gyr_v = gt[keep], gv[keep]
            return SampleBlock.empty()
        if not len(gt):
            self._drop_waiting()
            return SampleBlock.empty()
        before = at < gt[0]
        covered = (at <= gt[-1]) & ~before
        t = at[covered]
        hi = np.searchsorted(gt, t, side="left")
        exact = gt[hi] == t
        lo = np.where(exact, hi, hi - 1)
        span = gt[hi] - gt[lo]
        max_span = MAX_BRACKET_PERIODS * self._clocks[GYRO].period_ns
        ok = span <= max_span
        weight = np.where(span > 0, (t - gt[lo]) / np.where(span > 0, span, 1), 0.0)
        weight = np.where(t - gt[lo] <= COINCIDE_NS, 0.0, np.where(gt[hi] - t <= COINCIDE_NS, 1.0, weight))[:, None]
        rate = gv[lo] + (gv[hi] - gv[lo]) * weight
        self.stats.unpaired_samples += int(before.sum()) + int((~ok).sum())
        waiting = ~(covered | before)
        block = SampleBlock(t[ok] / 1e9, av[covered][ok], rate[ok])
        self._acc_t, self._acc_v = at[waiting], av[waiting]
        threshold = self._acc_t[0] if len(self._acc_t) else at[-1]
        first_kept = max(0, int(np.searchsorted(gt, threshold, side="right")) - 1)
        self._gyr_t, self._gyr_v = gt[first_kept:], gv[first_kept:]
        self._drop_waiting()
        self.stats.samples += len(block)
        return block

    def _drop_waiting(self) -> None:
        """Drop accelerometer samples waiting longer than ``max_wait_ns`` for a gyroscope partner."""
        if not len(self._acc_t):
            return
        stale = self._acc_t < self._acc_t[-1] - self.max_wait_ns
        if np.any(stale):
            self.stats.unpaired_samples += int(stale.sum())
            self._acc_t, self._acc_v = self._acc_t[~stale], self._acc_v[~stale]


# --- protocol descriptions ------------------------------------------------------------------

H10_PROTOCOL = SensorProtocol(
    name="polar-h10",
    title="Polar H10 (accelerometer through the PMD service)",
    service_uuid=SERVICE_UUID,
    notify_uuid=DATA_UUID,
    command_uuid=CONTROL_POINT_UUID,
    start_commands=H10.start_commands,
    stop_commands=H10.stop_commands,
    new_stream=H10.new_stream,
    clock=DEVICE_CLOCK,
    gyroscope=False,
    name_pattern=re.compile(r"^Polar H10\b", re.IGNORECASE),
    command_responses=True,
    check_response=check_response,
    rates_hz=tuple(float(r) for r in H10.rates_hz),
)
"""Polar H10: accelerometer only; also the protocol an unknown-named PMD device gets (see
``registry``): it asks for the accelerometer alone and claims no gyroscope."""

VERITY_PROTOCOL = SensorProtocol(
    name="polar-verity",
    title="Polar Verity Sense (accelerometer and gyroscope through the PMD service)",
    service_uuid=SERVICE_UUID,
    notify_uuid=DATA_UUID,
    command_uuid=CONTROL_POINT_UUID,
    start_commands=VERITY_SENSE.start_commands,
    stop_commands=VERITY_SENSE.stop_commands,
    new_stream=VERITY_SENSE.new_stream,
    clock=DEVICE_CLOCK,
    name_pattern=re.compile(r"^Polar (Verity )?Sense\b", re.IGNORECASE),
    command_responses=True,
    check_response=check_response,
    rates_hz=tuple(float(r) for r in VERITY_SENSE.rates_hz),
)
"""Polar Verity Sense: accelerometer and gyroscope, paired into six-axis samples."""
