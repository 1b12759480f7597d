"""Emulated commercial sensors for the emulated BlueZ: a Nordic Thingy:52 and a Movesense.

Each factory returns a ``DeviceSpec`` whose GATT table and behaviour follow the vendor's
firmware as described in ``firmware_protocols/<name>/PROTOCOL.md``, streaming samples the
test hands it (usually a simulated session). Samples sit in *slots*: slot ``k`` is the
sensor's ``k``-th sampling instant, ``k / rate`` after it started (``sample_slots`` finds
them from a simulated stream's jittered times); a slot without a sample was lost on the
way, so the sensor sampled it but the host never receives it.

* ``thingy52_device``: advertises its name and the Thingy configuration service; the
  motion service's raw-data characteristic streams one 18-byte notification per sample,
  at its slot's time for the stored motion frequency, as soon as notifications are on. A configuration write
  is checked as the firmware checks it (a refused one fails with "Write not permitted"),
  stored (it survives reconnections, as in the Thingy's flash), and a new frequency
  restarts the motion sensor: a pause of ``restart_s``, then samples at the new rate.
  Samples continue where they stopped, across reconnections.
* ``movesense_device``: advertises ``Movesense <serial>`` and its Whiteboard service; the
  GSP service answers ``HELLO`` with ``Hello``, starts streaming IMU6 blocks on a
  ``SUBSCRIBE`` to ``/Meas/IMU6/<its rate>`` (each block's payload split into
  ``DATA``/``DATA_PART2`` notifications beyond 150 bytes; a block with a lost slot is
  not sent at all) and stops on ``UNSUBSCRIBE`` or a disconnection. Time stamps follow
  the sensor's uptime clock, so a subscription made after an outage resumes at the
  sample the session has reached by then.

Only what the sensors' firmware does and imuhinge touches is emulated: services other
than the ones listed (environment, UI, sound, DFU on the Thingy) are left out.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence

import numpy as np
from dbus_fast import DBusError

from bluez.emulator import ERR_NOT_PERMITTED, CharSpec, DeviceSpec, ServiceSpec, full_uuid
from imuhinge.protocols import errors, movesense, thingy52

THINGY_ADDRESS = "C0:FF:EE:00:00:21"
MOVESENSE_ADDRESS = "C0:FF:EE:00:00:22"
MOVESENSE_NAME = "Movesense 223430000123"

THINGY_RESTART_S = 0.3
"""Pause after a new motion frequency: the firmware powers the MPU-9250 down and up and
reloads the DMP before samples flow again."""
MOVESENSE_SAMPLES_PER_BLOCK = 8
"""Samples per IMU6 block at 104 Hz: what the vendor's Python client reads per IMU9 block at 104 Hz."""
MOVESENSE_IMU_RATES_HZ = (13, 26, 52, 104, 208, 416, 833, 1666)
"""Every rate the sensor's IMU accepts (imuhinge asks for fewer)."""


def sample_slots(time_s: np.ndarray, rate_hz: float) -> np.ndarray:
    """The sampling slot of each sample of a stream sampled regularly at ``rate_hz`` whose
    reported times carry jitter (under half a period) and gaps where samples were lost."""
    slots = np.round((np.asarray(time_s, dtype=np.float64) - time_s[0]) * rate_hz).astype(np.int64)
    if np.any(np.diff(slots) < 1):
        raise ValueError("two samples fall in one slot: the times do not follow that rate")
    return slots


# --------------------------------------------------------------------------- Thingy:52


def thingy52_notifications(acc_g: np.ndarray, gyr_dps: np.ndarray) -> list[bytes]:
    """The raw-data notifications a Thingy sends for specific force (g) and rate (°/s), (n, 3) each."""
    acc_raw, gyr_raw = thingy52.raw_counts(acc_g, gyr_dps)
    return [thingy52.encode_raw(tuple(a), tuple(w)) for a, w in zip(acc_raw.tolist(), gyr_raw.tolist())]


class _ThingyState:
    """One emulated Thingy's stored configuration and how far its samples have been sent."""

    def __init__(self, notifications: Sequence[bytes], slots: Sequence[int], config: thingy52.MotionConfig,
                 restart_s: float):
        self.notifications = list(notifications)
        self.slots = [int(k) for k in slots]
        self.config = config
        self.restart_s = restart_s
        self.next_index = 0
        self.config_spec: CharSpec | None = None

    def source(self, delay_s: float = 0.0) -> _ThingySamples:
        return _ThingySamples(self, delay_s)

    def on_config_write(self, device, data: bytes, _options: dict) -> None:
        """The firmware's authorisation check, flash store and configuration apply."""
        try:
            config = thingy52.decode_config(data)
        except errors.ProtocolError:
            raise DBusError(ERR_NOT_PERMITTED, "Write not permitted") from None
        new_rate = config.motion_freq_hz != self.config.motion_freq_hz
        self.config = config
        self.config_spec.value = bytes(data)
        device.chars[full_uuid(thingy52.CONFIG_UUID)].value = bytes(data)
        raw = device.chars.get(full_uuid(thingy52.RAW_UUID))
        if new_rate and raw is not None and raw.notifying:
            device.play(thingy52.RAW_UUID, self.source(self.restart_s))


