"""Nordic Thingy:52 (factory firmware): motion-service layout, raw-data decoder, configuration.

The Thingy streams its motion sensor (an InvenSense MPU-9250 run by the DMP) on the
motion service's raw-data characteristic: one 18-byte notification per sample, nine
int16 little-endian values, acceleration x, y, z in Q6.10 (raw / 1024 g), angular rate
in Q11.5 (raw / 32 °/s) and magnetic field in Q12.4 (raw / 16 µT). The firmware mounts
the accelerometer with an inverted axis matrix "to get positive readings when an axis is
aligned with g (down)", so the wire value is gravity, not specific force: a Thingy lying
face up sends ``az = -1 g``. The decoder negates it so ``acc_g`` is specific force in the
same (gyroscope) frame as every other protocol here.

The rate is the motion-processing frequency in the 9-byte configuration characteristic;
the DMP divides its fixed 200 Hz by ``200 // f``, so only divisors of 200 come out as
asked. A notification carries no counter or time stamp, so samples are timed by arrival
(``arrival_clock.smooth_sample_times``), like WitMotion's, and a lost notification
cannot be told from a late one. Every byte is described, with the firmware sources, in
``firmware_protocols/thingy52/PROTOCOL.md``.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

import numpy as np

from .arrival_clock import ArrivalClockState, smooth_sample_times
from .descriptor import ARRIVAL_CLOCK, SensorProtocol
from .errors import MalformedPacketError, ProtocolError, TruncatedPacketError
from .samples import SampleBlock

BASE_UUID = "ef68{:04x}-9b35-4933-9b10-52ffa9740042"
"""Nordic's Thingy base UUID, ``EF68xxxx-9B35-4933-9B10-52FFA9740042``."""

CONFIGURATION_SERVICE_UUID = BASE_UUID.format(0x0100)
"""The Thingy configuration service: the one service the Thingy advertises."""
DEVICE_NAME_UUID = BASE_UUID.format(0x0101)
SERVICE_UUID = BASE_UUID.format(0x0400)
"""The motion service."""
CONFIG_UUID = BASE_UUID.format(0x0401)
TAP_UUID = BASE_UUID.format(0x0402)
ORIENTATION_UUID = BASE_UUID.format(0x0403)
QUATERNION_UUID = BASE_UUID.format(0x0404)
PEDOMETER_UUID = BASE_UUID.format(0x0405)
RAW_UUID = BASE_UUID.format(0x0406)
EULER_UUID = BASE_UUID.format(0x0407)
ROTATION_MATRIX_UUID = BASE_UUID.format(0x0408)
HEADING_UUID = BASE_UUID.format(0x0409)
GRAVITY_UUID = BASE_UUID.format(0x040A)
BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"

DEFAULT_NAME = "Thingy"
"""The advertised name of a Thingy whose name was never changed (``DEVICE_NAME``)."""

RAW = struct.Struct("<9h")
RAW_BYTES = RAW.size
ACC_LSB_G = 1.0 / 1024.0
"""Q6.10: the firmware shifts the MPL's Q16.16 g right by 6 bits."""
GYR_LSB_DPS = 1.0 / 32.0
"""Q11.5: Q16.16 °/s shifted right by 11 bits."""
MAG_LSB_UT = 1.0 / 16.0
"""Q12.4: Q16.16 µT shifted right by 12 bits."""
ACC_WIRE_LIMITS_G = (-32.0, 31.0)
"""What Q6.10 can carry as the firmware clamps it; the MPU-9250 itself is left at ±2 g."""
GYR_WIRE_LIMITS_DPS = (-1024.0, 1023.0)
"""What Q11.5 can carry as the firmware clamps it; the MPU-9250 itself runs at ±2000 °/s."""
ACC_SENSOR_RANGE_G = 2.0
"""The InvenSense driver's default accelerometer full scale, which the Thingy keeps."""

CONFIG = struct.Struct("<HHHHB")
CONFIG_BYTES = CONFIG.size
DEFAULT_STEP_INTERVAL_MS = 1000
DEFAULT_TEMPERATURE_INTERVAL_MS = 500
DEFAULT_COMPASS_INTERVAL_MS = 500
DEFAULT_MOTION_FREQ_HZ = 10
DEFAULT_WAKE_ON_MOTION = 1
INTERVAL_LIMITS_MS = (100, 5000)
MOTION_FREQ_LIMITS_HZ = (1, 200)
DMP_RATE_HZ = 200
"""The DMP's internal rate; it outputs every ``200 // f``-th sample."""
RATES_HZ = (50.0, 100.0, 200.0)
"""Rates offered: exact divisors of 200 Hz, none below the analysis's 50 Hz grid."""


