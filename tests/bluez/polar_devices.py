"""Emulated Polar H10 and Verity Sense for the emulated BlueZ (see README.md here).

Each sensor has the Polar Measurement Data service: a control point (read, write,
indicate) that answers every command as the sensors do (``F0 <op> <type> <status> <more>
[<parameters>]``, see firmware_protocols/polar/PROTOCOL.md) and a data characteristic
that starts streaming a session once the measurements are started: the H10 when its
accelerometer starts, the Verity Sense when both its accelerometer and gyroscope have.
The session's samples are encoded into PMD frames timestamped on a device clock: the
H10 sends raw int16 milli-g frames (frame type 0x01, as the H10 does), the Verity Sense
delta-compressed accelerometer (0x81) and gyroscope (0x80) frames of different sizes,
with the gyroscope sampled a little after the accelerometer.

    sensor = verity_sense(session=polar_session(seed=1000, rate_hz=104, duration_s=22))
    emu = bluez([sensor.spec])
    ... sensor.state.started, sensor.session.acc_counts ...
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from bluez.emulator import CharSpec, DeviceSpec, EmulatedDevice, ServiceSpec
from imuhinge.protocols import polar_pmd as pmd

H10_ADDRESS = "C0:FF:EE:00:00:31"
VERITY_ADDRESS = "C0:FF:EE:00:00:32"
HEART_RATE_SERVICE = "0000180d-0000-1000-8000-00805f9b34fb"
HEART_RATE_MEASUREMENT = "00002a37-0000-1000-8000-00805f9b34fb"
DEVICE_START_NS = 599_616_000_000_000_000 + 123_456_789_000
"""Device time of the first sample: a little after 2019-01-01, the H10's default time
after a shutdown (ns since 2000-01-01, TimeSystemExplained.md)."""
SEND_LATENCY_S = 0.004
"""A frame is notified this long after its last sample."""


@dataclass
class PolarSession:
    """A simulated session as the sensor holds it: counts per measurement and the frames
    (``(t_s, bytes)``, t_s from the start of streaming) that carry them."""

    rate_hz: float
    acc_counts: np.ndarray
    acc_times_ns: np.ndarray
    gyr_counts: np.ndarray | None
    gyr_times_ns: np.ndarray | None
    frames: dict[int, list[tuple[float, bytes]]]
    acc_factor_mg: float
    gyr_factor_dps: float

    @property
    def acc_g(self) -> np.ndarray:
        return self.acc_counts * (self.acc_factor_mg / 1000.0)

    @property
    def gyr_dps(self) -> np.ndarray | None:
        return None if self.gyr_counts is None else self.gyr_counts * self.gyr_factor_dps

    def merged(self, kinds) -> list[tuple[float, bytes]]:
        """The frames of the measurements ``kinds`` in sending order."""
        notes = [note for kind in kinds for note in self.frames.get(kind, [])]
        return sorted(notes, key=lambda note: note[0])


def polar_session(seed: int, rate_hz: float, duration_s: float, *, gyroscope: bool = True,
                  compressed: bool = True, acc_per_frame: int = 36, gyr_per_frame: int = 27,
                  block_samples: int = 255, gyro_lag_s: float = 0.002, acc_range_g: int = 8,
                  gyr_range_dps: int = 2000) -> PolarSession:
    """Encode ``duration_s`` of a simulated deadlift session (pelvis) into PMD frames.

    ``compressed`` False gives raw milli-g accelerometer frames (the H10's); True gives
    delta frames scaled by ``pmd.count_factor`` for the ranges (the Verity Sense's).
    """
    from imuhinge.simulation import SessionConfig, simulate_session

    config = SessionConfig.random(seed=seed, sensors=("pelvis",), rate_hz=float(rate_hz), scenario="deadlift")
    recording, _ = simulate_session(config)
    stream = recording.streams["pelvis"]
    n = int(duration_s * rate_hz)
    period_ns = 1e9 / rate_hz
    times_ns = DEVICE_START_NS + np.round(np.arange(n) * period_ns).astype(np.int64)
    acc_factor = pmd.count_factor(pmd.ACC, acc_range_g) if compressed else 1.0
    acc_counts = np.clip(np.round(stream.acc_g[:n] * 1000.0 / acc_factor), -32768, 32767).astype(np.int64)
    frames = {pmd.ACC: _frames(pmd.ACC, acc_counts, times_ns, rate_hz, acc_per_frame,
                               frame_type=1, compressed=compressed, block_samples=block_samples)}
    gyr_factor = pmd.count_factor(pmd.GYRO, gyr_range_dps)
    gyr_counts = gyr_times = None
    if gyroscope:
        gyr_counts = np.clip(np.round(stream.gyr_dps[:n] / gyr_factor), -32768, 32767).astype(np.int64)
        gyr_times = times_ns + int(gyro_lag_s * 1e9)
        frames[pmd.GYRO] = _frames(pmd.GYRO, gyr_counts, gyr_times, rate_hz, gyr_per_frame, frame_type=0,
                                   compressed=True, block_samples=block_samples, lag_s=gyro_lag_s)
    return PolarSession(float(rate_hz), acc_counts, times_ns, gyr_counts, gyr_times, frames, acc_factor, gyr_factor)


def _frames(kind, counts, times_ns, rate_hz, per_frame, *, frame_type, compressed, block_samples, lag_s=0.0):
    out = []
    for start in range(0, len(counts), per_frame):
        rows = slice(start, min(start + per_frame, len(counts)))
        last = rows.stop - 1
        frame = pmd.encode_frame(kind, int(times_ns[last]), counts[rows], frame_type=frame_type,
                                 compressed=compressed, block_samples=block_samples)
        out.append((last / rate_hz + lag_s + SEND_LATENCY_S, frame))
    return out


@dataclass
class PolarModelSpec:
    """What the emulated sensor accepts (as its firmware would check a start command)."""

    title: str
    measurements: tuple[int, ...]
    feature_bytes: bytes
    normal_rates_hz: tuple[int, ...]
    sdk_rates_hz: tuple[int, ...] | None
    acc_ranges: dict[bool, tuple[int, ...]]
    gyr_ranges: dict[bool, tuple[int, ...]] = field(default_factory=dict)
    start_factor: bool = False


H10_SPEC = PolarModelSpec(
    title="Polar H10", measurements=(pmd.ECG, pmd.ACC), feature_bytes=bytes((0x0F, 0x05, 0x00)),
    normal_rates_hz=(25, 50, 100, 200), sdk_rates_hz=None, acc_ranges={False: (2, 4, 8)},
)
VERITY_SPEC = PolarModelSpec(
    title="Polar Verity Sense", measurements=(pmd.PPG, pmd.ACC, pmd.PPI, pmd.GYRO, pmd.MAGNETOMETER),
    feature_bytes=bytes((0x0F, 0x6E, 0x02)), normal_rates_hz=(52,), sdk_rates_hz=(26, 52, 104, 208, 416),
    acc_ranges={False: (8,), True: (2, 4, 8, 16)}, gyr_ranges={False: (2000,), True: (250, 500, 1000, 2000)},
    start_factor=True,
)


class PolarState:
    """The emulated firmware's control point: answers commands, starts and stops streaming.

    ``factor_scale`` multiplies the factor the sensor reports (to emulate a sensor whose
    scaling differs from the one imuhinge assumes); ``sdk_mode_supported`` False emulates a
    Verity Sense with firmware older than 1.1.5 (answers "invalid measurement type").
    """

    def __init__(self, model: PolarModelSpec, session: PolarSession | None, *, factor_scale: float = 1.0,
                 sdk_mode_supported: bool = True) -> None:
        self.model = model
        self.session = session
        self.factor_scale = factor_scale
        self.sdk_mode_supported = sdk_mode_supported
        self.sdk_mode = False
        self.started: set[int] = set()
        self.answers: list[bytes] = []
        self._connection = -1

    def on_write(self, device: EmulatedDevice, data: bytes, _options: dict) -> None:
        if device.connects != self._connection:  # a new connection: streams end with the old one
            self._connection = device.connects
            self.started = set()
        answer, play = self.answer(data)
        self.answers.append(answer)
        device.send(pmd.CONTROL_POINT_UUID, answer)
        if play and self.session is not None:
            device.play(pmd.DATA_UUID, self.session.merged(self.model.measurements))

    def answer(self, command: bytes) -> tuple[bytes, bool]:
        """The control-point answer to ``command`` and whether streaming starts now."""
        if len(command) < 2:
            return bytes((pmd.RESPONSE_CODE, command[:1][0] if command else 0, 0, 4, 0)), False
        op, kind = command[0], command[1]
        if op == pmd.OP_START_MEASUREMENT and kind == pmd.SDK_MODE:
            return self._reply(op, kind, self._sdk_mode(True)), False
        if op == pmd.OP_STOP_MEASUREMENT and kind == pmd.SDK_MODE:
            return self._reply(op, kind, self._sdk_mode(False)), False
        if op not in (pmd.OP_START_MEASUREMENT, pmd.OP_STOP_MEASUREMENT):
            return self._reply(op, kind, 1), False
        if kind not in self.model.measurements:
            return self._reply(op, kind, 2), False
        if op == pmd.OP_STOP_MEASUREMENT:
            if kind not in self.started:
                return self._reply(op, kind, 6), False
            self.started.discard(kind)
            return self._reply(op, kind, 0), False
        if kind in self.started:
            return self._reply(op, kind, 6), False
        status, range_ = self._check_settings(kind, command[2:])
        if status:
            return self._reply(op, kind, status), False
        self.started.add(kind)
        parameters = b""
        if self.model.start_factor:
            factor = pmd.count_factor(kind, range_) * self.factor_scale
            parameters = bytes((pmd.SETTING_FACTOR, 1)) + struct.pack("<f", factor)
        streaming = [k for k in self.model.measurements if k in (pmd.ACC, pmd.GYRO)]
        return self._reply(op, kind, 0, parameters), all(k in self.started for k in streaming)

    def _sdk_mode(self, on: bool) -> int:
        if self.model.sdk_rates_hz is None or not self.sdk_mode_supported:
            return 2
        if self.started:
            return 12
        if self.sdk_mode == on:
            return 6
        self.sdk_mode = on
        return 0

    def _check_settings(self, kind: int, settings: bytes) -> tuple[int, int]:
        """(status, range) for a start command's settings."""
        try:
            values = pmd.decode_settings(settings)
        except Exception:
            return 4, 0
        rates = self.model.sdk_rates_hz if self.sdk_mode else self.model.normal_rates_hz
        ranges = (self.model.acc_ranges if kind == pmd.ACC else self.model.gyr_ranges).get(self.sdk_mode, ())
        rate = values.get(pmd.SETTING_SAMPLE_RATE, [None])[0]
        resolution = values.get(pmd.SETTING_RESOLUTION, [None])[0]
        range_ = values.get(pmd.SETTING_RANGE, [None])[0]
        channels = values.get(pmd.SETTING_CHANNELS, [3])[0]
        if rate not in rates:
            return 8, 0
        if resolution != 16:
            return 7, 0
        if range_ not in ranges:
            return 9, 0
        if channels != 3:
            return 11, 0
        return 0, int(range_)

    @staticmethod
    def _reply(op: int, kind: int, status: int, parameters: bytes = b"") -> bytes:
        return bytes((pmd.RESPONSE_CODE, op, kind, status, 0)) + parameters


@dataclass
class PolarSensor:
    """An emulated Polar sensor: ``spec`` for ``bluez([...])``, ``state`` its control point."""

    spec: DeviceSpec
    state: PolarState

    @property
    def session(self) -> PolarSession | None:
        return self.state.session


def _sensor(model: PolarModelSpec, name: str, address: str, session: PolarSession | None,
            advertise_pmd: bool, rssi: int, **state_options) -> PolarSensor:
    state = PolarState(model, session, **state_options)
    advertised = [HEART_RATE_SERVICE] + ([pmd.SERVICE_UUID] if advertise_pmd else [])
    spec = DeviceSpec(
        name=name, address=address, rssi=rssi, service_uuids=advertised,
        services=[
            ServiceSpec(HEART_RATE_SERVICE, [CharSpec(HEART_RATE_MEASUREMENT, ("notify",))]),
            ServiceSpec(pmd.SERVICE_UUID, [
                CharSpec(pmd.CONTROL_POINT_UUID, ("read", "write", "indicate"), value=model.feature_bytes,
                         on_write=state.on_write),
                CharSpec(pmd.DATA_UUID, ("notify",)),
            ]),
        ],
    )
    return PolarSensor(spec, state)


def polar_h10(session: PolarSession | None = None, *, name: str = "Polar H10 1A2B3C4D",
              address: str = H10_ADDRESS, advertise_pmd: bool = False, rssi: int = -55) -> PolarSensor:
    """An emulated Polar H10: accelerometer at 25 to 200 Hz, ±2/4/8 g, raw frames."""
    return _sensor(H10_SPEC, name, address, session, advertise_pmd, rssi)


def verity_sense(session: PolarSession | None = None, *, name: str = "Polar Sense 0A1B2C3D",
                 address: str = VERITY_ADDRESS, advertise_pmd: bool = False, rssi: int = -58,
                 factor_scale: float = 1.0, sdk_mode_supported: bool = True) -> PolarSensor:
    """An emulated Polar Verity Sense: accelerometer and gyroscope, 52 Hz or (SDK mode) 26 to 416 Hz."""
    return _sensor(VERITY_SPEC, name, address, session, advertise_pmd, rssi,
                   factor_scale=factor_scale, sdk_mode_supported=sdk_mode_supported)
