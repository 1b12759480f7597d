# ruff: noqa: F821, F722  (D-Bus signatures as annotations: "s", "a{sv}", …)
"""An emulated BlueZ on a private D-Bus, for testing unmodified bleak without hardware.

``PrivateBus`` starts a ``dbus-daemon`` of its own (config in a temp dir, every user
allowed everything) and a fake ``bluetoothctl`` that reports BlueZ 5.72.
``BluezEmulator`` owns ``org.bluez`` on that bus from a thread with its own asyncio
loop and presents adapter ``hci0`` plus the devices it is given. Point bleak at it
with ``PrivateBus.env()`` (``DBUS_SYSTEM_BUS_ADDRESS`` and ``PATH``).

See tests/bluez/README.md for what bleak needs of BlueZ and the traps.

NB: no ``from __future__ import annotations`` here: dbus-fast reads the D-Bus type
signatures from the annotations ("s", "ay", ...) of the service methods.
"""

import asyncio
import atexit
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from dbus_fast import BusType, DBusError, PropertyAccess, RequestNameReply, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, dbus_property, method

BLUEZ = "org.bluez"
ERR_FAILED = "org.bluez.Error.Failed"
ERR_NOT_SUPPORTED = "org.bluez.Error.NotSupported"
ERR_NOT_PERMITTED = "org.bluez.Error.NotPermitted"
ERR_NOT_CONNECTED = "org.bluez.Error.NotConnected"
ERR_IN_PROGRESS = "org.bluez.Error.InProgress"
CCCD_UUID = "00002902-0000-1000-8000-00805f9b34fb"
FAKE_BLUEZ_VERSION = "5.72"

_BASE_UUID_TAIL = "-0000-1000-8000-00805f9b34fb"


def full_uuid(uuid: str) -> str:
    """'180d' / '0x180D' / a 128-bit UUID -> lower-case 128-bit form (what BlueZ reports)."""
    u = uuid.lower().removeprefix("0x")
    if len(u) == 4:
        return f"0000{u}{_BASE_UUID_TAIL}"
    if len(u) == 8:
        return f"{u}{_BASE_UUID_TAIL}"
    return u


# --------------------------------------------------------------------------- specs


class Periodic:
    """Notification source: ``fn(t_s)`` called at ``rate_hz``; t_s = 0, 1/rate, 2/rate, ...

    ``fn`` returning ``None`` ends the stream; so does reaching ``count``. Re-iterable:
    each subscription (StartNotify) restarts at t = 0.
    """

    def __init__(self, fn: Callable[[float], Optional[bytes]], rate_hz: float,
                 count: Optional[int] = None) -> None:
        self.fn, self.rate_hz, self.count = fn, float(rate_hz), count

    def __iter__(self):
        for i in itertools.count():
            if self.count is not None and i >= self.count:
                return
            t = i / self.rate_hz
            data = self.fn(t)
            if data is None:
                return
            yield t, bytes(data)


class SharedClock:
    """One session clock for several emulated sensors, started by the first subscription."""

    def __init__(self) -> None:
        self._start: Optional[float] = None

    def elapsed_s(self) -> float:
        if self._start is None:
            self._start = time.monotonic()
        return time.monotonic() - self._start


class OnSharedClock:
    """Notification source for sensors worn on one body: ``notes`` (t_s, bytes) are times on
    a ``SharedClock``, so a sensor subscribed late (or again after a drop) starts at the
    body's present moment and skips what it would have sent meanwhile, as a real sensor
    does; two sensors connected a second apart then still stream the same instant together.
    """

    def __init__(self, notes: Iterable[tuple[float, bytes]], clock: SharedClock) -> None:
        self.notes, self.clock = list(notes), clock

    def __iter__(self):
        elapsed_s = self.clock.elapsed_s()
        for t, data in self.notes:
            if t >= elapsed_s:
                yield t - elapsed_s, data


# A notification source is any *re-iterable* of (t_s, bytes), t_s relative to the
# StartNotify, non-decreasing: a list of (time, bytes), a Periodic, or your own class.
# (A one-shot generator works for the first subscription only.)
NotifySource = Iterable[tuple[float, bytes]]


