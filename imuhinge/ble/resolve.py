"""Turn what the user typed (an address or a sensor's name) into one device's address.

An address (``C0:FF:EE:00:00:01``, or a CoreBluetooth UUID on macOS) is used as given:
bleak finds it when connecting. A name is looked up by scanning and compared with each
device's sanitised advertised name, ignoring case; two devices with that name are an
error rather than a guess, because two units of one model usually share a name and
swapping pelvis and thorax would invert every lumbar angle.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from .errors import AmbiguousSensorError, SensorUnreachableError, bluetooth_unavailable, is_unavailable
from .recognise import recognise_protocol, sanitise_name
from .scan import advertised_name
from .settings import LinkSettings

ADDRESS_PATTERN = re.compile(
    r"^(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$"
    r"|^[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$"
)


@dataclass(frozen=True)
class ResolvedSensor:
    """Where to connect: the address, the sanitised name ("" if unknown) and the advertised protocol."""

    address: str
    name: str = ""
    protocol: str | None = None


def is_address(target: str) -> bool:
    """True if ``target`` is a Bluetooth address (or a macOS device UUID) rather than a name."""
    return bool(ADDRESS_PATTERN.match(target.strip()))


def normalise_address(target: str) -> str:
    """``c0-ff-ee-00-00-01`` -> ``C0:FF:EE:00:00:01``; a macOS UUID is upper-cased as is."""
    target = target.strip()
    if len(target) == 17:
        return target.replace("-", ":").upper()
    return target.upper()


async def resolve(target: str, settings: LinkSettings) -> ResolvedSensor:
    """The device ``target`` names; scans only when ``target`` is not an address.

    Raises ``SensorUnreachableError`` if no device of that name is seen within
    ``settings.scan_timeout_s``, ``AmbiguousSensorError`` if several are.
    """
    if is_address(target):
        return ResolvedSensor(normalise_address(target))
    from bleak import BleakScanner

    wanted = sanitise_name(target)
    matches: dict[str, ResolvedSensor] = {}
    seen_one = asyncio.Event()

    def on_advertisement(device, adv) -> None:
        name = advertised_name(device, adv)
        if name and name.casefold() == wanted.casefold():
            protocol = recognise_protocol(adv.service_uuids, adv.local_name or device.name)
            matches[device.address] = ResolvedSensor(device.address, name, protocol)
            seen_one.set()

    try:
        async with BleakScanner(detection_callback=on_advertisement):
            try:
                await asyncio.wait_for(seen_one.wait(), settings.scan_timeout_s)
            except TimeoutError:
                pass
            else:
                await asyncio.sleep(settings.name_settle_s)
    except Exception as exc:
        if is_unavailable(exc):
            raise bluetooth_unavailable(exc) from None
        raise
    if not matches:
        raise SensorUnreachableError(
            f"no sensor named '{wanted}' was seen in {settings.scan_timeout_s:g} s of scanning; "
            "check that it is switched on and not connected to another app, "
            "and run 'imuhinge scan' to see what is in range"
        )
    if len(matches) > 1:
        addresses = ", ".join(sorted(matches))
        raise AmbiguousSensorError(
            f"{len(matches)} sensors are named '{wanted}' ({addresses}); give the address instead of the name"
        )
    return next(iter(matches.values()))
