"""Unmodified bleak against the emulated BlueZ (tests/bluez): scan, connect, GATT table,
notifications (every one, in order), writes, link loss + reconnect, a Connect that hangs."""

from __future__ import annotations

import asyncio
import struct

import pytest

from bluez.emulator import CharSpec, DeviceSpec, Periodic, ServiceSpec, full_uuid

bleak = pytest.importorskip("bleak")
from bleak import BleakClient, BleakScanner  # noqa: E402

PELVIS = "C0:FF:EE:00:00:01"
THORAX = "C0:FF:EE:00:00:02"
MUTE = "C0:FF:EE:00:00:03"
IMU_SERVICE = "a1b2c3d4-0001-4000-8000-00805f9b34fb"
IMU_DATA = "a1b2c3d4-0002-4000-8000-00805f9b34fb"
IMU_CONTROL = "a1b2c3d4-0003-4000-8000-00805f9b34fb"
BATTERY_SERVICE = "180f"
BATTERY_LEVEL = "2a19"
COMPANY = 0x0059


def counter_payload(t_s: float, rate_hz: float = 200.0) -> bytes:
    """Sample index as uint32 + time in µs: lets a test check order and completeness."""
    return struct.pack("<II", round(t_s * rate_hz), round(t_s * 1e6))


def imu_device(name: str, address: str, *, source=None, on_write=None, connect: str = "ok",
               rssi: int = -55) -> DeviceSpec:
    return DeviceSpec(
        name=name,
        address=address,
        rssi=rssi,
        service_uuids=[IMU_SERVICE],
        manufacturer_data={COMPANY: b"\x01\x02"},
        connect=connect,
        services=[
            ServiceSpec(IMU_SERVICE, [
                CharSpec(IMU_DATA, ("notify",), source=source),
                CharSpec(IMU_CONTROL, ("write", "write-without-response"), on_write=on_write),
            ]),
            ServiceSpec(BATTERY_SERVICE, [CharSpec(BATTERY_LEVEL, ("read", "notify"), value=b"\x57")]),
        ],
    )


async def wait_for(predicate, timeout: float = 5.0) -> None:
    async def poll():
        while not predicate():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), timeout)


def test_scan_finds_devices_with_advertised_data(bluez):
    bluez([imu_device("IMU-pelvis", PELVIS, rssi=-48), imu_device("IMU-thorax", THORAX, rssi=-71)])

    async def main():
        return await BleakScanner.discover(timeout=0.6, return_adv=True)

    found = asyncio.run(main())
    assert {PELVIS, THORAX} <= set(found)
    for address, name, rssi in ((PELVIS, "IMU-pelvis", -48), (THORAX, "IMU-thorax", -71)):
        device, adv = found[address]
        assert device.address == address
        assert device.name == name and adv.local_name == name
        assert adv.rssi == rssi
        assert adv.service_uuids == [IMU_SERVICE]
        assert adv.manufacturer_data == {COMPANY: b"\x01\x02"}


def test_connect_lists_gatt_table_and_receives_every_notification_in_order(bluez):
    n = 200
    emu = bluez([imu_device("IMU-pelvis", PELVIS, source=Periodic(counter_payload, 200.0, count=n))])

    async def main():
        received: list[bytes] = []
        async with BleakClient(PELVIS, timeout=5.0) as client:
            services = client.services
            uuids = {s.uuid for s in services}
            assert uuids == {IMU_SERVICE, full_uuid(BATTERY_SERVICE)}
            imu = services.get_service(IMU_SERVICE)
            props = {c.uuid: set(c.properties) for c in imu.characteristics}
            assert props == {IMU_DATA: {"notify"}, IMU_CONTROL: {"write", "write-without-response"}}
            data_char = services.get_characteristic(IMU_DATA)
            assert [d.uuid for d in data_char.descriptors] == [full_uuid("2902")]
            assert await client.read_gatt_char(BATTERY_LEVEL) == b"\x57"

            await client.start_notify(IMU_DATA, lambda _c, data: received.append(bytes(data)))
            await wait_for(lambda: len(received) >= n)
            await asyncio.sleep(0.05)  # nothing more may come
            await client.stop_notify(IMU_DATA)
        return received

    received = asyncio.run(main())
    sent = emu.sent(PELVIS, IMU_DATA)
    assert len(sent) == n
    assert received == sent
    assert [struct.unpack("<II", r)[0] for r in received] == list(range(n))
    assert not emu.connected(PELVIS)