@dataclass
class CharSpec:
    uuid: str
    flags: Sequence[str] = ("read",)
    value: bytes = b""  # initial value, returned by ReadValue
    source: Optional[NotifySource] = None  # notifications, started by StartNotify
    # called (on the emulator thread) with (device, data, options) for every write;
    # every write is also recorded in EmulatedDevice.writes
    on_write: Optional[Callable[["EmulatedDevice", bytes, dict], None]] = None


@dataclass
class ServiceSpec:
    uuid: str
    characteristics: Sequence[CharSpec] = ()
    primary: bool = True


@dataclass
class DeviceSpec:
    name: str
    address: str
    service_uuids: Sequence[str] = ()  # advertised
    rssi: int = -60
    manufacturer_data: dict[int, bytes] = field(default_factory=dict)
    service_data: dict[str, bytes] = field(default_factory=dict)
    services: Sequence[ServiceSpec] = ()  # the GATT table
    # "ok": connects; "hang": Connect never answers (only a Disconnect ends it);
    # "fail": Connect answers org.bluez.Error.Failed
    connect: str = "ok"
    connect_delay_s: float = 0.02
    advertise_interval_s: float = 0.1
    address_type: str = "public"


# --------------------------------------------------------------------------- D-Bus objects


class Adapter1(ServiceInterface):
    def __init__(self, emu: "BluezEmulator", name: str, address: str) -> None:
        super().__init__("org.bluez.Adapter1")
        self._emu, self._name, self._address = emu, name, address
        self._powered = True
        self._discovering = False
        self.filters: list[dict] = []  # every SetDiscoveryFilter, unpacked

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> "s":
        return self._address

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> "s":
        return "public"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> "s":
        return self._name

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> "s":
        return self._name

    @dbus_property(access=PropertyAccess.READ)
    def Class(self) -> "u":
        return 0

    @dbus_property()
    def Powered(self) -> "b":
        return self._powered

    @Powered.setter
    def Powered(self, value: "b"):
        self._powered = value

    @dbus_property(access=PropertyAccess.READ)
    def Discoverable(self) -> "b":
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Pairable(self) -> "b":
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Discovering(self) -> "b":
        return self._discovering

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> "as":
        return []

    @dbus_property(access=PropertyAccess.READ)
    def Modalias(self) -> "s":
        return "usb:v1D6Bp0246d054F"

    @dbus_property(access=PropertyAccess.READ)
    def Roles(self) -> "as":
        return ["central", "peripheral"]

    @method()
    def SetDiscoveryFilter(self, properties: "a{sv}"):
        self.filters.append({k: v.value for k, v in properties.items()})

    @method()
    def GetDiscoveryFilters(self) -> "as":
        return ["UUIDs", "RSSI", "Pathloss", "Transport", "DuplicateData", "Discoverable", "Pattern"]

    @method()
    def StartDiscovery(self):
        if not self._powered:
            raise DBusError("org.bluez.Error.NotReady", "Resource Not Ready")
        self._emu._discovery_sessions += 1
        self._emu._update_discovering()

    @method()
    def StopDiscovery(self):
        if self._emu._discovery_sessions <= 0:
            raise DBusError(ERR_FAILED, "No discovery started")
        self._emu._discovery_sessions -= 1
        self._emu._update_discovering()

    @method()
    def RemoveDevice(self, device: "o"):
        self._emu._remove_device_object(device)


