"""What each protocol needs of a connection: which characteristic streams, what to write first.

The wire formats live in ``imuhinge.protocols``; this module only maps a protocol name
to its GATT layout and its start-up writes, so the session code has no per-protocol
branches beyond one lookup.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..protocols import imuhinge_v1, witmotion
from ..protocols.imuhinge_v1 import ImuhingeV1Stream
from ..protocols.witmotion import WitMotionStream
from .recognise import IMUHINGE_V1, WITMOTION


@dataclass(frozen=True)
class GattLayout:
    """One protocol's service, the characteristic it notifies on and the one it takes commands on."""

    protocol: str
    service_uuid: str
    notify_uuid: str
    command_uuid: str


LAYOUTS = {
    WITMOTION: GattLayout(WITMOTION, witmotion.SERVICE_UUID, witmotion.NOTIFY_UUID, witmotion.WRITE_UUID),
    IMUHINGE_V1: GattLayout(
        IMUHINGE_V1, imuhinge_v1.SERVICE_UUID, imuhinge_v1.DATA_UUID, imuhinge_v1.CONTROL_UUID
    ),
}


def start_commands(protocol: str, rate_hz: float) -> tuple[bytes, ...]:
    """Writes that configure the sensor to ``rate_hz`` and (imuhinge v1) start it streaming.

    WitMotion: unlock, rate, save (the unit keeps the rate and streams on its own).
    imuhinge v1: set the sample period, then start.
    """
    if protocol == WITMOTION:
        return witmotion.configuration_commands(rate_hz)
    period_us = round(1e6 / rate_hz)
    return (imuhinge_v1.set_period_command(period_us), imuhinge_v1.start_command())


def stop_commands(protocol: str) -> tuple[bytes, ...]:
    """Writes that stop streaming before a clean disconnect (none for WitMotion, which cannot)."""
    return (imuhinge_v1.stop_command(),) if protocol == IMUHINGE_V1 else ()


def new_stream(protocol: str, rate_hz: float) -> WitMotionStream | ImuhingeV1Stream:
    """A fresh decoder for the bytes this protocol notifies (fed by the queue's consumer)."""
    return WitMotionStream(rate_hz) if protocol == WITMOTION else ImuhingeV1Stream()
