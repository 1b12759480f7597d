"""WitMotion BLE IMUs (WT901BLECL, BWT901BLE5.0): GATT layout, frame decoder, commands.

The unit notifies 20-byte frames on ``NOTIFY_UUID``: ``55 61`` then nine int16
little-endian values, acceleration x, y, z (raw / 32768 * 16 g), angular rate x, y, z
(raw / 32768 * 2000 °/s) and its own roll, pitch, yaw (raw / 32768 * 180 °). Register
read replies come as ``55 71`` frames of the same length. A notification may hold part
of a frame or several frames, and there is no checksum, so ``WitMotionStream`` buffers,
resynchronises on the ``55 61`` header and counts every byte it had to skip. The device
has no sample clock: samples are timed by arrival and smoothed onto the nominal rate
(``arrival_clock.smooth_sample_times``). The byte-level description is in
``firmware_protocols/witmotion/PROTOCOL.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .arrival_clock import ArrivalClockState, smooth_sample_times
from .descriptor import ARRIVAL_CLOCK, SensorProtocol
from .samples import SampleBlock

SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"
"""Note the ``9a`` in ``805f9a34fb``: WitMotion's base differs from the Bluetooth SIG's ``9b``."""

FRAME_BYTES = 20
HEADER_BYTE = 0x55
IMU_FLAG = 0x61
REGISTER_FLAG = 0x71
IMU_HEADER = bytes((HEADER_BYTE, IMU_FLAG))

ACC_FULL_SCALE_G = 16.0
GYR_FULL_SCALE_DPS = 2000.0
ANGLE_FULL_SCALE_DEG = 180.0
RAW_FULL_SCALE = 32768.0

UNLOCK_COMMAND = bytes.fromhex("FFAA6988B5")
SAVE_COMMAND = bytes.fromhex("FFAA000000")
RATE_CODES = {50.0: 0x08, 100.0: 0x09, 200.0: 0x0A}
"""Output-rate register (0x03) codes by rate in Hz; 200 Hz needs a BLE 5.0 unit."""
COMMAND_SPACING_S = 0.1
"""Pause between configuration writes (s); the unit drops commands sent closer together."""


def rate_command(rate_hz: float) -> bytes:
    """The ``FF AA 03 <code> 00`` write that sets the output rate to ``rate_hz``."""
    try:
        code = RATE_CODES[float(rate_hz)]
    except KeyError:
        supported = ", ".join(f"{r:g}" for r in RATE_CODES)
        raise ValueError(f"WitMotion units stream at {supported} Hz, not {rate_hz:g} Hz") from None
    return bytes((0xFF, 0xAA, 0x03, code, 0x00))


def configuration_commands(rate_hz: float) -> tuple[bytes, ...]:
    """Writes that set and keep the output rate: unlock, rate, save, each ``COMMAND_SPACING_S`` apart."""
    return (UNLOCK_COMMAND, rate_command(rate_hz), SAVE_COMMAND)


def decode_frames(frames: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode whole ``55 61`` frames laid end to end into (acc_g, gyr_dps, angle_deg), each (n, 3).

    The caller has aligned the bytes (``WitMotionStream`` does); the length must be a
    multiple of ``FRAME_BYTES``.
    """
    if len(frames) % FRAME_BYTES:
        raise ValueError(f"{len(frames)} bytes is not a whole number of {FRAME_BYTES}-byte frames")
    raw = np.frombuffer(frames, dtype=np.uint8).reshape(-1, FRAME_BYTES)[:, 2:]
    values = np.ascontiguousarray(raw).view("<i2").astype(np.float64) / RAW_FULL_SCALE
    return (
        values[:, 0:3] * ACC_FULL_SCALE_G,
        values[:, 3:6] * GYR_FULL_SCALE_DPS,
        values[:, 6:9] * ANGLE_FULL_SCALE_DEG,
    )


