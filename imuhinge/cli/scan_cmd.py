"""``imuhinge scan``: list the Bluetooth sensors in range and the protocol each speaks."""

from __future__ import annotations

import argparse

from ..errors import BadInputError

DEFAULT_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 120.0


def register(commands) -> None:
    parser = commands.add_parser(
        "scan",
        help="list the Bluetooth IMUs in range",
        description="Scan for Bluetooth LE devices and list those that speak a supported "
        "protocol (WitMotion, the imuhinge reference sensor, Nordic Thingy:52, Polar H10 and "
        "Verity Sense, Movesense): name, address, signal strength and protocol. Use the name "
        "or the address with 'imuhinge live --pelvis'.",
    )
    parser.add_argument(
        "--timeout", metavar="S", type=float, default=DEFAULT_TIMEOUT_S,
        help=f"how long to scan, in seconds (default {DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument("--all", action="store_true", help="also list devices that speak no supported protocol")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from rich.console import Console

    from ..ble.scan import scan

    if not 0 < args.timeout <= MAX_TIMEOUT_S:
        raise BadInputError(f"--timeout must be more than 0 and at most {MAX_TIMEOUT_S:g} seconds, got {args.timeout:g}")
    devices = asyncio.run(scan(args.timeout))
    shown = devices if args.all else [d for d in devices if d.protocol]
    console = Console(highlight=False)
    if not shown:
        console.print(_nothing_found(args.timeout, len(devices), args.all))
        return 0
    console.print(_table(shown))
    return 0


def _table(devices):
    """The devices as a rich table built from ``Text`` only: names are the devices' own words."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("name", no_wrap=True)
    table.add_column("address", no_wrap=True)
    table.add_column("RSSI (dBm)", justify="right")
    table.add_column("protocol")
    for device in devices:
        name = Text(device.name) if device.name else Text("(no name)", style="dim")
        rssi = Text(str(device.rssi_dbm)) if device.rssi_dbm is not None else Text("?", style="dim")
        protocol = Text(device.protocol) if device.protocol else Text("unsupported", style="dim")
        table.add_row(name, Text(device.address), rssi, protocol)
    return table


def _nothing_found(timeout_s: float, seen: int, listing_all: bool):
    from rich.text import Text

    if listing_all or seen == 0:
        line = (f"No Bluetooth devices found in {timeout_s:g} s. Check that the sensor is switched on "
                "and charged, and try a longer --timeout.")
    else:
        line = (f"No supported sensors found in {timeout_s:g} s ({seen} other device(s) seen; --all lists "
                "them). Check that the sensor is switched on and not connected to a phone app.")
    return Text(line)
