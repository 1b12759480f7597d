"""A sample source that plays a simulated session as a sensor would send it.

Each sensor's samples are cut into notification-sized blocks (``block_s`` of samples each)
that "arrive" when their last sample was taken, plus a small transport latency; blocks of
the two sensors interleave by arrival time. ``play`` paces them in real time (or ``speed``
times faster) as an async iterator of ``(arrival_s, sensor, SampleBlock)``, the same shape
a Bluetooth transport yields, so the live session cannot tell the difference.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import numpy as np

from ..protocols.samples import SampleBlock
from ..recording import Recording

DEFAULT_BLOCK_S = 0.05
"""Samples per notification, as a duration (s): BLE sensors send every 20–100 ms."""
TRANSPORT_LATENCY_S = 0.01


def session_blocks(
    recording: Recording, block_s: float = DEFAULT_BLOCK_S
) -> Iterator[tuple[float, str, SampleBlock]]:
    """Every sample of ``recording`` as ``(arrival_s, sensor, block)``, by arrival time."""
    blocks: list[tuple[float, int, str, SampleBlock]] = []
    for order, (label, stream) in enumerate(recording.streams.items()):
        t = np.asarray(stream.time_s)
        if not len(t):
            continue
        edges = np.flatnonzero(np.diff(np.floor((t - t[0]) / block_s))) + 1
        for first, stop in zip([0, *edges.tolist()], [*edges.tolist(), len(t)]):
            block = SampleBlock(t[first:stop], stream.acc_g[first:stop], stream.gyr_dps[first:stop])
            blocks.append((float(t[stop - 1]) + TRANSPORT_LATENCY_S, order, label, block))
    blocks.sort(key=lambda item: (item[0], item[1]))
    for arrival_s, _, label, block in blocks:
        yield arrival_s, label, block


async def play(
    recording: Recording,
    speed: float = 1.0,
    block_s: float = DEFAULT_BLOCK_S,
    clock=time.monotonic,
) -> AsyncIterator[tuple[float, str, SampleBlock]]:
    """``session_blocks`` paced so each block arrives at ``arrival_s / speed`` after the start."""
    started = clock()
    for arrival_s, label, block in session_blocks(recording, block_s):
        wait_s = arrival_s / speed - (clock() - started)
        if wait_s > 0:
            await asyncio.sleep(wait_s)
        yield arrival_s, label, block
