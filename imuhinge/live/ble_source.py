"""A live sample source from BLE sensors: ``SensorLink``s → decoded ``(arrival_s, sensor, SampleBlock)``.

``BleSource`` opens one ``SensorLink`` per sensor (``pelvis``, optionally ``thorax``) on a
shared ``asyncio.Queue`` (bleak's callback only queues the bytes), and iterating it feeds
each notification to its link's decoder and yields the samples, the same shape as the
simulator's ``play``, so ``run_live_session`` takes it unchanged.

Times: ``arrival_s`` is session time (seconds since the first notification of any sensor) of
the last notification in the batch the samples came in (see ``BATCH_S``).
Samples of sensors without a clock (WitMotion) are timed by arrival (their stream's
clock is ``time.monotonic()``), so they move onto session time by that same origin;
samples with device time (imuhinge v1) are placed once, so that the first block's last
sample falls on its arrival.

Malformed or truncated notifications are counted by the decoders and never raise;
``counts()`` and ``gaps()`` give those counts and the links' outages for the summary.
The source ends by itself once ``duration_s`` of session time has passed (the sensors
keep streaming, so no end of data would ever come), with ``stopped_by`` saying so.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np

from ..ble import LinkSettings, SensorLink
from ..protocols.samples import SampleBlock
from ..protocols.descriptor import ARRIVAL_CLOCK
from ..recording.live_writer import SensorInfo

BASE_SETTINGS = LinkSettings()
"""Timeouts, attempts and backoff of every link (tests shorten them); the rate is set per run."""


BATCH_S = 0.05
"""Notifications arriving within this many seconds are decoded and passed on together."""


def _by_sensor(batch: list[tuple[float, str, bytes]]) -> dict[str, list[tuple[float, bytes]]]:
    """The batch's notifications per sensor, each sensor's in arrival order (each sensor has
    its own decoder, so the order between sensors does not matter)."""
    grouped: dict[str, list[tuple[float, bytes]]] = {}
    for arrival, label, payload in batch:
        grouped.setdefault(label, []).append((arrival, payload))
    return grouped


def _concatenate(blocks: list[SampleBlock]) -> SampleBlock:
    """One block holding ``blocks`` in order (they are consecutive samples of one sensor)."""
    if len(blocks) == 1:
        return blocks[0]
    angles = None if blocks[0].angle_deg is None else np.concatenate([b.angle_deg for b in blocks])
    return SampleBlock(
        np.concatenate([b.time_s for b in blocks]),
        np.concatenate([b.acc_g for b in blocks]),
        np.concatenate([b.gyr_dps for b in blocks]),
        angles,
    )


@dataclass(frozen=True)
class SensorCounts:
    """What one sensor's decoder saw: samples decoded, notifications lost (imuhinge v1's
    sequence numbers; WitMotion cannot tell), malformed notifications (imuhinge v1) and
    bytes skipped to resynchronise (WitMotion)."""

    notifications: int
    samples: int
    lost_packets: int
    malformed_packets: int
    skipped_bytes: int


@dataclass(frozen=True)
class SessionGap:
    """A link outage in session time (s); ``end_s`` is None if it never came back."""

    sensor: str
    start_s: float
    end_s: float | None


class BleSource:
    """Async-iterable source of decoded samples from ``targets`` (label → address or name)."""

    def __init__(
        self,
        targets: dict[str, str],
        *,
        protocol: str = "auto",
        rate_hz: float | None = None,
        duration_s: float | None = None,
        settings: LinkSettings | None = None,
    ) -> None:
        from dataclasses import replace

        self.targets = dict(targets)
        self.protocol = protocol
        self.duration_s = duration_s
        self.settings = replace(settings or BASE_SETTINGS, rate_hz=None if rate_hz is None else float(rate_hz))
        self.links: dict[str, SensorLink] = {}
        self.streams: dict = {}
        self.notifications: dict[str, int] = {label: 0 for label in targets}
        self.samples: dict[str, int] = {label: 0 for label in targets}
        self.origin_s: float | None = None
        self.batch_s = BATCH_S
        self.stopped_by: str | None = None
        self._started_s = 0.0

    def __aiter__(self) -> AsyncIterator[tuple[float, str, SampleBlock]]:
        return self._run()

    async def _run(self) -> AsyncIterator[tuple[float, str, SampleBlock]]:
        queue: asyncio.Queue = asyncio.Queue()
        offsets: dict[str, float] = {}
        async with contextlib.AsyncExitStack() as stack:
            for label, target in self.targets.items():
                link = SensorLink(target, label, queue=queue, protocol=self.protocol, settings=self.settings)
                link = await stack.enter_async_context(link)
                self.links[label] = link
                self.streams[label] = link.new_stream()
            self._started_s = time.monotonic()
            while True:
                batch = await self._next_batch(queue)
                if not batch:
                    return
                for label, (blocks, last_arrival) in self._decode(batch).items():
                    block = _concatenate(blocks)
                    if label not in offsets:
                        offsets[label] = (
                            -self.origin_s if self.links[label].sensor_protocol.clock == ARRIVAL_CLOCK
                            else last_arrival - self.origin_s - float(block.time_s[-1])
                        )
                    self.samples[label] += len(block)
                    yield batch[-1][0] - self.origin_s, label, SampleBlock(
                        block.time_s + offsets[label], block.acc_g, block.gyr_dps, block.angle_deg
                    )

    def _decode(self, batch: list[tuple[float, str, bytes]]) -> dict[str, tuple[list[SampleBlock], float]]:
        """Each notification through its sensor's decoder, in order: per sensor, the non-empty
        blocks and the arrival time (monotonic s) of the last notification that gave samples."""
        decoded: dict[str, tuple[list[SampleBlock], float]] = {}
        for label, run in _by_sensor(batch).items():
            self.notifications[label] += len(run)
            stream = self.streams[label]
            if hasattr(stream, "feed_many"):
                pieces = [(stream.feed_many([(payload, arrival) for arrival, payload in run]), run[-1][0])]
            else:
                pieces = [(stream.feed(payload, arrival), arrival) for arrival, payload in run]
            for block, arrival in pieces:
                if len(block):
                    blocks = decoded.setdefault(label, ([], arrival))[0]
                    blocks.append(block)
                    decoded[label] = (blocks, arrival)
        return decoded

    async def _next_batch(self, queue: asyncio.Queue) -> list[tuple[float, str, bytes]]:
        """The notifications of the next ``batch_s`` (at least one), or [] once ``duration_s``
        of session time has passed.

        Handing the session a few dozen samples at a time instead of one notification at a
        time (a WitMotion unit sends one frame per notification, 200 a second) cuts the
        per-call cost of decoding, recording, analysing and drawing several-fold, for at
        most ``batch_s`` of added delay.
        """
        first = await self._next(queue)
        if first is None:
            return []
        if self.origin_s is None:
            self.origin_s = first[0]
        batch = [first]
        deadline = time.monotonic() + self.batch_s
        while True:
            while not queue.empty():
                batch.append(queue.get_nowait())
            left_s = deadline - time.monotonic()
            if left_s <= 0:
                return batch
            try:
                batch.append(await asyncio.wait_for(queue.get(), left_s))
            except TimeoutError:
                return batch

    async def _next(self, queue: asyncio.Queue):
        """The next notification, or None once ``duration_s`` of session time has passed."""
        if self.duration_s is None:
            return await queue.get()
        origin_s = self._started_s if self.origin_s is None else self.origin_s
        left_s = origin_s + self.duration_s - time.monotonic()
        if left_s <= 0 and queue.empty():
            self.stopped_by = f"--duration {self.duration_s:g} s reached"
            return None
        try:
            return await asyncio.wait_for(queue.get(), max(left_s, 0.0) + 0.05)
        except TimeoutError:
            self.stopped_by = f"--duration {self.duration_s:g} s reached"
            return None

    def counts(self) -> dict[str, SensorCounts]:
        """Per sensor: notifications, samples, lost and malformed notifications, skipped bytes."""
        result = {}
        for label, stream in self.streams.items():
            stats = stream.stats
            result[label] = SensorCounts(
                notifications=self.notifications[label],
                samples=self.samples[label],
                lost_packets=getattr(stats, "lost_packets", 0),
                malformed_packets=getattr(stats, "malformed_packets", 0),
                skipped_bytes=getattr(stats, "skipped_bytes", 0),
            )
        return result

    def gaps(self) -> list[SessionGap]:
        """Every link outage, in session time (s)."""
        origin = self.origin_s or 0.0
        return [
            SessionGap(label, gap.disconnected_s - origin,
                       None if gap.reconnected_s is None else gap.reconnected_s - origin)
            for label, link in self.links.items()
            for gap in link.gaps
        ]

    def sensor_infos(self) -> dict[str, SensorInfo]:
        """What the recording's header says of each sensor, once its link has started:
        the device's name (or what the user typed), address, protocol, configured rate,
        and whether it has a gyroscope."""
        infos = {}
        for label, link in self.links.items():
            protocol = link.sensor_protocol
            model = f"{link.name or self.targets[label]} ({protocol.name})"
            infos[label] = SensorInfo(model=model, address=link.address or "-", rate_hz=link.rate_hz,
                                      gyroscope=protocol.gyroscope)
        return infos

    def link_notes(self) -> dict[str, str]:
        """Per sensor, a few words for the live screen: reconnecting, notifications lost or
        malformed, outages so far ("" when all is well)."""
        counts = self.counts()
        notes = {}
        for label, link in self.links.items():
            bits = []
            if not link.connected:
                bits.append("link lost, reconnecting…")
            c = counts.get(label)
            if c is not None and c.lost_packets:
                bits.append(f"{c.lost_packets:,} notifications lost")
            if c is not None and c.malformed_packets:
                bits.append(f"{c.malformed_packets:,} malformed")
            if link.gaps:
                bits.append(f"{len(link.gaps)} outage{'s' if len(link.gaps) > 1 else ''}")
            notes[label] = ", ".join(bits)
        return notes

    def describe(self) -> str:
        """One line for the end of the session: per sensor, what arrived and what was lost or bad."""
        parts = []
        for label, c in self.counts().items():
            link = self.links.get(label)
            who = f"{link.name or link.address} ({link.protocol})" if link else label
            bits = [f"{c.samples:,} samples"]
            if c.lost_packets:
                bits.append(f"{c.lost_packets:,} notifications lost")
            if c.malformed_packets:
                bits.append(f"{c.malformed_packets:,} malformed notifications")
            if c.skipped_bytes:
                bits.append(f"{c.skipped_bytes:,} bytes skipped")
            gaps = [g for g in self.gaps() if g.sensor == label]
            if gaps:
                bits.append(f"{len(gaps)} link outage{'s' if len(gaps) > 1 else ''}")
            parts.append(f"{label} {who}: " + ", ".join(bits))
        return "Sensors: " + "; ".join(parts) + "."
