"""Find BLE devices in range and say which of them speak a protocol we support."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import bluetooth_unavailable, is_unavailable
from .recognise import recognise_protocol, sanitise_name


@dataclass(frozen=True)
class ScannedDevice:
    """One device seen while scanning; ``name`` is sanitised ("" when none was advertised)."""

    address: str
    name: str
    rssi_dbm: int | None
    protocol: str | None


def advertised_name(device, advertisement) -> str:
    """The device's sanitised name: the advertised local name, else what BlueZ knows it as."""
    return sanitise_name(advertisement.local_name or device.name or "")


async def scan(timeout_s: float) -> list[ScannedDevice]:
    """Every device advertising during ``timeout_s`` seconds, supported ones first, strongest first.

    Raises ``BluetoothUnavailableError`` when there is no adapter, no BlueZ or no system
    D-Bus, instead of bleak's or the bus's own exceptions.
    """
    from bleak import BleakScanner

    try:
        found = await BleakScanner.discover(timeout=timeout_s, return_adv=True)
    except Exception as exc:
        if is_unavailable(exc):
            raise bluetooth_unavailable(exc) from None
        raise
    devices = [
        ScannedDevice(
            address=device.address,
            name=advertised_name(device, adv),
            rssi_dbm=adv.rssi,
            protocol=recognise_protocol(adv.service_uuids, adv.local_name or device.name),
        )
        for device, adv in found.values()
    ]
    return sorted(devices, key=lambda d: (d.protocol is None, -(d.rssi_dbm if d.rssi_dbm is not None else -999)))
