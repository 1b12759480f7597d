"""``SensorLink``: one sensor's BLE connection for a whole session, reconnecting when it drops.

The link does transport only. Its notification callback puts
``(arrival_s, label, data)`` on an ``asyncio.Queue`` and returns: ``arrival_s`` is
``time.monotonic()`` at arrival, ``label`` the sensor's role (``"pelvis"``), ``data`` the
notification's bytes. A consumer coroutine decodes them (``link.new_stream()`` gives the
right decoder), so decoding, analysis or a slow disk never delays the BLE event loop.
Two links may share one queue.

When the link drops, bleak's disconnected callback starts a reconnection task that
retries with exponential backoff for as long as the session runs. Each outage is kept in
``link.gaps`` on the same monotonic clock as the queue, so the consumer can mark the
missing stretch instead of bridging it. At the start, a sensor that cannot be reached in
``settings.connect_attempts`` attempts raises ``SensorUnreachableError``.

    queue = asyncio.Queue()
    async with SensorLink("WT901BLE67", "pelvis", queue=queue) as link:
        stream = link.new_stream()
        while True:
            arrival_s, label, data = await queue.get()
            block = stream.feed(data, arrival_s)
            ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from ..errors import BadInputError
from ..protocols.descriptor import SensorProtocol
from ..protocols.registry import pick_protocol, protocol_named
from .errors import SensorProtocolError, SensorUnreachableError, bluetooth_unavailable, is_unavailable
from .recognise import PROTOCOLS, sanitise_name
from .resolve import ResolvedSensor, resolve
from .settings import LinkSettings

log = logging.getLogger(__name__)

AUTO = "auto"
DEFAULT_RATE_HZ = 100.0
"""Without a rate in the settings, each sensor streams at its rate nearest this (Hz)."""
Notification = tuple[float, str, bytes]
"""What the queue carries: (arrival time on ``time.monotonic()`` in s, sensor label, bytes)."""


@dataclass
class LinkGap:
    """One outage: when the link was lost and when streaming resumed (None while still lost), in
    ``time.monotonic()`` seconds like the queue's arrival times."""

    disconnected_s: float
    reconnected_s: float | None = None


