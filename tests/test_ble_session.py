"""SensorLink against the emulated BlueZ (tests/bluez): connect, configure, stream every
notification in order into the queue, reconnect after a drop with the gap recorded,
give up clearly on a sensor that never answers, and stop cleanly."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from bluez.emulator import DeviceSpec, Periodic
from imuhinge.ble import (
    AmbiguousSensorError,
    LinkSettings,
    SensorLink,
    SensorProtocolError,
    SensorUnreachableError,
)
from imuhinge.errors import BadInputError
from imuhinge.protocols import imuhinge_v1, witmotion
from test_ble_scan import V1_ADDRESS, WIT_ADDRESS, v1_device, witmotion_device

FAST = LinkSettings(
    scan_timeout_s=2.0, name_settle_s=0.2, connect_timeout_s=2.0, connect_attempts=2,
    backoff_initial_s=0.05, backoff_max_s=0.2,
)


def wit_frame(t_s: float, rate_hz: float = 100.0) -> bytes:
    """A real WitMotion frame whose acc x carries the sample index (to check order)."""
    index = round(t_s * rate_hz)
    return witmotion.encode_frame((index, 0, 2048), (0, 0, 0), (0, 0, 0))


def v1_packet(t_s: float, rate_hz: float = 50.0) -> bytes:
    index = round(t_s * rate_hz)
    return imuhinge_v1.encode_packet(imuhinge_v1.Packet(
        sequence=index, device_time_us=index * 20000, period_us=20000, acc_range_g=16, gyr_range_dps=2000,
        acc_raw=np.array([[index, 0, 2048]]), gyr_raw=np.zeros((1, 3), dtype=int),
        flags=imuhinge_v1.FLAG_STREAM_START if index == 0 else 0,
    ))


async def take(queue: asyncio.Queue, n: int, timeout_s: float = 5.0) -> list:
    return [await asyncio.wait_for(queue.get(), timeout_s) for _ in range(n)]


async def wait_for(predicate, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


# --------------------------------------------------------------------------- pure


def test_backoff_doubles_from_half_a_second_to_eight():
    settings = LinkSettings()
    assert [settings.backoff_s(i) for i in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


@pytest.mark.parametrize("bad", [
    {"connect_timeout_s": 0}, {"connect_attempts": 0}, {"backoff_factor": 0.5}, {"rate_hz": -1.0},
    {"name_settle_s": -1.0},
])
def test_settings_refuse_impossible_values(bad):
    with pytest.raises(ValueError):
        LinkSettings(**bad)


def test_unknown_protocol_is_bad_input():
    with pytest.raises(BadInputError, match="unknown protocol"):
        SensorLink(WIT_ADDRESS, "pelvis", protocol="morse")


# --------------------------------------------------------------------------- emulated BlueZ


def test_witmotion_configured_then_every_notification_queued_in_order(bluez):
    n = 60
    write_times_s: list[float] = []
    emu = bluez([witmotion_device(
        source=Periodic(wit_frame, 100.0, count=n),
        on_write=lambda _dev, _data, _opts: write_times_s.append(time.monotonic()),
    )])

    async def main():
        async with SensorLink(WIT_ADDRESS, "pelvis", settings=FAST) as link:
            got = await take(link.queue, n)
            await asyncio.sleep(0.05)
            assert link.queue.empty()
            assert link.protocol == "witmotion" and link.connected and link.gaps == []
            stream = link.new_stream()
        return got, stream

    got, stream = asyncio.run(main())
    assert [data for _, _, data in got] == emu.sent(WIT_ADDRESS, witmotion.NOTIFY_UUID)
    assert {label for _, label, _ in got} == {"pelvis"}
    arrivals_s = [arrival for arrival, _, _ in got]
    assert arrivals_s == sorted(arrivals_s)
    acc_x_g = np.concatenate([stream.feed(data, arrival).acc_g[:, 0] for arrival, _, data in got])
    assert np.allclose(acc_x_g * 32768 / 16, np.arange(n))

    commands = witmotion.configuration_commands(100.0)
    assert [(uuid, data) for uuid, data, _ in emu.writes(WIT_ADDRESS)] == [
        (witmotion.WRITE_UUID, command) for command in commands
    ]
    assert len(write_times_s) == 3 and min(np.diff(write_times_s)) >= 0.09
    assert emu.stats(WIT_ADDRESS)["disconnects"] == ["local"]
    assert not emu.connected(WIT_ADDRESS)


def test_names_resolve_and_two_links_share_one_queue(bluez):
    n = 20
    emu = bluez([
        witmotion_device(source=Periodic(wit_frame, 100.0, count=n)),
        v1_device("imuhinge-T12", source=Periodic(v1_packet, 50.0, count=n)),
    ])

    async def main():
        queue: asyncio.Queue = asyncio.Queue()
        async with SensorLink("wt901ble67", "pelvis", queue=queue, settings=FAST) as pelvis, \
                SensorLink("imuhinge-T12", "thorax", queue=queue, settings=FAST) as thorax:
            got = await take(queue, 2 * n)
            return got, (pelvis.address, pelvis.name, pelvis.protocol), (thorax.address, thorax.protocol)

    got, pelvis, thorax = asyncio.run(main())
    assert pelvis == (WIT_ADDRESS, "WT901BLE67", "witmotion")
    assert thorax == (V1_ADDRESS, "imuhinge-v1")
    assert [d for _, label, d in got if label == "pelvis"] == emu.sent(WIT_ADDRESS, witmotion.NOTIFY_UUID)
    assert [d for _, label, d in got if label == "thorax"] == emu.sent(V1_ADDRESS, imuhinge_v1.DATA_UUID)
    assert [data for _, data, _ in emu.writes(V1_ADDRESS)] == [
        imuhinge_v1.set_period_command(10000), imuhinge_v1.start_command(), imuhinge_v1.stop_command(),
    ]


def test_drop_mid_stream_reconnects_and_records_the_gap(bluez):
    emu = bluez([witmotion_device(source=Periodic(wit_frame, 100.0))])

    async def main():
        async with SensorLink(WIT_ADDRESS, "pelvis", settings=FAST) as link:
            before = await take(link.queue, 10)
            emu.drop(WIT_ADDRESS, vanish=True)
            await wait_for(lambda: link.gaps)
            assert not link.connected and link.gaps[0].reconnected_s is None
            await asyncio.sleep(0.4)  # out of range: attempts fail meanwhile
            emu.reappear(WIT_ADDRESS)
            await wait_for(lambda: link.gaps[0].reconnected_s is not None)
            after = []
            while len(after) < 10:  # frames queued between the drop and the callback come first
                after.append(await asyncio.wait_for(link.queue.get(), 5.0))
                if after[-1][0] < link.gaps[0].disconnected_s:
                    before.append(after.pop())
            return before, after, list(link.gaps), link.connections, link.connected

    before, after, gaps, connections, was_connected = asyncio.run(main())
    assert was_connected and connections == 2 and len(gaps) == 1
    gap = gaps[0]
    assert gap.reconnected_s - gap.disconnected_s >= 0.4
    assert all(arrival < gap.disconnected_s for arrival, _, _ in before)
    assert all(arrival > gap.disconnected_s for arrival, _, _ in after)
    sent = emu.sent(WIT_ADDRESS, witmotion.NOTIFY_UUID)
    received = [data for _, _, data in before + after]
    assert received == sent[: len(received)]
    assert after[0][2] == wit_frame(0.0)  # the stream restarted with the new subscription
    assert len(emu.writes(WIT_ADDRESS)) == 6  # configured on each connection
    assert emu.stats(WIT_ADDRESS)["disconnects"] == ["remote", "local"]


def test_sensor_that_never_answers_is_unreachable_quickly(bluez):
    emu = bluez([witmotion_device(connect="hang")])
    settings = LinkSettings(connect_timeout_s=0.4, connect_attempts=2, backoff_initial_s=0.05)

    async def main():
        t0 = time.monotonic()
        with pytest.raises(SensorUnreachableError) as raised:
            async with SensorLink(WIT_ADDRESS, "pelvis", settings=settings):
                pass
        return time.monotonic() - t0, raised.value

    elapsed_s, error = asyncio.run(main())
    assert elapsed_s < 3.0
    assert isinstance(error, BadInputError)
    message = str(error)
    assert "pelvis sensor" in message and WIT_ADDRESS in message and "2 attempts" in message
    assert "\n" not in message
    assert emu.stats(WIT_ADDRESS)["connects"] == 2
    assert not emu.connected(WIT_ADDRESS)


def test_unknown_name_is_unreachable_after_the_scan(bluez):
    bluez([witmotion_device()])
    settings = LinkSettings(scan_timeout_s=0.3)

    async def main():
        async with SensorLink("WT901BLE99\x1b[2J", "thorax", settings=settings):
            pass

    with pytest.raises(SensorUnreachableError, match="no sensor named 'WT901BLE99'") as raised:
        asyncio.run(main())
    assert "\x1b" not in str(raised.value)


def test_a_name_two_sensors_share_is_refused(bluez):
    bluez([witmotion_device(), witmotion_device(address="C0:FF:EE:00:00:21")])

    async def main():
        async with SensorLink("WT901BLE67", "pelvis", settings=FAST):
            pass

    with pytest.raises(AmbiguousSensorError, match="2 sensors are named 'WT901BLE67'"):
        asyncio.run(main())


def test_device_without_a_supported_service_is_refused(bluez):
    address = "C0:FF:EE:00:00:31"
    emu = bluez([DeviceSpec(name="Kitchen scale", address=address)])

    async def main():
        async with SensorLink(address, "pelvis", settings=FAST):
            pass

    with pytest.raises(SensorProtocolError, match=r"offers no service of a supported sensor \(imuhinge-v1, witmotion"):
        asyncio.run(main())
    assert not emu.connected(address)


def test_stop_ends_cleanly_and_no_reconnect_follows(bluez):
    emu = bluez([witmotion_device(source=Periodic(wit_frame, 100.0))])

    async def main():
        link = SensorLink(WIT_ADDRESS.lower(), "pelvis", settings=FAST)
        await link.start()
        await take(link.queue, 5)
        await link.stop()
        await asyncio.sleep(0.3)
        return link

    link = asyncio.run(main())
    assert not link.connected and link.gaps == []
    stats = emu.stats(WIT_ADDRESS)
    assert stats["disconnects"] == ["local"] and stats["connects"] == 1
