"""Movesense sensors running the GATT SensorData Protocol (the ``gatt_sensordata_app`` firmware).

GSP is a small pipe over two characteristics: the host writes commands (``SUBSCRIBE``
with a client-chosen reference byte and a Whiteboard path such as ``/Meas/IMU6/104``,
``UNSUBSCRIBE`` with the same reference) and the sensor answers on one notify
characteristic with ``[type, reference, payload]``: type 1 is a command result, type 2
data, and types 3 and 4 continue a data payload too large for one notification. An IMU6
payload is the Whiteboard ``IMU6Data`` serialised little-endian: a uint32 time stamp in
ms of the sensor's clock (the time of the first sample), then ``n`` acceleration vectors
(3 × float32, m/s²), then ``n`` angular-rate vectors (3 × float32, °/s).

Because the sensor stamps its samples, times come from its clock (``DEVICE_CLOCK``):
each block's first sample sits at its time stamp, the others follow at the nominal
period, and a jump in the time stamps reveals lost blocks. The firmware sends the parts
of a split payload back to back, so the stream joins ``DATA`` + ``DATA_PART2`` (+
``DATA_PART3``) and treats a ``DATA`` payload that already holds whole samples as
complete. Sources and the byte layout: ``firmware_protocols/movesense/PROTOCOL.md``.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

import numpy as np

from .descriptor import DEVICE_CLOCK, SensorProtocol
from .errors import MalformedPacketError, ProtocolError, TruncatedPacketError
from .samples import SampleBlock

SERVICE_UUID = "34802252-7185-4d5d-b431-630e7050e8f0"
COMMAND_UUID = "34800001-7185-4d5d-b431-630e7050e8f0"
"""Write: commands from the host."""
NOTIFY_UUID = "34800002-7185-4d5d-b431-630e7050e8f0"
"""Notify: command results and data."""
WHITEBOARD_SERVICE_UUID = "0000fdf3-0000-1000-8000-00805f9b34fb"
"""The 16-bit service a Movesense advertises: its Whiteboard (MDS) service, not GSP."""

CMD_HELLO = 0x00
CMD_SUBSCRIBE = 0x01
CMD_UNSUBSCRIBE = 0x02
RESPONSE_COMMAND_RESULT = 0x01
RESPONSE_DATA = 0x02
RESPONSE_DATA_PART2 = 0x03
RESPONSE_DATA_PART3 = 0x04
DATA_PARTS = (RESPONSE_DATA, RESPONSE_DATA_PART2, RESPONSE_DATA_PART3)
RESPONSES = (RESPONSE_COMMAND_RESULT, *DATA_PARTS)

IMU6_REFERENCE = 99
"""The reference imuhinge gives its IMU6 subscription (any non-zero byte would do)."""
MAX_PATH_BYTES = 159
"""The firmware copies the path into a 160-byte, zero-terminated buffer."""
PART_BYTES = 150
"""Payload bytes per notification when the emulated sensor splits a payload."""

TIMESTAMP = struct.Struct("<I")
TIMESTAMP_BYTES = TIMESTAMP.size
VECTOR_BYTES = 12
SAMPLE_BYTES = 2 * VECTOR_BYTES
"""One acceleration vector plus one angular-rate vector, 3 float32 each."""
CLOCK_MODULUS_MS = 1 << 32
STANDARD_GRAVITY_MPS2 = 9.80665
RATES_HZ = (52.0, 104.0, 208.0)
"""IMU rates offered: the sensor's 13 and 26 Hz fall below the analysis's 50 Hz grid,
and 416 Hz and up outrun what GSP notifications carry reliably."""


@dataclass(frozen=True)
class Notification:
    """One notification of the GSP notify characteristic: ``kind`` (a ``RESPONSE_*``),
    the client ``reference`` it answers, and the rest of the bytes."""

    kind: int
    reference: int
    payload: bytes


@dataclass(frozen=True, eq=False)
class Imu6Frame:
    """One IMU6 payload: the sensor's time (ms, wraps at 2**32) of the first sample, and
    ``n`` samples of acceleration (m/s², specific force) and angular rate (°/s), each (n, 3)."""

    timestamp_ms: int
    acc_mps2: np.ndarray
    gyr_dps: np.ndarray

    @property
    def sample_count(self) -> int:
        return len(self.acc_mps2)

    @property
    def acc_g(self) -> np.ndarray:
        return self.acc_mps2 / STANDARD_GRAVITY_MPS2


def imu6_path(rate_hz: float) -> str:
    """The Whiteboard path of the IMU6 stream at ``rate_hz`` (one of ``RATES_HZ``)."""
    if float(rate_hz) not in RATES_HZ:
        supported = ", ".join(f"{r:g}" for r in RATES_HZ)
        raise ValueError(f"Movesense sensors stream IMU6 at {supported} Hz, not {rate_hz:g} Hz")
    return f"/Meas/IMU6/{int(rate_hz)}"


def _check_reference(reference: int) -> int:
    if not 1 <= reference <= 255:
        raise ValueError(f"a GSP reference is one non-zero byte, not {reference}")
    return reference


def hello_command(reference: int) -> bytes:
    """``HELLO``: the sensor answers with a command result ``Hello``."""
    return bytes((CMD_HELLO, _check_reference(reference)))


def subscribe_command(path: str, reference: int = IMU6_REFERENCE) -> bytes:
    """``SUBSCRIBE`` to a Whiteboard ``path`` (ASCII); data notifications carry ``reference``."""
    encoded = path.encode("ascii")
    if not encoded or len(encoded) > MAX_PATH_BYTES or b"\x00" in encoded:
        raise ValueError(f"a GSP path is 1 to {MAX_PATH_BYTES} ASCII characters without NUL, not {path!r}")
    return bytes((CMD_SUBSCRIBE, _check_reference(reference))) + encoded


def unsubscribe_command(reference: int = IMU6_REFERENCE) -> bytes:
    """``UNSUBSCRIBE`` the stream subscribed with ``reference``."""
    return bytes((CMD_UNSUBSCRIBE, _check_reference(reference)))


def decode_notification(data: bytes) -> Notification:
    """Split a notification into type, reference and payload; raises a ``ProtocolError`` subclass."""
    if len(data) < 2:
        raise TruncatedPacketError(f"notification of {len(data)} bytes has no type and reference")
    kind, reference = data[0], data[1]
    if kind not in RESPONSES:
        raise MalformedPacketError(f"notification type {kind:#04x} is not a GSP response")
    if reference == 0:
        raise MalformedPacketError("GSP references are never 0")
    return Notification(kind, reference, bytes(data[2:]))


def command_status(payload: bytes) -> int | None:
    """The HTTP-style status of a command result (two bytes, most significant first, as
    the firmware writes 507 as ``01 FB``), or None for other results such as ``Hello``."""
    return int.from_bytes(payload, "big") if len(payload) == 2 else None


def is_whole_imu6(payload: bytes) -> bool:
    """True if ``payload`` is a time stamp and a whole number (at least one) of IMU6 samples."""
    body = len(payload) - TIMESTAMP_BYTES
    return body >= SAMPLE_BYTES and body % SAMPLE_BYTES == 0


def decode_imu6(payload: bytes) -> Imu6Frame:
    """Decode a complete IMU6 payload (parts already joined); raises a ``ProtocolError`` subclass."""
    body = len(payload) - TIMESTAMP_BYTES
    if body < SAMPLE_BYTES:
        raise TruncatedPacketError(
            f"IMU6 payload of {len(payload)} bytes is shorter than a time stamp and one sample"
        )
    if body % SAMPLE_BYTES:
        raise MalformedPacketError(
            f"IMU6 payload of {len(payload)} bytes is not a time stamp and whole {SAMPLE_BYTES}-byte samples"
        )
    count = body // SAMPLE_BYTES
    (timestamp_ms,) = TIMESTAMP.unpack_from(payload)
    with np.errstate(invalid="ignore"):  # a signalling NaN is refused just below
        values = np.frombuffer(payload, dtype="<f4", offset=TIMESTAMP_BYTES).astype(np.float64).reshape(2, count, 3)
    if not np.all(np.isfinite(values)):
        raise MalformedPacketError("IMU6 payload holds a NaN or infinite value")
    return Imu6Frame(timestamp_ms=timestamp_ms, acc_mps2=values[0].copy(), gyr_dps=values[1].copy())


def encode_imu6(timestamp_ms: int, acc_mps2: np.ndarray, gyr_dps: np.ndarray) -> bytes:
    """The IMU6 payload of ``n`` samples, each array (n, 3) (for tests and the emulated sensor)."""
    acc = np.asarray(acc_mps2, dtype=np.float64)
    gyr = np.asarray(gyr_dps, dtype=np.float64)
    if acc.ndim != 2 or acc.shape[1:] != (3,) or gyr.shape != acc.shape or not len(acc):
        raise MalformedPacketError("acc_mps2 and gyr_dps must both be (n, 3) with n >= 1")
    if not 0 <= timestamp_ms < CLOCK_MODULUS_MS:
        raise MalformedPacketError(f"time stamp {timestamp_ms} does not fit uint32")
    return TIMESTAMP.pack(int(timestamp_ms)) + np.concatenate([acc, gyr]).astype("<f4").tobytes()


def data_notifications(payload: bytes, reference: int = IMU6_REFERENCE, part_bytes: int = PART_BYTES) -> list[bytes]:
    """``payload`` as the sensor notifies it: ``DATA``, then ``DATA_PART2``/``DATA_PART3``
    when it exceeds ``part_bytes`` (for tests and the emulated sensor)."""
    parts = [payload[i:i + part_bytes] for i in range(0, max(len(payload), 1), part_bytes)]
    if len(parts) > len(DATA_PARTS):
        raise MalformedPacketError(f"{len(payload)} bytes need more than {len(DATA_PARTS)} notifications")
    return [bytes((kind, _check_reference(reference))) + part for kind, part in zip(DATA_PARTS, parts)]


@dataclass
class MovesenseStats:
    """What the stream has seen.

    ``lost_packets`` counts IMU6 blocks missing from the run of time stamps (a block is one
    notification, or two or three when split); ``malformed_packets`` counts notifications
    that could not be used (garbage, a part without its start, a start whose rest never
    came); ``restarts`` counts time stamps that went backwards (the sensor restarted).
    """

    notifications: int = 0
    frames: int = 0
    samples: int = 0
    command_results: int = 0
    other_references: int = 0
    lost_packets: int = 0
    malformed_packets: int = 0
    restarts: int = 0
    time_corrections: int = 0
    last_status: int | None = None
    errors: dict[str, int] = field(default_factory=dict)


class MovesenseStream:
    """Joins split IMU6 payloads, places samples on the sensor's clock, counts losses.

    Sample times are seconds of sensor time since the first sample. A block's first
    sample sits at its time stamp and the rest follow every ``1 / rate_hz``; the time
    stamps are unwrapped across the uint32 wrap, and a block that would start before the
    previous one ended is moved just after it (counted in ``time_corrections``). Data for
    another reference (another subscription) is counted and skipped; command results are
    counted. Bad notifications are counted, never raised.
    """

    def __init__(self, rate_hz: float, reference: int = IMU6_REFERENCE):
        self.rate_hz = float(rate_hz)
        self.period_s = 1.0 / self.rate_hz
        self.reference = reference
        self.stats = MovesenseStats()
        self._pending: bytes | None = None
        self._pending_parts = 0
        self._last_raw_ms: int | None = None
        self._clock_ms = 0
        self._origin_s = 0.0
        self._last_count = 0
        self._last_end_s = 0.0
        self._last_arrival_s: float | None = None

    def feed(self, data: bytes, arrival_s: float | None = None) -> SampleBlock:
        """Samples completed by this notification (empty for parts, results and bad bytes)."""
        self.stats.notifications += 1
        try:
            note = decode_notification(bytes(data))
        except ProtocolError as exc:
            self._malformed(exc)
            return SampleBlock.empty()
        if note.kind == RESPONSE_COMMAND_RESULT:
            self.stats.command_results += 1
            self.stats.last_status = command_status(note.payload)
            return SampleBlock.empty()
        if note.reference != self.reference:
            self.stats.other_references += 1
            return SampleBlock.empty()
        payload = self._join(note)
        if payload is None:
            return SampleBlock.empty()
        try:
            frame = decode_imu6(payload)
        except ProtocolError as exc:
            self._malformed(exc)
            return SampleBlock.empty()
        return self._place(frame, arrival_s)

    def _join(self, note: Notification) -> bytes | None:
        """The complete payload this part finishes, or None while one is still being joined."""
        if note.kind == RESPONSE_DATA:
            if self._pending is not None:
                self._malformed(MalformedPacketError("a data payload's continuation never came"))
            self._pending, self._pending_parts = note.payload, 1
        elif self._pending is None or DATA_PARTS.index(note.kind) != self._pending_parts:
            if self._pending is not None:
                self._pending, self._pending_parts = None, 0
                self._malformed(MalformedPacketError("a data payload lost a part on the way"))
            self._malformed(MalformedPacketError(f"continuation type {note.kind} without the part before it"))
            return None
        else:
            self._pending += note.payload
            self._pending_parts += 1
        if is_whole_imu6(self._pending) or self._pending_parts == len(DATA_PARTS):
            payload, self._pending, self._pending_parts = self._pending, None, 0
            return payload
        return None

    def _place(self, frame: Imu6Frame, arrival_s: float | None) -> SampleBlock:
        """Times of ``frame``'s samples on the sensor's clock; updates loss and restart counts."""
        if self._last_raw_ms is None:
            self._clock_ms, self._origin_s = 0, 0.0
        else:
            step_ms = (frame.timestamp_ms - self._last_raw_ms) % CLOCK_MODULUS_MS
            if step_ms == 0 or step_ms >= CLOCK_MODULUS_MS // 2:
                self.stats.restarts += 1
                pause_s = self.period_s
                if arrival_s is not None and self._last_arrival_s is not None:
                    pause_s = max(arrival_s - self._last_arrival_s, self.period_s)
                self._clock_ms, self._origin_s = 0, self._last_end_s + pause_s
            else:
                self._clock_ms += step_ms
                block_ms = self._last_count * 1000.0 * self.period_s
                self.stats.lost_packets += max(0, round(step_ms / block_ms) - 1)
        start_s = self._origin_s + self._clock_ms / 1000.0
        if self._last_raw_ms is not None and start_s <= self._last_end_s:
            self.stats.time_corrections += 1
            start_s = self._last_end_s + 0.5 * self.period_s
        time_s = start_s + np.arange(frame.sample_count) * self.period_s
        self._last_raw_ms = frame.timestamp_ms
        self._last_count = frame.sample_count
        self._last_end_s = float(time_s[-1])
        self._last_arrival_s = arrival_s
        self.stats.frames += 1
        self.stats.samples += frame.sample_count
        return SampleBlock(time_s=time_s, acc_g=frame.acc_g, gyr_dps=frame.gyr_dps)

    def _malformed(self, exc: ProtocolError) -> None:
        self.stats.malformed_packets += 1
        kind = type(exc).__name__
        self.stats.errors[kind] = self.stats.errors.get(kind, 0) + 1


def start_commands(rate_hz: float) -> tuple[bytes, ...]:
    """Subscribe to ``/Meas/IMU6/<rate>``; the sensor streams from then on."""
    return (subscribe_command(imu6_path(rate_hz)),)


def stop_commands() -> tuple[bytes, ...]:
    """Unsubscribe, so the sensor stops measuring before the link closes."""
    return (unsubscribe_command(),)


PROTOCOL = SensorProtocol(
    name="movesense",
    title="Movesense (gatt_sensordata_app firmware, IMU6 over GATT SensorData Protocol)",
    service_uuid=SERVICE_UUID,
    notify_uuid=NOTIFY_UUID,
    command_uuid=COMMAND_UUID,
    start_commands=start_commands,
    stop_commands=stop_commands,
    new_stream=MovesenseStream,
    clock=DEVICE_CLOCK,
    name_pattern=re.compile(r"^Movesense\b", re.IGNORECASE),
    rates_hz=RATES_HZ,
)
"""Movesense sensors advertise ``Movesense <serial>`` and their Whiteboard service, not
GSP's, so scans know them by name; a connection recognises them by the GSP service.
Command results come on the notify characteristic with the data, so the link does not
wait for them (``command_responses`` stays False); the stream counts them."""