class Device1(ServiceInterface):
    def __init__(self, dev: "EmulatedDevice") -> None:
        super().__init__("org.bluez.Device1")
        self._dev = dev
        self._trusted = False

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> "s":
        return self._dev.spec.address.upper()

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> "s":
        return self._dev.spec.address_type

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> "s":
        return self._dev.spec.name

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> "s":
        return self._dev.spec.name

    @dbus_property(access=PropertyAccess.READ)
    def Adapter(self) -> "o":
        return self._dev.emu.adapter_path

    @dbus_property(access=PropertyAccess.READ)
    def Paired(self) -> "b":
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Bonded(self) -> "b":
        return False

    @dbus_property()
    def Trusted(self) -> "b":
        return self._trusted

    @Trusted.setter
    def Trusted(self, value: "b"):
        self._trusted = value

    @dbus_property(access=PropertyAccess.READ)
    def Blocked(self) -> "b":
        return False

    @dbus_property(access=PropertyAccess.READ)
    def LegacyPairing(self) -> "b":
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Connected(self) -> "b":
        return self._dev.connected

    @dbus_property(access=PropertyAccess.READ)
    def ServicesResolved(self) -> "b":
        return self._dev.services_resolved

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> "as":
        # BlueZ merges advertised UUIDs with the resolved GATT services
        uuids = [full_uuid(u) for u in self._dev.spec.service_uuids]
        if self._dev.services_resolved:
            uuids += [full_uuid(s.uuid) for s in self._dev.spec.services]
        return sorted(set(uuids))

    @dbus_property(access=PropertyAccess.READ)
    def RSSI(self) -> "n":
        return self._dev.rssi

    @dbus_property(access=PropertyAccess.READ)
    def ManufacturerData(self) -> "a{qv}":
        return {k: Variant("ay", bytes(v)) for k, v in self._dev.spec.manufacturer_data.items()}

    @dbus_property(access=PropertyAccess.READ)
    def ServiceData(self) -> "a{sv}":
        return {full_uuid(k): Variant("ay", bytes(v)) for k, v in self._dev.spec.service_data.items()}

    @method()
    async def Connect(self):
        await self._dev._connect()

    @method()
    async def Disconnect(self):
        await self._dev._disconnect(reason="local")

    @method()
    def Pair(self):
        raise DBusError(ERR_NOT_SUPPORTED, "Pairing is not emulated")

    @method()
    def CancelPairing(self):
        raise DBusError("org.bluez.Error.DoesNotExist", "Does Not Exist")


class GattService1(ServiceInterface):
    def __init__(self, uuid: str, device_path: str, primary: bool, handle: int) -> None:
        super().__init__("org.bluez.GattService1")
        self._uuid, self._device, self._primary, self._handle = uuid, device_path, primary, handle

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":
        return self._uuid

    @dbus_property(access=PropertyAccess.READ)
    def Device(self) -> "o":
        return self._device

    @dbus_property(access=PropertyAccess.READ)
    def Primary(self) -> "b":
        return self._primary

    @dbus_property(access=PropertyAccess.READ)
    def Includes(self) -> "ao":
        return []

    @dbus_property(access=PropertyAccess.READ)
    def Handle(self) -> "q":
        return self._handle


class GattCharacteristic1(ServiceInterface):
    """No NotifyAcquired/WriteAcquired properties, and AcquireNotify/AcquireWrite refuse
    with NotSupported: bleak then uses StartNotify + PropertiesChanged(Value)."""

    def __init__(self, dev: "EmulatedDevice", spec: CharSpec, service_path: str, handle: int) -> None:
        super().__init__("org.bluez.GattCharacteristic1")
        self._dev, self.spec, self._service, self._handle = dev, spec, service_path, handle
        self.uuid = full_uuid(spec.uuid)
        self.value = bytes(spec.value)
        self.notifying = False
        self.stream_task: Optional[asyncio.Task] = None

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":
        return self.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Service(self) -> "o":
        return self._service

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> "ay":
        return self.value

    @dbus_property(access=PropertyAccess.READ)
    def Notifying(self) -> "b":
        return self.notifying

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> "as":
        return list(self.spec.flags)

    @dbus_property(access=PropertyAccess.READ)
    def MTU(self) -> "q":
        return 247

    @dbus_property(access=PropertyAccess.READ)
    def Handle(self) -> "q":
        return self._handle + 1  # value handle

    @method()
    def ReadValue(self, options: "a{sv}") -> "ay":
        self._dev._check_connected()
        if "read" not in self.spec.flags:
            raise DBusError(ERR_NOT_PERMITTED, "Read not permitted")
        # like BlueZ: a read also updates Value, hence a PropertiesChanged, which a
        # client with notifications on sees as one more notification
        self.emit_properties_changed({"Value": self.value})
        return self.value

    @method()
    def WriteValue(self, value: "ay", options: "a{sv}"):
        self._dev._check_connected()
        opts = {k: v.value for k, v in options.items()}
        kind = opts.get("type", "request")
        if not {"write", "write-without-response"} & set(self.spec.flags):
            raise DBusError(ERR_NOT_PERMITTED, "Write not permitted")
        data = bytes(value)
        self._dev.writes.append((self.uuid, data, kind))
        if self.spec.on_write is not None:
            self.spec.on_write(self._dev, data, opts)

    @method()
    def StartNotify(self):
        self._dev._check_connected()
        if "notify" not in self.spec.flags and "indicate" not in self.spec.flags:
            raise DBusError(ERR_NOT_SUPPORTED, "Operation is not supported")
        if self.notifying:
            return
        self.notifying = True
        self.emit_properties_changed({"Notifying": True})
        if self.spec.source is not None:
            self.stream_task = asyncio.get_running_loop().create_task(self._stream())

    @method()
    def StopNotify(self):
        if not self.notifying:
            raise DBusError(ERR_FAILED, "No notify session started")
        self._stop_stream()
        self.notifying = False
        self.emit_properties_changed({"Notifying": False})

    @method()
    def AcquireNotify(self, options: "a{sv}") -> "hq":
        raise DBusError(ERR_NOT_SUPPORTED, "Operation is not supported")

    @method()
    def AcquireWrite(self, options: "a{sv}") -> "hq":
        raise DBusError(ERR_NOT_SUPPORTED, "Operation is not supported")

    def notify(self, data: bytes) -> None:
        self.value = bytes(data)
        self._dev.sent.setdefault(self.uuid, []).append(self.value)
        self.emit_properties_changed({"Value": self.value})

    def _stop_stream(self) -> None:
        if self.stream_task is not None:
            self.stream_task.cancel()
            self.stream_task = None

    def play(self, source: NotifySource) -> None:
        """Start notifying ``source`` now (replacing any stream in progress); for devices that
        stream only once a command asks them to (call it from an ``on_write``)."""
        self._stop_stream()
        self.stream_task = asyncio.get_running_loop().create_task(self._stream(source))

    async def _stream(self, source: Optional[NotifySource] = None) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for t, data in (self.spec.source if source is None else source):
            delay = t0 + t - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not (self.notifying and self._dev.connected):
                return
            self.notify(data)


