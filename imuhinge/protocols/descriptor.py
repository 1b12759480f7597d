"""``SensorProtocol``: everything the rest of imuhinge needs to know about one wire protocol.

Each protocol module (``witmotion``, ``imuhinge_v1``, …) defines one or more
``SensorProtocol`` values, and ``registry.PROTOCOLS`` lists them. Scanning, connecting,
configuring and decoding then go through these descriptions, so adding a sensor means
writing its module and one registry line, with no new branch in the BLE or live code.

A stream (what ``new_stream`` returns) has ``feed(data: bytes, arrival_s: float) ->
SampleBlock`` and a ``stats`` object; the live layer reads ``stats.lost_packets``,
``stats.malformed_packets`` and ``stats.skipped_bytes`` where a protocol has them.
``feed`` never raises on bad bytes: it counts them and returns an empty block.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

DEVICE_CLOCK = "device"
"""Sample times come from the sensor's own clock (arbitrary origin, seconds)."""
ARRIVAL_CLOCK = "arrival"
"""Sample times are smoothed arrival times on the ``time.monotonic()`` clock (seconds)."""


def _no_commands() -> tuple[bytes, ...]:
    return ()


@dataclass(frozen=True)
class SensorProtocol:
    """One protocol as the BLE and live layers use it.

    - ``name``: the identifier users type (``--protocol witmotion``) and reports show.
    - ``title``: the sensors it covers, for people (``"WitMotion WT901BLECL / BWT901BLE5.0"``).
    - ``service_uuid``, ``notify_uuid``, ``command_uuid``: the GATT service, the
      characteristic that streams samples and the one that takes commands (lower-case
      128-bit strings).
    - ``start_commands(rate_hz)``: writes that configure the rate and start streaming;
      raises ``ValueError`` with a plain sentence for a rate the sensor cannot do.
    - ``stop_commands()``: writes that stop streaming before a clean disconnect.
    - ``new_stream(rate_hz)``: a fresh decoder for the notify characteristic's bytes.
    - ``clock``: ``DEVICE_CLOCK`` or ``ARRIVAL_CLOCK`` (see those constants).
    - ``gyroscope``: False for accelerometer-only sensors (their recordings carry
      ``# accelerometer-only:`` and the report states the reduced accuracy).
    - ``name_pattern``: advertised names that identify the protocol when the service is
      not advertised, and that tell apart protocols sharing one service.
    - ``command_responses``: the command characteristic answers each write by a
      notification or indication; ``check_response(command, response)`` returns None if
      it is a success, else a plain sentence saying what the sensor refused.
    - ``rates_hz``: the rates the sensor can stream at (None: any the commands accept).
    - ``advertised_uuids``: other service UUIDs the sensor advertises instead of
      ``service_uuid`` (a Thingy:52 advertises its configuration service only); they
      identify it in a scan, while a connection still checks ``service_uuid``.
    - ``subscribe_first``: subscribe to ``notify_uuid`` before writing the start
      commands (so nothing sent right after the start is missed); False for sensors that
      restart streaming when configured while subscribed (the Thingy:52).
    """

    name: str
    title: str
    service_uuid: str
    notify_uuid: str
    command_uuid: str
    start_commands: Callable[[float], tuple[bytes, ...]]
    new_stream: Callable[[float], Any]
    clock: Literal["device", "arrival"]
    stop_commands: Callable[[], tuple[bytes, ...]] = _no_commands
    gyroscope: bool = True
    name_pattern: re.Pattern | None = None
    command_responses: bool = False
    check_response: Callable[[bytes, bytes], str | None] | None = None
    rates_hz: tuple[float, ...] | None = None
    advertised_uuids: tuple[str, ...] = ()
    subscribe_first: bool = True

    def preferred_rate_hz(self, wanted_hz: float = 100.0) -> float:
        """The sensor's rate nearest ``wanted_hz`` (``wanted_hz`` itself if it can do any)."""
        if not self.rates_hz:
            return float(wanted_hz)
        return float(min(self.rates_hz, key=lambda rate: (abs(rate - wanted_hz), -rate)))

    def supports_rate(self, rate_hz: float) -> bool:
        """True if the sensor can be configured to stream at ``rate_hz``."""
        try:
            self.start_commands(float(rate_hz))
        except ValueError:
            return False
        return True

    def matches_name(self, name: str | None) -> bool:
        """True if ``name`` (already sanitised) is one of this protocol's advertised names."""
        return bool(name) and self.name_pattern is not None and bool(self.name_pattern.match(name))
