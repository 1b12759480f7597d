"""Every protocol imuhinge speaks, in the order a device's services are checked against them.

Adding a sensor: write its module with a ``PROTOCOL`` (``descriptor.SensorProtocol``),
its ``firmware_protocols/<name>/`` notes and vectors, and add it here. Protocols with a
service UUID unique to them come first; protocols that share a service (one vendor's
sensors with different capabilities) are told apart by ``name_pattern``.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import imuhinge_v1, movesense, polar_pmd, thingy52, witmotion
from .descriptor import SensorProtocol

PROTOCOLS: dict[str, SensorProtocol] = {
    p.name: p
    for p in (
        imuhinge_v1.PROTOCOL,
        witmotion.PROTOCOL,
        thingy52.PROTOCOL,
        movesense.PROTOCOL,
        # Polar H10 and Verity Sense share the PMD service; names tell them apart. The H10
        # comes first, so a PMD device with an unknown name is asked for its accelerometer
        # alone and recorded as accelerometer-only, never switched into the Verity's SDK mode.
        polar_pmd.H10_PROTOCOL,
        polar_pmd.VERITY_PROTOCOL,
    )
}
"""Protocol name → description, in recognition order."""

AUTO = "auto"
"""``--protocol auto``: pick the protocol from the device's services and name."""


def protocol_named(name: str) -> SensorProtocol:
    """The protocol called ``name``; ``KeyError`` if there is none."""
    return PROTOCOLS[name]


def pick_protocol(service_uuids: Iterable[str], name: str | None = None,
                  wanted: Iterable[str] | None = None) -> SensorProtocol | None:
    """The protocol a device speaks, from its (normalised, lower-case) service UUIDs and name.

    Among the protocols in ``wanted`` (all when None) whose service the device offers,
    one whose ``name_pattern`` fits ``name`` wins, else the first in registry order; a
    device offering none of those services is recognised by name alone, else None.
    """
    uuids = set(service_uuids)
    candidates = [PROTOCOLS[n] for n in (wanted if wanted is not None else PROTOCOLS)]
    offered = [p for p in candidates if p.service_uuid in uuids or uuids & set(p.advertised_uuids)]
    by_name = [p for p in candidates if p.matches_name(name)]
    for p in offered:
        if p in by_name:
            return p
    if offered:
        return offered[0]
    return by_name[0] if by_name else None