def encode_frame(acc_raw: tuple[int, int, int], gyr_raw: tuple[int, int, int],
                 angle_raw: tuple[int, int, int]) -> bytes:
    """One ``55 61`` frame from raw int16 counts (for tests and the emulated sensor)."""
    values = np.asarray([*acc_raw, *gyr_raw, *angle_raw], dtype="<i2")
    return IMU_HEADER + values.tobytes()


@dataclass
class WitMotionStats:
    """What the stream has seen: decoded frames, register replies, bytes skipped to resync."""

    notifications: int = 0
    frames: int = 0
    register_frames: int = 0
    skipped_bytes: int = 0


class WitMotionStream:
    """Reassembles frames from notifications and times them; never raises on bad bytes.

    ``rate_hz`` is the rate the unit was configured to (it cannot be read from the
    stream). Feed each notification with its arrival time on one monotonic clock.
    """

    def __init__(self, rate_hz: float, *, max_clock_error: float = 0.01, gap_s: float = 0.25):
        self.rate_hz = float(rate_hz)
        self.max_clock_error = max_clock_error
        self.gap_s = gap_s
        self.stats = WitMotionStats()
        self._pending = bytearray()
        self._clock: ArrivalClockState | None = None

    def feed(self, data: bytes, arrival_s: float) -> SampleBlock:
        """Samples completed by this notification, timed from ``arrival_s`` (s)."""
        return self.feed_many([(data, arrival_s)])

    def feed_many(self, notifications: list[tuple[bytes, float]]) -> SampleBlock:
        """Samples completed by these notifications (bytes, arrival s), in order.

        The same samples and times as feeding them one by one (the arrival-time smoothing
        is causal), for a fraction of the cost: a unit sends one frame per notification, up
        to 200 a second, and this decodes and times them in one pass.
        """
        frames = bytearray()
        arrivals = []
        for data, arrival_s in notifications:
            self.stats.notifications += 1
            self._pending += data
            taken = self._take_frames()
            frames += taken
            arrivals += [float(arrival_s)] * (len(taken) // FRAME_BYTES)
        if not frames:
            return SampleBlock.empty(with_angles=True)
        acc_g, gyr_dps, angle_deg = decode_frames(bytes(frames))
        arrivals_s = np.asarray(arrivals)
        time_s, self._clock = smooth_sample_times(
            arrivals_s, 1.0 / self.rate_hz, self._clock,
            max_clock_error=self.max_clock_error, gap_s=self.gap_s,
        )
        self.stats.frames += len(acc_g)
        return SampleBlock(time_s=time_s, acc_g=acc_g, gyr_dps=gyr_dps, angle_deg=angle_deg)

    def _take_frames(self) -> bytes:
        """Cut whole IMU frames from the pending bytes, skipping what cannot start one."""
        buffer = self._pending
        frames = bytearray()
        position = 0
        while True:
            start = buffer.find(HEADER_BYTE, position)
            if start < 0:
                self.stats.skipped_bytes += len(buffer) - position
                position = len(buffer)
                break
            self.stats.skipped_bytes += start - position
            position = start
            if len(buffer) - start < 2:
                break
            flag = buffer[start + 1]
            if flag not in (IMU_FLAG, REGISTER_FLAG):
                self.stats.skipped_bytes += 1
                position = start + 1
                continue
            if len(buffer) - start < FRAME_BYTES:
                break
            if flag == IMU_FLAG:
                frames += buffer[start:start + FRAME_BYTES]
            else:
                self.stats.register_frames += 1
            position = start + FRAME_BYTES
        del buffer[:position]
        return bytes(frames)


PROTOCOL = SensorProtocol(
    name="witmotion",
    title="WitMotion WT901BLECL / BWT901BLE5.0 / WT9011DCL",
    service_uuid=SERVICE_UUID,
    notify_uuid=NOTIFY_UUID,
    command_uuid=WRITE_UUID,
    start_commands=configuration_commands,
    new_stream=WitMotionStream,
    clock=ARRIVAL_CLOCK,
    name_pattern=re.compile(r"^(WT901BLE|WT9011|BWT901)", re.IGNORECASE),
    rates_hz=tuple(RATE_CODES),
)
"""WitMotion units stream on their own once configured, so there is nothing to stop."""