def test_write_reaches_the_handler(bluez):
    def on_write(device, data, options):
        # a control command answered on the data characteristic, as firmware might
        if data == b"\x01":
            device.chars[IMU_DATA].notify(b"ACK")

    emu = bluez([imu_device("IMU-pelvis", PELVIS, on_write=on_write)])

    async def main():
        received: list[bytes] = []
        async with BleakClient(PELVIS, timeout=5.0) as client:
            await client.start_notify(IMU_DATA, lambda _c, data: received.append(bytes(data)))
            await client.write_gatt_char(IMU_CONTROL, b"\x01", response=True)
            await client.write_gatt_char(IMU_CONTROL, b"\x02\x03", response=False)
            await wait_for(lambda: received == [b"ACK"])
            await wait_for(lambda: len(emu.writes(PELVIS)) == 2)

    asyncio.run(main())
    assert emu.writes(PELVIS) == [(IMU_CONTROL, b"\x01", "request"), (IMU_CONTROL, b"\x02\x03", "command")]


def test_malformed_and_truncated_notifications_arrive_verbatim(bluez):
    emu = bluez([imu_device("IMU-pelvis", PELVIS)])
    odd = [b"", b"\x01", b"\xff" * 3, counter_payload(0.5)[:5], bytes(range(244))]

    async def main():
        received: list[bytes] = []
        async with BleakClient(PELVIS, timeout=5.0) as client:
            await client.start_notify(IMU_DATA, lambda _c, data: received.append(bytes(data)))
            for payload in odd:
                emu.notify(PELVIS, IMU_DATA, payload)
            await wait_for(lambda: len(received) >= len(odd))
        return received

    assert asyncio.run(main()) == odd


def test_two_sensors_stream_at_once(bluez):
    n = 100
    emu = bluez([
        imu_device("IMU-pelvis", PELVIS, source=Periodic(counter_payload, 200.0, count=n)),
        imu_device("IMU-thorax", THORAX, source=Periodic(counter_payload, 200.0, count=n)),
    ])

    async def stream(address):
        received: list[bytes] = []
        async with BleakClient(address, timeout=5.0) as client:
            await client.start_notify(IMU_DATA, lambda _c, data: received.append(bytes(data)))
            await wait_for(lambda: len(received) >= n)
        return received

    async def main():
        return await asyncio.gather(stream(PELVIS), stream(THORAX))

    pelvis, thorax = asyncio.run(main())
    assert pelvis == emu.sent(PELVIS, IMU_DATA) and len(pelvis) == n
    assert thorax == emu.sent(THORAX, IMU_DATA) and len(thorax) == n


def test_drop_mid_stream_fires_disconnected_callback_and_reconnect_works(bluez):
    emu = bluez([imu_device("IMU-pelvis", PELVIS, source=Periodic(counter_payload, 100.0))])

    async def main():
        received: list[bytes] = []
        dropped = asyncio.Event()
        client = BleakClient(PELVIS, disconnected_callback=lambda _c: dropped.set(), timeout=5.0)
        await client.connect()
        await client.start_notify(IMU_DATA, lambda _c, data: received.append(bytes(data)))
        await wait_for(lambda: len(received) >= 10)

        emu.drop(PELVIS, vanish=True)
        await asyncio.wait_for(dropped.wait(), 3.0)
        assert not client.is_connected
        before = len(received)
        await asyncio.sleep(0.1)
        assert len(received) == before  # the stream stopped with the link

        # out of range: a reconnect attempt times out
        with pytest.raises(asyncio.TimeoutError):
            await client.connect(timeout=0.5)

        emu.reappear(PELVIS)
        dropped.clear()
        await client.connect(timeout=5.0)
        assert client.is_connected
        await client.start_notify(IMU_DATA, lambda _c, data: received.append(bytes(data)))
        await wait_for(lambda: len(received) >= before + 10)
        await client.disconnect()
        assert dropped.is_set()  # a requested disconnect fires it too
        return received

    received = asyncio.run(main())
    stats = emu.stats(PELVIS)
    assert stats["disconnects"] == ["remote", "local"]
    assert not stats["connected"]
    # each subscription restarts the source at index 0, and nothing sent is lost
    assert received == emu.sent(PELVIS, IMU_DATA)
    indices = [struct.unpack("<II", r)[0] for r in received]
    assert indices[0] == 0 and 0 in indices[1:]


def test_connect_to_a_device_that_never_answers_times_out(bluez):
    emu = bluez([imu_device("IMU-mute", MUTE, connect="hang")])

    async def main():
        client = BleakClient(MUTE, timeout=1.0)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(asyncio.TimeoutError):
            await client.connect()
        assert not client.is_connected
        return loop.time() - t0

    elapsed = asyncio.run(main())
    assert 0.9 <= elapsed < 3.0
    assert emu.stats(MUTE)["connects"] == 1
    assert not emu.connected(MUTE)
