"""Exceptions of the wire-protocol decoders, under the package's one root.

Only the pure single-packet decoders raise these; the stream classes catch them, count
the bad packet and go on, because one corrupt notification must not end a live session.
"""

from ..errors import ImuhingeError


class ProtocolError(ImuhingeError):
    """Bytes from a sensor do not form a valid packet of the protocol."""


class TruncatedPacketError(ProtocolError):
    """The packet is shorter than its header or than its own sample count says."""


class MalformedPacketError(ProtocolError):
    """The packet has the right shape but a field holds an impossible value."""


class UnsupportedVersionError(ProtocolError):
    """The packet declares a protocol version this decoder does not know."""
