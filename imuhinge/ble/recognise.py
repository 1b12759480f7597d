"""Which protocol a device speaks, from its advertisement; and safe display of device names.

A device's advertised name and service UUIDs are chosen by whoever programmed it. The
protocol guess only decides what ``imuhinge scan`` lists and labels; a connection
confirms it from the GATT table. Every string a device sends passes through
``sanitise_name`` before it reaches a terminal, a file or a report, so a name carrying
ANSI escapes, newlines or bidi overrides cannot rewrite the screen or forge a line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from ..protocols.registry import PROTOCOLS as _REGISTRY
from ..protocols.registry import pick_protocol

WITMOTION = "witmotion"
IMUHINGE_V1 = "imuhinge-v1"
POLAR_H10 = "polar-h10"
POLAR_VERITY = "polar-verity"
PROTOCOLS = tuple(_REGISTRY)
"""Names of every supported protocol, in recognition order (``protocols.registry``)."""

MAX_NAME_CHARS = 40
ELLIPSIS = "…"

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"          # CSI: colours, cursor moves, erase
    r"|\x9b[0-?]*[ -/]*[@-~]"           # the same with the one-byte C1 introducer
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC: window titles, hyperlinks
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"       # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]"                 # any other escape sequence
)
_LINE_BREAKS = {"Zl", "Zp"}
_WHITESPACE_RUN = re.compile(r"\s+")
_BASE_UUID_TAIL = "-0000-1000-8000-00805f9b34fb"


def normalise_uuid(uuid: str) -> str:
    """Lower-case 128-bit form of a 16-, 32- or 128-bit UUID string (as BlueZ reports them)."""
    u = str(uuid).strip().lower().removeprefix("0x")
    if len(u) == 4:
        return f"0000{u}{_BASE_UUID_TAIL}"
    if len(u) == 8:
        return f"{u}{_BASE_UUID_TAIL}"
    return u


def recognise_protocol(service_uuids: Iterable[str] = (), local_name: str | None = None) -> str | None:
    """The name of the protocol a device's advertisement points to, or None.

    A service UUID decides first (the project's own is unique to it; WitMotion's is
    ``0000ffe5-…-00805f9a34fb``); a device that advertises none we know is recognised by
    its name where a protocol has known names (some WitMotion firmware advertises no
    service; Polar sensors need not advertise their PMD service, so "Polar H10 …" and
    "Polar Sense …" are known by name, and the shared PMD service with another name
    means the H10's accelerometer-only protocol). See
    ``protocols.registry.pick_protocol``.
    """
    uuids = {normalise_uuid(u) for u in service_uuids}
    name = sanitise_name(local_name) if local_name else None
    protocol = pick_protocol(uuids, name)
    return protocol.name if protocol else None


def sanitise_name(untrusted: object, max_chars: int = MAX_NAME_CHARS) -> str:
    """``untrusted`` made safe to print or store: one line, no control characters, bounded length.

    Escape sequences are removed whole (so no ``[31m`` residue is left), line breaks and
    tabs become single spaces, and every other control, format (bidi overrides,
    zero-width characters), private-use, surrogate or unassigned code point is dropped.
    A result longer than ``max_chars`` is cut and ends in an ellipsis. ``None`` gives "".
    """
    if untrusted is None:
        return ""
    if isinstance(untrusted, (bytes, bytearray)):
        text = bytes(untrusted).decode("utf-8", errors="replace")
    else:
        text = str(untrusted)
    text = _ANSI.sub("", text)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() or category in _LINE_BREAKS:
            kept.append(" ")
        elif category[0] != "C":
            kept.append(char)
    clean = _WHITESPACE_RUN.sub(" ", "".join(kept)).strip()
    if len(clean) > max_chars:
        clean = clean[: max_chars - 1].rstrip() + ELLIPSIS
    return clean