@dataclass(frozen=True)
class MotionConfig:
    """The motion service's configuration characteristic, field for field (9 bytes).

    Intervals are in milliseconds (100 to 5000), ``motion_freq_hz`` is the DMP output
    rate (1 to 200 Hz), ``wake_on_motion`` 0 or 1. The defaults are the firmware's.
    """

    step_interval_ms: int = DEFAULT_STEP_INTERVAL_MS
    temperature_interval_ms: int = DEFAULT_TEMPERATURE_INTERVAL_MS
    compass_interval_ms: int = DEFAULT_COMPASS_INTERVAL_MS
    motion_freq_hz: int = DEFAULT_MOTION_FREQ_HZ
    wake_on_motion: int = DEFAULT_WAKE_ON_MOTION

    def problems(self) -> list[str]:
        """Why the firmware would refuse this configuration (empty if it accepts it)."""
        found = []
        low, high = INTERVAL_LIMITS_MS
        for name in ("step_interval_ms", "temperature_interval_ms", "compass_interval_ms"):
            value = getattr(self, name)
            if not low <= value <= high:
                found.append(f"{name} {value} is outside {low}..{high}")
        low, high = MOTION_FREQ_LIMITS_HZ
        if not low <= self.motion_freq_hz <= high:
            found.append(f"motion_freq_hz {self.motion_freq_hz} is outside {low}..{high}")
        if self.wake_on_motion not in (0, 1):
            found.append(f"wake_on_motion {self.wake_on_motion} is not 0 or 1")
        return found


def encode_config(config: MotionConfig) -> bytes:
    """The 9 bytes of ``config``; ``MalformedPacketError`` if the firmware would refuse them."""
    problems = config.problems()
    if problems:
        raise MalformedPacketError("Thingy motion configuration refused: " + "; ".join(problems))
    return CONFIG.pack(config.step_interval_ms, config.temperature_interval_ms, config.compass_interval_ms,
                       config.motion_freq_hz, config.wake_on_motion)


def decode_config(data: bytes) -> MotionConfig:
    """Read the configuration characteristic; raises a ``ProtocolError`` subclass if invalid."""
    if len(data) < CONFIG_BYTES:
        raise TruncatedPacketError(f"configuration of {len(data)} bytes is shorter than {CONFIG_BYTES}")
    if len(data) > CONFIG_BYTES:
        raise MalformedPacketError(f"configuration of {len(data)} bytes is longer than {CONFIG_BYTES}")
    config = MotionConfig(*CONFIG.unpack(data))
    problems = config.problems()
    if problems:
        raise MalformedPacketError("; ".join(problems))
    return config