class _ThingySamples:
    """Re-iterable notification source: each pass continues from the next unsent sample at
    the configured rate (a new subscription, or a rate change, starts a new pass)."""

    def __init__(self, state: _ThingyState, delay_s: float):
        self.state, self.delay_s = state, delay_s

    def __iter__(self):
        state = self.state
        period_s = 1.0 / thingy52.output_rate_hz(state.config.motion_freq_hz)
        if state.next_index >= len(state.notifications):
            return
        first_slot = state.slots[state.next_index]
        while state.next_index < len(state.notifications):
            yield (self.delay_s + (state.slots[state.next_index] - first_slot) * period_s,
                   state.notifications[state.next_index])
            # asked for the next one: this one was sent (a stopped pass never comes back here)
            state.next_index += 1


def thingy52_device(name: str = thingy52.DEFAULT_NAME, address: str = THINGY_ADDRESS, *,
                    notifications: Sequence[bytes] = (), slots: Sequence[int] | None = None,
                    motion_freq_hz: int = thingy52.DEFAULT_MOTION_FREQ_HZ,
                    restart_s: float = THINGY_RESTART_S, rssi: int = -55) -> DeviceSpec:
    """An emulated Thingy:52 holding ``notifications`` to stream (in ``slots``, consecutive if
    None) and the stored frequency ``motion_freq_hz`` (the factory's 10 Hz by default)."""
    slots = range(len(notifications)) if slots is None else slots
    state = _ThingyState(notifications, slots, thingy52.MotionConfig(motion_freq_hz=motion_freq_hz), restart_s)
    config = CharSpec(thingy52.CONFIG_UUID, ("read", "write"), value=thingy52.encode_config(state.config),
                      on_write=state.on_config_write)
    state.config_spec = config
    motion = [
        config,
        CharSpec(thingy52.TAP_UUID, ("notify",)),
        CharSpec(thingy52.ORIENTATION_UUID, ("notify",)),
        CharSpec(thingy52.QUATERNION_UUID, ("notify",)),
        CharSpec(thingy52.PEDOMETER_UUID, ("notify",)),
        CharSpec(thingy52.RAW_UUID, ("notify",), source=state.source()),
        CharSpec(thingy52.EULER_UUID, ("notify",)),
        CharSpec(thingy52.ROTATION_MATRIX_UUID, ("notify",)),
        CharSpec(thingy52.HEADING_UUID, ("notify",)),
        CharSpec(thingy52.GRAVITY_UUID, ("notify",)),
    ]
    return DeviceSpec(
        name=name, address=address, rssi=rssi,
        service_uuids=[thingy52.CONFIGURATION_SERVICE_UUID],
        manufacturer_data={0x0059: b""},
        services=[
            ServiceSpec(thingy52.CONFIGURATION_SERVICE_UUID, [
                CharSpec(thingy52.DEVICE_NAME_UUID, ("read", "write"), value=name.encode()),
            ]),
            ServiceSpec(thingy52.SERVICE_UUID, motion),
            ServiceSpec(thingy52.BATTERY_SERVICE_UUID, [
                CharSpec(thingy52.BATTERY_LEVEL_UUID, ("read", "notify"), value=bytes([87])),
            ]),
        ],
    )


# --------------------------------------------------------------------------- Movesense