class GattDescriptor1(ServiceInterface):
    def __init__(self, uuid: str, char_path: str, value: bytes) -> None:
        super().__init__("org.bluez.GattDescriptor1")
        self._uuid, self._char, self.value = uuid, char_path, value

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":
        return self._uuid

    @dbus_property(access=PropertyAccess.READ)
    def Characteristic(self) -> "o":
        return self._char

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> "ay":
        return self.value

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> "as":
        return ["read"]

    @method()
    def ReadValue(self, options: "a{sv}") -> "ay":
        return self.value

    @method()
    def WriteValue(self, value: "ay", options: "a{sv}"):
        # BlueZ refuses client writes to the CCCD: use StartNotify
        raise DBusError(ERR_NOT_PERMITTED, "Write not permitted")


# --------------------------------------------------------------------------- device model


class EmulatedDevice:
    """Runtime state of one emulated peripheral. Lives on the emulator thread; read the
    logs (``writes``, ``sent``, ``connects``) from tests through the emulator's helpers."""

    def __init__(self, emu: "BluezEmulator", spec: DeviceSpec) -> None:
        self.emu, self.spec = emu, spec
        self.path = f"{emu.adapter_path}/dev_{spec.address.upper().replace(':', '_')}"
        self.rssi = spec.rssi
        self.present = True  # in range: advertises, accepts Connect
        self.exported = False
        self.connected = False
        self.services_resolved = False
        self.iface = Device1(self)
        self.chars: dict[str, GattCharacteristic1] = {}  # full uuid -> char of this connection
        self._gatt_paths: list[str] = []
        self._pending_connect: Optional[asyncio.Future] = None
        self._present_event = asyncio.Event()
        self._present_event.set()
        self.writes: list[tuple[str, bytes, str]] = []  # (char uuid, data, "request"/"command")
        self.sent: dict[str, list[bytes]] = {}  # char uuid -> every notification sent
        self.connects = 0  # Connect calls received
        self.disconnects: list[str] = []  # reasons: "local" (client asked), "remote" (dropped)

    # -- for on_write callbacks (they run on the emulator thread, in its event loop)
    def send(self, char_uuid: str, data: bytes) -> None:
        """Notify (or indicate) ``data`` on a characteristic now: a command's answer, say."""
        self.chars[full_uuid(char_uuid)].notify(data)

    def play(self, char_uuid: str, source: NotifySource) -> None:
        """Start streaming ``source`` on a characteristic now, as a device does once a start
        command arrives; ``_stream`` stops it if the client unsubscribes or disconnects."""
        self.chars[full_uuid(char_uuid)].play(source)

    # -- helpers
    def _set(self, **props: Any) -> None:
        self.iface.emit_properties_changed(props)

    def _check_connected(self) -> None:
        if not self.connected:
            raise DBusError(ERR_NOT_CONNECTED, "Not Connected")

    def export(self) -> None:
        if not self.exported:
            self.exported = True
            self.emu.bus.export(self.path, self.iface)

    # -- connection
    async def _connect(self) -> None:
        self.connects += 1
        if self.connected:
            return
        if self._pending_connect is not None:
            raise DBusError(ERR_IN_PROGRESS, "In Progress")
        loop = asyncio.get_running_loop()
        self._pending_connect = fut = loop.create_future()
        try:
            if self.spec.connect == "hang":
                await fut  # only Disconnect / teardown ends it
            elif self.spec.connect == "fail":
                raise DBusError(ERR_FAILED, "le-connection-abort-by-remote")
            # out of range: wait until it comes back (or Disconnect cancels)
            waiter = loop.create_task(self._present_event.wait())
            done, _ = await asyncio.wait({waiter, fut}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if fut in done:
                fut.result()
            await asyncio.sleep(self.spec.connect_delay_s)
        finally:
            self._pending_connect = None
        # the order bleak relies on: Connected=true before the Connect reply, then the
        # GATT objects (InterfacesAdded), then ServicesResolved=true
        self.connected = True
        self._set(Connected=True)
        self._export_gatt()
        loop.call_later(0.02, self._resolve_services)
        # let the signals reach bleak's manager connection before the reply reaches the
        # client's (separate) connection
        await asyncio.sleep(0.01)

    def _resolve_services(self) -> None:
        if self.connected and not self.services_resolved:
            self.services_resolved = True
            self._set(ServicesResolved=True, UUIDs=self.iface.UUIDs)

    def _export_gatt(self) -> None:
        handle = 0x000A
        for svc in self.spec.services:
            spath = f"{self.path}/service{handle:04x}"
            self.emu.bus.export(spath, GattService1(full_uuid(svc.uuid), self.path, svc.primary, handle))
            self._gatt_paths.append(spath)
            handle += 1
            for cspec in svc.characteristics:
                cpath = f"{spath}/char{handle:04x}"
                char = GattCharacteristic1(self, cspec, spath, handle)
                self.emu.bus.export(cpath, char)
                self._gatt_paths.append(cpath)
                self.chars[char.uuid] = char
                handle += 2  # declaration + value
                if "notify" in cspec.flags or "indicate" in cspec.flags:
                    dpath = f"{cpath}/desc{handle:04x}"
                    self.emu.bus.export(dpath, GattDescriptor1(CCCD_UUID, cpath, b"\x00\x00"))
                    self._gatt_paths.append(dpath)
                    handle += 1
            handle += 1

    def _unexport_gatt(self) -> None:
        for char in self.chars.values():
            char._stop_stream()
            char.notifying = False
        self.chars = {}
        for path in reversed(self._gatt_paths):
            self.emu.bus.unexport(path)  # InterfacesRemoved
        self._gatt_paths = []

    async def _disconnect(self, reason: str) -> None:
        if self._pending_connect is not None and not self._pending_connect.done():
            self._pending_connect.set_exception(DBusError(ERR_FAILED, "Operation aborted"))
        if not self.connected:
            return
        self.disconnects.append(reason)
        self._unexport_gatt()
        self.services_resolved = False
        self._set(ServicesResolved=False)
        self.connected = False
        self._set(Connected=False)

    def set_present(self, present: bool) -> None:
        self.present = present
        if present:
            self._present_event.set()
        else:
            self._present_event.clear()

    def advertise(self) -> None:
        """One advertisement seen while discovering."""
        if not self.present or self.connected:
            return
        if not self.exported:
            self.export()  # InterfacesAdded with all the advertised properties
        else:
            self._set(RSSI=self.rssi)


# --------------------------------------------------------------------------- private bus


_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""


def _die_with_parent() -> None:
    """In the dbus-daemon child: get SIGTERM when the parent dies, even by SIGKILL (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class PrivateBus:
    """A private ``dbus-daemon`` plus a fake ``bluetoothctl``, in a temp dir."""

    def __init__(self) -> None:
        self.dir: Optional[str] = None
        self.proc: Optional[subprocess.Popen] = None
        self.address: Optional[str] = None
        self.log: Optional[str] = None

    def start(self) -> "PrivateBus":
        daemon = shutil.which("dbus-daemon")
        if daemon is None:
            raise FileNotFoundError("dbus-daemon not found (Debian package 'dbus')")
        self.dir = tempfile.mkdtemp(prefix="imuhinge-bluez-")
        conf = os.path.join(self.dir, "bus.conf")
        with open(conf, "w") as f:
            f.write(_BUS_CONFIG.format(socket=os.path.join(self.dir, "system_bus_socket")))
        bindir = os.path.join(self.dir, "bin")
        os.mkdir(bindir)
        ctl = os.path.join(bindir, "bluetoothctl")
        with open(ctl, "w") as f:
            # bleak runs `bluetoothctl --version` and needs >= 5.55; without one it only
            # assumes so (with a warning), and a host's real one could say anything
            f.write(f"#!/bin/sh\necho 'bluetoothctl: {FAKE_BLUEZ_VERSION}'\n")
        os.chmod(ctl, 0o755)
        self.log = os.path.join(self.dir, "dbus-daemon.log")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [daemon, f"--config-file={conf}", "--nofork", "--nopidfile", "--nosyslog",
                 "--print-address=1"],
                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, stderr=log,
                start_new_session=True, preexec_fn=_die_with_parent,
            )
        atexit.register(self.stop)  # also when the test session is interrupted
        line = self.proc.stdout.readline().decode().strip()
        if not line:
            with open(self.log, errors="replace") as f:
                why = f.read().strip()
            self.stop()
            raise RuntimeError(f"dbus-daemon did not print its address: {why}")
        self.address = line
        return self

    def env(self) -> dict[str, str]:
        """The environment bleak needs: the private bus and the fake bluetoothctl first on PATH."""
        assert self.dir is not None and self.address is not None
        return {
            "DBUS_SYSTEM_BUS_ADDRESS": self.address,
            "PATH": os.path.join(self.dir, "bin") + os.pathsep + os.environ.get("PATH", ""),
        }

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> "PrivateBus":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# --------------------------------------------------------------------------- emulator


class BluezEmulator:
    """Emulated ``bluetoothd``: owns ``org.bluez`` on ``bus_address``, runs on its own thread.

    Control methods are thread-safe and synchronous (they run on the emulator loop and
    wait for it, which takes milliseconds): calling them from a test's coroutine is fine.
    """

    def __init__(self, bus_address: str, devices: Sequence[DeviceSpec] = (), adapter: str = "hci0",
                 adapter_address: str = "00:1A:7D:DA:71:13") -> None:
        self.bus_address = bus_address
        self.adapter_path = f"/org/bluez/{adapter}"
        self._adapter_name, self._adapter_address = adapter, adapter_address
        self._specs = list(devices)
        self.devices: dict[str, EmulatedDevice] = {}
        self.bus: Optional[MessageBus] = None
        self.adapter: Optional[Adapter1] = None
        self._discovery_sessions = 0
        self._adv_task: Optional[asyncio.Task] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle
    def start(self, timeout: float = 10.0) -> "BluezEmulator":
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="bluez-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("BlueZ emulator did not start")
        self._run_sync(self._setup(), timeout)
        return self

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(ready.set)
        self._loop.run_forever()
        # drain what stop() cancelled
        pending = asyncio.all_tasks(self._loop)
        if pending:
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    async def _setup(self) -> None:
        self.bus = await MessageBus(bus_address=self.bus_address, bus_type=BusType.SYSTEM).connect()
        self.adapter = Adapter1(self, self._adapter_name, self._adapter_address)
        self.bus.export(self.adapter_path, self.adapter)
        for spec in self._specs:
            self.devices[spec.address.upper()] = EmulatedDevice(self, spec)
        reply = await self.bus.request_name(BLUEZ)
        if reply != RequestNameReply.PRIMARY_OWNER:
            raise RuntimeError(f"could not own {BLUEZ} on the private bus: {reply!r}")

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is None or self._thread is None:
            return
        if self._thread.is_alive():
            try:
                self._run_sync(self._teardown(), timeout)
            except Exception:
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
        self._thread = None

    async def _teardown(self) -> None:
        if self._adv_task is not None:
            self._adv_task.cancel()
        for dev in self.devices.values():
            if dev._pending_connect is not None and not dev._pending_connect.done():
                dev._pending_connect.set_exception(DBusError(ERR_FAILED, "Emulator stopped"))
            for char in dev.chars.values():
                char._stop_stream()
        await asyncio.sleep(0)
        if self.bus is not None:
            self.bus.disconnect()
            try:
                await asyncio.wait_for(self.bus.wait_for_disconnect(), 2)
            except Exception:
                pass
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()

    def __enter__(self) -> "BluezEmulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _run_sync(self, coro, timeout: float = 5.0):
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _call(self, fn: Callable[[], Any], timeout: float = 5.0) -> Any:
        async def run():
            return fn()
        return self._run_sync(run(), timeout)

    # -- discovery
    def _update_discovering(self) -> None:
        on = self._discovery_sessions > 0
        if on == self.adapter._discovering:
            return
        self.adapter._discovering = on
        self.adapter.emit_properties_changed({"Discovering": on})
        if on:
            self._adv_task = asyncio.get_running_loop().create_task(self._advertise())
        elif self._adv_task is not None:
            self._adv_task.cancel()
            self._adv_task = None

    async def _advertise(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = {a: loop.time() for a in self.devices}
        while True:
            now = loop.time()
            for addr, dev in self.devices.items():
                if now >= next_at[addr]:
                    dev.advertise()
                    next_at[addr] = now + dev.spec.advertise_interval_s
            await asyncio.sleep(0.01)

    def _remove_device_object(self, path: str) -> None:
        for dev in self.devices.values():
            if dev.path == path and dev.exported:
                dev._unexport_gatt()
                dev.connected = dev.services_resolved = False
                self.bus.unexport(dev.path)
                dev.exported = False
                return
        raise DBusError("org.bluez.Error.DoesNotExist", "Does Not Exist")

    # -- controls for tests
    def _dev(self, address: str) -> EmulatedDevice:
        return self.devices[address.upper()]

    def drop(self, address: str, *, vanish: bool = False) -> None:
        """Link loss: notifications stop, GATT objects go, ServicesResolved=false then
        Connected=false. ``vanish=True`` also takes it out of range: no advertising, and a
        Connect waits (until ``reappear`` or bleak's timeout)."""
        dev = self._dev(address)

        async def run():
            if vanish:
                dev.set_present(False)
            await dev._disconnect(reason="remote")
        self._run_sync(run())

    def reappear(self, address: str) -> None:
        """Back in range: advertises again and accepts (or completes a pending) Connect."""
        dev = self._dev(address)
        self._call(lambda: dev.set_present(True))

    def notify(self, address: str, char_uuid: str, data: bytes) -> None:
        """Send one notification now (any bytes: malformed/truncated ones too), as long as
        the device is connected (subscribed or not: BlueZ forwards Value changes anyway)."""
        dev = self._dev(address)

        def run():
            dev._check_connected()
            dev.chars[full_uuid(char_uuid)].notify(data)
        self._call(run)

    def set_rssi(self, address: str, rssi: int) -> None:
        dev = self._dev(address)
        self._call(lambda: setattr(dev, "rssi", rssi))

    def sent(self, address: str, char_uuid: str) -> list[bytes]:
        """Every notification sent on that characteristic (all connections), in order."""
        dev = self._dev(address)
        return self._call(lambda: list(dev.sent.get(full_uuid(char_uuid), [])))

    def writes(self, address: str) -> list[tuple[str, bytes, str]]:
        """Every write received: (char uuid, data, "request" | "command"), in order."""
        dev = self._dev(address)
        return self._call(lambda: list(dev.writes))

    def connected(self, address: str) -> bool:
        dev = self._dev(address)
        return self._call(lambda: dev.connected)

    def notifying(self, address: str, char_uuid: str) -> bool:
        dev = self._dev(address)
        return self._call(lambda: (c := dev.chars.get(full_uuid(char_uuid))) is not None and c.notifying)

    def stats(self, address: str) -> dict[str, Any]:
        dev = self._dev(address)
        return self._call(lambda: {"connects": dev.connects, "disconnects": list(dev.disconnects),
                                   "connected": dev.connected, "present": dev.present})

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.01) -> bool:
        """Poll a predicate (e.g. lambda: len(emu.sent(a, u)) >= 10) from a thread."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(interval)
        return predicate()