def output_rate_hz(motion_freq_hz: int) -> float:
    """The rate the DMP really delivers for a configured frequency: 200 / (200 // f) Hz."""
    return DMP_RATE_HZ / (DMP_RATE_HZ // int(motion_freq_hz))


def configuration_command(rate_hz: float) -> bytes:
    """The configuration write for ``rate_hz``, other fields at the firmware defaults."""
    if float(rate_hz) not in RATES_HZ:
        supported = ", ".join(f"{r:g}" for r in RATES_HZ)
        raise ValueError(f"Nordic Thingy:52 streams at {supported} Hz, not {rate_hz:g} Hz")
    return encode_config(MotionConfig(motion_freq_hz=int(rate_hz)))


def start_commands(rate_hz: float) -> tuple[bytes, ...]:
    """Set the motion frequency; the Thingy streams raw data while notifications are on."""
    return (configuration_command(rate_hz),)


@dataclass(frozen=True, eq=False)
class RawSample:
    """One raw-data notification, physical units. ``acc_g`` is specific force (the wire
    value negated, see the module docstring), ``gyr_dps`` angular rate, ``mag_ut`` the
    magnetic field; each is a length-3 array."""

    acc_g: np.ndarray
    gyr_dps: np.ndarray
    mag_ut: np.ndarray


def decode_raw(data: bytes) -> RawSample:
    """Decode one raw-data notification (exactly 18 bytes); raises a ``ProtocolError`` subclass."""
    if len(data) < RAW_BYTES:
        raise TruncatedPacketError(f"raw-data notification of {len(data)} bytes is shorter than {RAW_BYTES}")
    if len(data) > RAW_BYTES:
        raise MalformedPacketError(f"raw-data notification of {len(data)} bytes is longer than {RAW_BYTES}")
    raw = np.array(RAW.unpack(data), dtype=np.float64)
    acc_g = 0.0 - raw[0:3] * ACC_LSB_G  # negated; "0.0 -" keeps a zero from becoming -0.0
    return RawSample(acc_g=acc_g, gyr_dps=raw[3:6] * GYR_LSB_DPS, mag_ut=raw[6:9] * MAG_LSB_UT)


def encode_raw(acc_raw: tuple[int, int, int], gyr_raw: tuple[int, int, int],
               mag_raw: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    """One raw-data notification from wire counts (accelerometer as gravity, see above)."""
    try:
        return RAW.pack(*acc_raw, *gyr_raw, *mag_raw)
    except struct.error as exc:
        raise MalformedPacketError(f"a raw value does not fit int16 ({exc})") from None


def raw_counts(acc_g: np.ndarray, gyr_dps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wire counts a Thingy would send for specific force (g) and rate (°/s), each (n, 3).

    The accelerometer saturates at the sensor's ±2 g and is sent negated; the angular
    rate is clamped as the firmware clamps Q11.5. For tests and the emulated Thingy.
    """
    acc = np.clip(np.asarray(acc_g, dtype=np.float64), -ACC_SENSOR_RANGE_G, ACC_SENSOR_RANGE_G)
    gyr = np.clip(np.asarray(gyr_dps, dtype=np.float64), *GYR_WIRE_LIMITS_DPS)
    acc_raw = np.clip(np.round(-acc / ACC_LSB_G), -32768, 32767).astype(np.int64)
    gyr_raw = np.clip(np.round(gyr / GYR_LSB_DPS), -32768, 32767).astype(np.int64)
    return acc_raw, gyr_raw


@dataclass
class Thingy52Stats:
    """What the stream has seen. Lost notifications cannot be counted: nothing numbers them."""

    notifications: int = 0
    samples: int = 0
    malformed_packets: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class Thingy52Stream:
    """Decodes raw-data notifications and times them by arrival; never raises on bad bytes.

    ``rate_hz`` is the configured motion frequency (the stream cannot read it). A
    notification of any length but 18 is counted in ``stats.malformed_packets`` and
    dropped whole: each notification is one sample, so there is nothing to resynchronise.
    """

    def __init__(self, rate_hz: float, *, max_clock_error: float = 0.01, gap_s: float = 0.25):
        self.rate_hz = float(rate_hz)
        self.max_clock_error = max_clock_error
        self.gap_s = gap_s
        self.stats = Thingy52Stats()
        self._clock: ArrivalClockState | None = None

    def feed(self, data: bytes, arrival_s: float) -> SampleBlock:
        """The sample of one notification, timed from ``arrival_s`` (s); empty if malformed."""
        self.stats.notifications += 1
        try:
            sample = decode_raw(bytes(data))
        except ProtocolError as exc:
            self.stats.malformed_packets += 1
            kind = type(exc).__name__
            self.stats.errors[kind] = self.stats.errors.get(kind, 0) + 1
            return SampleBlock.empty()
        time_s, self._clock = smooth_sample_times(
            np.array([float(arrival_s)]), 1.0 / self.rate_hz, self._clock,
            max_clock_error=self.max_clock_error, gap_s=self.gap_s,
        )
        self.stats.samples += 1
        return SampleBlock(time_s=time_s, acc_g=sample.acc_g[None, :], gyr_dps=sample.gyr_dps[None, :])


PROTOCOL = SensorProtocol(
    name="thingy52",
    title="Nordic Thingy:52 (factory firmware, motion service raw data)",
    service_uuid=SERVICE_UUID,
    notify_uuid=RAW_UUID,
    command_uuid=CONFIG_UUID,
    start_commands=start_commands,
    new_stream=Thingy52Stream,
    clock=ARRIVAL_CLOCK,
    name_pattern=re.compile(r"^Thingy(?![:\s]*(?:53|91)\b)", re.IGNORECASE),
    rates_hz=RATES_HZ,
    advertised_uuids=(CONFIGURATION_SERVICE_UUID,),
    subscribe_first=False,
)
"""The Thingy advertises only its configuration service, so scans know it by that or by its
default name (not to be confused with the later Thingy:53 and Thingy:91, which speak other
protocols); a connection recognises it by the motion service. It is configured before
subscribing: writing the rate while subscribed restarts its motion sensor (about 0.3 s lost). Raw data stops when notifications
are switched off or the link closes, so there is nothing to stop."""