def movesense_payloads(acc_g: np.ndarray, gyr_dps: np.ndarray, rate_hz: float, *,
                       slots: Sequence[int] | None = None,
                       samples_per_block: int = MOVESENSE_SAMPLES_PER_BLOCK,
                       clock_start_ms: int = 1_234_567) -> dict[int, bytes]:
    """IMU6 payloads by block number, of the given samples (specific force in g, rate in
    °/s; in ``slots``, consecutive if None). Block ``b`` holds slots ``b*n .. b*n+n-1`` and
    is left out unless all of them are there; its time stamp is the sensor's uptime (ms)
    at its first sample."""
    acc_mps2 = np.asarray(acc_g, dtype=np.float64) * movesense.STANDARD_GRAVITY_MPS2
    gyr = np.asarray(gyr_dps, dtype=np.float64)
    slots = np.arange(len(acc_mps2)) if slots is None else np.asarray(slots)
    row_of = {int(k): i for i, k in enumerate(slots)}
    payloads = {}
    for block in range(int(slots[-1]) // samples_per_block + 1 if len(slots) else 0):
        first = block * samples_per_block
        rows = [row_of.get(first + j) for j in range(samples_per_block)]
        if None in rows:
            continue
        stamp_ms = (clock_start_ms + round(first * 1000.0 / rate_hz)) % movesense.CLOCK_MODULUS_MS
        payloads[block] = movesense.encode_imu6(stamp_ms, acc_mps2[rows], gyr[rows])
    return payloads


class _MovesenseState:
    """One emulated Movesense running gatt_sensordata_app: its IMU6 session and subscription."""

    def __init__(self, payloads: dict[int, bytes], rate_hz: float, samples_per_block: int, part_bytes: int):
        self.payloads = dict(payloads)
        self.rate_hz = float(rate_hz)
        self.samples_per_block = samples_per_block
        self.part_bytes = part_bytes
        self.first_subscribed_s: float | None = None
        self.reference: int | None = None
        self.next_block = 0

    def on_command(self, device, data: bytes, _options: dict) -> None:
        """``handleIncomingCommand`` of the firmware, for the commands it knows."""
        if len(data) < 2:
            return
        command, reference, rest = data[0], data[1], bytes(data[2:])
        if command == movesense.CMD_HELLO:
            device.send(movesense.NOTIFY_UUID, bytes((movesense.RESPONSE_COMMAND_RESULT, reference)) + b"Hello")
        elif command == movesense.CMD_SUBSCRIBE:
            self._subscribe(device, reference, rest.decode("ascii", errors="replace"))
        elif command == movesense.CMD_UNSUBSCRIBE and reference == self.reference:
            self.reference = None
            device.play(movesense.NOTIFY_UUID, [])

    def _subscribe(self, device, reference: int, path: str) -> None:
        match = re.fullmatch(r"/Meas/IMU6/(\d+)", path)
        if match is None or int(match.group(1)) not in MOVESENSE_IMU_RATES_HZ:
            return  # the subscription fails; this firmware sends no result for it
        if float(match.group(1)) != self.rate_hz:
            return  # a rate the test gave no samples for: nothing to stream
        now_s = time.monotonic()
        if self.first_subscribed_s is None:
            self.first_subscribed_s = now_s
        session_s = now_s - self.first_subscribed_s
        block_s = self.samples_per_block / self.rate_hz
        first = max(self.next_block, math.ceil(session_s / block_s - 1e-9))
        self.reference = reference
        device.play(movesense.NOTIFY_UUID, _MovesenseBlocks(self, first, session_s, reference))


class _MovesenseBlocks:
    """Notification source of one subscription: each block's notifications, sent when its
    last sample has been measured (times relative to the subscription)."""

    def __init__(self, state: _MovesenseState, first_block: int, session_s: float, reference: int):
        self.state, self.first_block, self.session_s, self.reference = state, first_block, session_s, reference

    def __iter__(self):
        state = self.state
        for k in sorted(b for b in state.payloads if b >= self.first_block):
            ready_s = ((k + 1) * state.samples_per_block - 1) / state.rate_hz - self.session_s
            for note in movesense.data_notifications(state.payloads[k], self.reference, state.part_bytes):
                yield max(ready_s, 0.0), note
            state.next_block = k + 1


def movesense_device(name: str = MOVESENSE_NAME, address: str = MOVESENSE_ADDRESS, *,
                     payloads: dict[int, bytes] | None = None, rate_hz: float = 104.0,
                     samples_per_block: int = MOVESENSE_SAMPLES_PER_BLOCK,
                     part_bytes: int = movesense.PART_BYTES, rssi: int = -58) -> DeviceSpec:
    """An emulated Movesense with the GSP firmware, holding IMU6 ``payloads`` (by block
    number, see ``movesense_payloads``) measured at ``rate_hz``."""
    state = _MovesenseState(payloads or {}, rate_hz, samples_per_block, part_bytes)
    return DeviceSpec(
        name=name, address=address, rssi=rssi,
        service_uuids=[movesense.WHITEBOARD_SERVICE_UUID],
        services=[
            ServiceSpec(movesense.WHITEBOARD_SERVICE_UUID, []),
            ServiceSpec(movesense.SERVICE_UUID, [
                CharSpec(movesense.COMMAND_UUID, ("write",), on_write=state.on_command),
                CharSpec(movesense.NOTIFY_UUID, ("notify",)),
            ]),
        ],
    )
