"""The BLE transport: find sensors, recognise their protocol, keep a session-long link.

- ``recognise``: protocol from advertisement data; ``sanitise_name`` for every string a
  device sends.
- ``scan``: one scan, each device labelled with its protocol (``imuhinge scan``).
- ``resolve``: an address or a name typed by the user -> one device.
- ``session``: ``SensorLink``, connect / configure / subscribe / reconnect, its callback
  only queueing ``(arrival_s, label, bytes)`` for a consumer.
- the protocols themselves (GATT layout, start-up writes, decoders) are described in
  ``imuhinge.protocols.registry``.
- ``settings``: ``LinkSettings`` (timeouts, attempts, backoff, rate).
- ``errors``: the transport's exceptions, all ``BadInputError`` (one sentence, exit 2).

bleak is imported only where a scan or connection happens, so the rest of imuhinge
starts without it.
"""

from .errors import (
    AmbiguousSensorError,
    BleError,
    BluetoothUnavailableError,
    SensorProtocolError,
    SensorUnreachableError,
)
from .recognise import IMUHINGE_V1, PROTOCOLS, WITMOTION, recognise_protocol, sanitise_name
from .session import LinkGap, SensorLink
from .settings import LinkSettings

__all__ = [
    "IMUHINGE_V1",
    "PROTOCOLS",
    "WITMOTION",
    "AmbiguousSensorError",
    "BleError",
    "BluetoothUnavailableError",
    "LinkGap",
    "LinkSettings",
    "SensorLink",
    "SensorProtocolError",
    "SensorUnreachableError",
    "recognise_protocol",
    "sanitise_name",
]
