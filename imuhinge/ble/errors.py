"""Exceptions of the BLE transport, under the package's one root.

Each means the user's setup cannot be used as it is (no Bluetooth, a sensor out of reach,
a name that fits two sensors), so each derives from ``BadInputError``: the command line
prints it as one sentence and exits with status 2. ``bluetooth_unavailable`` turns the
many ways bleak and D-Bus say "there is no Bluetooth here" into one of them.
"""

from __future__ import annotations

from ..errors import BadInputError


class BleError(BadInputError):
    """Root of the BLE transport's errors."""


class BluetoothUnavailableError(BleError):
    """No usable Bluetooth: no adapter, adapter off, BlueZ not running, or no system D-Bus."""


class SensorUnreachableError(BleError):
    """The sensor was not found, or never answered, within the configured attempts."""


class AmbiguousSensorError(BleError):
    """A sensor name given by the user fits more than one device in range."""


class SensorProtocolError(BleError):
    """The device connected but offers no GATT service of a protocol we speak."""


_ADVICE = "check that the computer has a Bluetooth adapter, that it is switched on, and that the bluetooth service is running"


def is_unavailable(exc: BaseException) -> bool:
    """True if ``exc`` says Bluetooth is unusable here, rather than that one device failed.

    A D-Bus error counts only when it is about the bus or BlueZ itself (no ``org.bluez``
    service, access denied), not a device-level ``org.bluez.Error.*`` answer.
    """
    from bleak.exc import BleakBluetoothNotAvailableError, BleakDBusError

    if isinstance(exc, BleakDBusError):
        return exc.dbus_error.startswith("org.freedesktop.DBus.Error.")
    if isinstance(exc, TimeoutError):
        return False
    return isinstance(exc, (OSError, EOFError, BleakBluetoothNotAvailableError))


def bluetooth_unavailable(exc: BaseException) -> BluetoothUnavailableError:
    """One sentence for the user saying why Bluetooth cannot be used, and what to check."""
    from bleak.exc import BleakBluetoothNotAvailableError, BleakDBusError

    if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)):
        why = "the system D-Bus is not reachable"
    elif isinstance(exc, PermissionError):
        why = "access to the system D-Bus was denied"
    elif isinstance(exc, BleakBluetoothNotAvailableError):
        why = str(exc.args[0]).rstrip(".").lower() if exc.args else "Bluetooth is not available"
    elif isinstance(exc, BleakDBusError) and exc.dbus_error.endswith(("ServiceUnknown", "NameHasNoOwner")):
        why = "the Bluetooth service (BlueZ) is not running"
    else:
        why = f"Bluetooth is not available ({type(exc).__name__})"
    return BluetoothUnavailableError(f"cannot use Bluetooth: {why}; {_ADVICE}")