class SensorLink:
    """A session-long connection to one sensor (see the module docstring for the whole picture).

    ``target`` is an address or an advertised name; ``label`` the role the consumer sees
    (``"pelvis"``, ``"thorax"``); ``protocol`` ``"auto"`` (from the GATT table) or one of
    ``recognise.PROTOCOLS``. After ``start`` (or entering ``async with``): ``address``,
    ``name`` (sanitised), ``protocol``, ``rate_hz`` (the rate configured: the settings'
    one, or the sensor's rate nearest ``DEFAULT_RATE_HZ``), ``connected``, ``gaps`` and
    ``connections`` (how many times streaming started, the first time included).
    """

    def __init__(
        self,
        target: str,
        label: str,
        *,
        queue: asyncio.Queue[Notification] | None = None,
        protocol: str = AUTO,
        settings: LinkSettings = LinkSettings(),
    ) -> None:
        if protocol != AUTO and protocol not in PROTOCOLS:
            raise BadInputError(f"unknown protocol '{protocol}'; use auto or one of {', '.join(PROTOCOLS)}")
        self.target = target
        self.label = label
        self.queue: asyncio.Queue[Notification] = queue if queue is not None else asyncio.Queue()
        self.requested_protocol = protocol
        self.settings = settings
        self.address: str | None = None
        self.name = ""
        self.protocol: str | None = None if protocol == AUTO else protocol
        self.gaps: list[LinkGap] = []
        self.connections = 0
        self._client = None
        self._reconnect_task: asyncio.Task | None = None
        self._stopping = False

    @property
    def connected(self) -> bool:
        """True while the sensor is connected and subscribed."""
        return self._client is not None and self._client.is_connected

    @property
    def sensor_protocol(self) -> SensorProtocol:
        """The description of the protocol this link speaks (known once it has started)."""
        if self.protocol is None:
            raise RuntimeError("the protocol is known only once the link has started")
        return protocol_named(self.protocol)

    @property
    def rate_hz(self) -> float:
        """The rate the sensor is configured to (Hz; known once the protocol is)."""
        if self.settings.rate_hz is not None:
            return float(self.settings.rate_hz)
        return self.sensor_protocol.preferred_rate_hz(DEFAULT_RATE_HZ)

    def new_stream(self):
        """A fresh decoder for this sensor's notifications (call after ``start``)."""
        return self.sensor_protocol.new_stream(self.rate_hz)

    async def __aenter__(self) -> SensorLink:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    async def start(self) -> None:
        """Find the sensor, connect, configure it and subscribe; retry up to ``connect_attempts`` times.

        Raises ``SensorUnreachableError`` if it never answers, ``BluetoothUnavailableError``
        if there is no Bluetooth at all, ``SensorProtocolError`` if it speaks no protocol
        we know, ``AmbiguousSensorError`` if a name fits several devices.
        """
        self._stopping = False
        resolved: ResolvedSensor = await resolve(self.target, self.settings)
        self.address = resolved.address
        self.name = resolved.name
        last_failure = "no attempt was made"
        for attempt in range(self.settings.connect_attempts):
            if attempt:
                await asyncio.sleep(self.settings.backoff_s(attempt - 1))
            try:
                await self._connect_once()
                return
            except BadInputError:
                raise
            except Exception as exc:
                if is_unavailable(exc):
                    raise bluetooth_unavailable(exc) from None
                last_failure = _describe(exc)
                log.info("%s: connection attempt %d failed: %s", self.label, attempt + 1, last_failure)
        raise SensorUnreachableError(
            f"the {self.label} sensor ({self._who()}) did not answer in {self.settings.connect_attempts} "
            f"attempts of up to {self.settings.connect_timeout_s:g} s ({last_failure}); check that it is "
            "switched on, charged, within a few metres and not connected to another app"
        )

    async def stop(self) -> None:
        """End the session's link: no more reconnection, streaming stopped, disconnected."""
        self._stopping = True
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        client, self._client = self._client, None
        if client is None:
            return
        if client.is_connected and self.protocol is not None:
            with contextlib.suppress(Exception):
                await self._write_commands(client, self.sensor_protocol.stop_commands(), self.sensor_protocol)
        with contextlib.suppress(Exception):
            await client.disconnect()

    async def _connect_once(self) -> None:
        """One attempt: connect, check the GATT table, write the start-up commands, subscribe."""
        from bleak import BleakClient

        client = BleakClient(
            self.address, disconnected_callback=self._on_disconnected, timeout=self.settings.connect_timeout_s
        )
        try:
            await client.connect()
            if not self.name:
                # Given an address, the name is known only now; protocols sharing a service
                # (Polar H10 and Verity Sense) are told apart by it.
                known = sanitise_name(getattr(client, "name", "") or "")
                if known.replace("-", ":").upper() != (self.address or "").upper():
                    self.name = known
            protocol = self._protocol_of(client)
            try:
                rate_hz = self.settings.rate_hz or protocol.preferred_rate_hz(DEFAULT_RATE_HZ)
                commands = protocol.start_commands(rate_hz)
            except ValueError as exc:
                raise BadInputError(f"the {self.label} sensor: {exc}") from None
            if protocol.subscribe_first:
                await client.start_notify(protocol.notify_uuid, self._enqueue)
            await self._write_commands(client, commands, protocol)
            if not protocol.subscribe_first:
                await client.start_notify(protocol.notify_uuid, self._enqueue)
        except BaseException:
            with contextlib.suppress(Exception):
                await client.disconnect()
            raise
        self.protocol = protocol.name
        self._client = client
        self.connections += 1
        log.info("%s: streaming from %s (%s)", self.label, self._who(), protocol.name)

    def _protocol_of(self, client) -> SensorProtocol:
        """The protocol the connected device offers, checked against the one asked for."""
        offered = {service.uuid.lower() for service in client.services}
        wanted = [self.requested_protocol] if self.requested_protocol != AUTO else list(PROTOCOLS)
        protocol = pick_protocol(offered, self.name, wanted)
        if protocol is None or protocol.service_uuid not in offered:
            what = f"{wanted[0]} service" if len(wanted) == 1 else f"service of a supported sensor ({', '.join(wanted)})"
            raise SensorProtocolError(f"the {self.label} sensor ({self._who()}) offers no {what}")
        return protocol

    async def _write_commands(self, client, commands: tuple[bytes, ...], protocol: SensorProtocol) -> None:
        """Write ``commands`` in order, ``command_spacing_s`` apart (the sensor drops closer ones).

        For a protocol whose command characteristic answers (``command_responses``), each
        answer is awaited and checked; a refusal raises ``SensorProtocolError``.
        """
        if not commands:
            return
        characteristic = client.services.get_characteristic(protocol.command_uuid)
        if characteristic is None:
            raise SensorProtocolError(
                f"the {self.label} sensor ({self._who()}) has no command characteristic {protocol.command_uuid}"
            )
        answers: asyncio.Queue | None = None
        if protocol.command_responses:
            answers = asyncio.Queue()
            await client.start_notify(characteristic, lambda _c, data: answers.put_nowait(bytes(data)))
        with_response = "write" in characteristic.properties
        for index, command in enumerate(commands):
            if index:
                await asyncio.sleep(self.settings.command_spacing_s)
            await client.write_gatt_char(characteristic, command, response=with_response)
            if answers is not None:
                await self._check_answer(protocol, command, answers)

    async def _check_answer(self, protocol: SensorProtocol, command: bytes, answers: asyncio.Queue) -> None:
        """Wait for the sensor's answer to ``command`` and raise ``SensorProtocolError`` on a refusal."""
        try:
            answer = await asyncio.wait_for(answers.get(), self.settings.response_timeout_s)
        except TimeoutError:
            raise SensorProtocolError(
                f"the {self.label} sensor ({self._who()}) did not answer command {command.hex()} "
                f"within {self.settings.response_timeout_s:g} s"
            ) from None
        problem = protocol.check_response(command, answer) if protocol.check_response else None
        if problem:
            raise SensorProtocolError(f"the {self.label} sensor ({self._who()}): {sanitise_name(problem, 200)}")

    def _enqueue(self, _characteristic, data: bytearray) -> None:
        """bleak's notification callback: stamp, label and queue the bytes; nothing else."""
        self.queue.put_nowait((time.monotonic(), self.label, bytes(data)))

    def _on_disconnected(self, client) -> None:
        """bleak's disconnected callback: note the outage and start reconnecting (unless stopping)."""
        if self._stopping or client is not self._client:
            return
        self._client = None
        self.gaps.append(LinkGap(disconnected_s=time.monotonic()))
        log.warning("%s: link to %s lost; reconnecting", self.label, self._who())
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        """Retry with growing pauses until connected again or stopped; close the open gap."""
        retry = 0
        while not self._stopping:
            await asyncio.sleep(self.settings.backoff_s(retry))
            retry += 1
            try:
                await self._connect_once()
            except Exception as exc:
                log.info("%s: reconnection attempt %d failed: %s", self.label, retry, _describe(exc))
                continue
            if self.gaps and self.gaps[-1].reconnected_s is None:
                self.gaps[-1].reconnected_s = time.monotonic()
            log.warning("%s: reconnected after %d attempt(s)", self.label, retry)
            return

    def _who(self) -> str:
        """How messages name the sensor: its name and address, or what the user typed."""
        if self.name and self.address:
            return f"{self.name}, {self.address}"
        return self.address or self.name or sanitise_name(self.target)


def _describe(exc: BaseException) -> str:
    """A short, single-line account of a failed attempt for logs and the final error."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = sanitise_name(str(exc), max_chars=120)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
