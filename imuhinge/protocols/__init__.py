"""Sensor wire protocols: pure decoders over bytes and small stateful stream classes.

One module per protocol (``witmotion``, ``imuhinge_v1``); each stream takes one
notification's bytes and returns a ``SampleBlock``, counting what it had to skip rather
than raising, so the BLE layer's notification callback can stay a plain enqueue.
"""

from .errors import MalformedPacketError, ProtocolError, TruncatedPacketError, UnsupportedVersionError
from .samples import SampleBlock

__all__ = [
    "MalformedPacketError",
    "ProtocolError",
    "SampleBlock",
    "TruncatedPacketError",
    "UnsupportedVersionError",
]
