"""BLE discovery: protocol recognition and name sanitising (pure), then `imuhinge scan`
against the emulated BlueZ (tests/bluez): labels, hostile names, no devices, no bus."""

from __future__ import annotations

import asyncio

import pytest

from bluez.emulator import CharSpec, DeviceSpec, ServiceSpec
from imuhinge.ble.recognise import IMUHINGE_V1, WITMOTION, recognise_protocol, sanitise_name
from imuhinge.cli.main import main
from imuhinge.protocols import imuhinge_v1, witmotion

WIT_ADDRESS = "C0:FF:EE:00:00:11"
V1_ADDRESS = "C0:FF:EE:00:00:12"
OTHER_ADDRESS = "C0:FF:EE:00:00:13"
SCAN_S = "0.6"


def witmotion_device(name: str = "WT901BLE67", address: str = WIT_ADDRESS, *, source=None, on_write=None,
                     connect: str = "ok", advertise_service: bool = True, rssi: int = -52) -> DeviceSpec:
    """An emulated WitMotion unit: FFE5 service, FFE4 notifies frames, FFE9 takes commands."""
    return DeviceSpec(
        name=name, address=address, rssi=rssi, connect=connect,
        service_uuids=[witmotion.SERVICE_UUID] if advertise_service else [],
        services=[ServiceSpec(witmotion.SERVICE_UUID, [
            CharSpec(witmotion.NOTIFY_UUID, ("notify",), source=source),
            CharSpec(witmotion.WRITE_UUID, ("write", "write-without-response"), on_write=on_write),
        ])],
    )


def v1_device(name: str = "imuhinge-S2", address: str = V1_ADDRESS, *, source=None, rssi: int = -61) -> DeviceSpec:
    """An emulated imuhinge v1 sensor: its own service with data and control characteristics."""
    return DeviceSpec(
        name=name, address=address, rssi=rssi, service_uuids=[imuhinge_v1.SERVICE_UUID],
        services=[ServiceSpec(imuhinge_v1.SERVICE_UUID, [
            CharSpec(imuhinge_v1.DATA_UUID, ("notify",), source=source),
            CharSpec(imuhinge_v1.CONTROL_UUID, ("write", "notify")),
        ])],
    )


def other_device() -> DeviceSpec:
    return DeviceSpec(name="Kitchen scale", address=OTHER_ADDRESS, rssi=-80,
                      service_uuids=["0000181d-0000-1000-8000-00805f9b34fb"])


# --------------------------------------------------------------------------- pure


@pytest.mark.parametrize(("uuids", "name", "expected"), [
    ([witmotion.SERVICE_UUID], None, WITMOTION),
    (["0000FFE5-0000-1000-8000-00805F9A34FB"], "anything", WITMOTION),
    ([], "WT901BLE67", WITMOTION),
    ([], "wt9011dcl-ble", WITMOTION),
    ([], "BWT901BLE5.0", WITMOTION),
    ([imuhinge_v1.SERVICE_UUID], "WT901BLE67", IMUHINGE_V1),
    ([imuhinge_v1.SERVICE_UUID.upper()], None, IMUHINGE_V1),
    (["0000ffe5-0000-1000-8000-00805f9b34fb"], "ffe5 on the SIG base", None),
    (["180f"], "Heart rate", None),
    ([], None, None),
    ([], "my WT901BLE", None),
])
def test_recognise_protocol(uuids, name, expected):
    assert recognise_protocol(uuids, name) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("WT901BLE67", "WT901BLE67"),
    ("\x1b[31mRED\x1b[0m", "RED"),
    ("\x1b]0;owned\x07IMU", "IMU"),
    ("line1\nline2\r\n", "line1 line2"),
    ("tab\there", "tab here"),
    ("abc\u202edcba\u2066x\u200b", "abcdcbax"),
    ("nul\x00bell\x07del\x7fc1\x85end", "nulbelldelc1 end"),
    ("[bold]loud[/bold]", "[bold]loud[/bold]"),
    ("  spaced   out  ", "spaced out"),
    (None, ""),
    (b"bytes\xff", "bytes\ufffd"),
])
def test_sanitise_name(raw, expected):
    assert sanitise_name(raw) == expected


def test_sanitise_name_bounds_length():
    clean = sanitise_name("x" * 500)
    assert len(clean) == 40 and clean.endswith("…")
    assert sanitise_name("y" * 40) == "y" * 40
    assert len(sanitise_name("z" * 100, max_chars=10)) == 10


# --------------------------------------------------------------------------- emulated BlueZ


def test_scan_finds_and_labels_supported_devices(bluez):
    from imuhinge.ble.scan import scan

    bluez([witmotion_device(), v1_device(), other_device(),
           witmotion_device("WT9011DCL", "C0:FF:EE:00:00:14", advertise_service=False, rssi=-70)])
    found = {d.address: d for d in asyncio.run(scan(0.6))}
    assert found[WIT_ADDRESS].protocol == WITMOTION and found[WIT_ADDRESS].name == "WT901BLE67"
    assert found[WIT_ADDRESS].rssi_dbm == -52
    assert found[V1_ADDRESS].protocol == IMUHINGE_V1 and found[V1_ADDRESS].rssi_dbm == -61
    assert found["C0:FF:EE:00:00:14"].protocol == WITMOTION
    assert found[OTHER_ADDRESS].protocol is None


def test_scan_cli_prints_table_of_supported_devices(bluez, capsys):
    bluez([witmotion_device(), v1_device(), other_device()])
    assert main(["scan", "--timeout", SCAN_S]) == 0
    out = capsys.readouterr().out
    for text in ("WT901BLE67", WIT_ADDRESS, "-52", "witmotion", "imuhinge-S2", V1_ADDRESS, "imuhinge-v1", "RSSI"):
        assert text in out
    assert "Kitchen scale" not in out and OTHER_ADDRESS not in out
    assert out.index(WIT_ADDRESS) < out.index(V1_ADDRESS)  # strongest first


def test_scan_cli_all_lists_unsupported_devices(bluez, capsys):
    bluez([witmotion_device(), other_device()])
    assert main(["scan", "--timeout", SCAN_S, "--all"]) == 0
    out = capsys.readouterr().out
    assert "Kitchen scale" in out and OTHER_ADDRESS in out and "unsupported" in out
    assert out.index(WIT_ADDRESS) < out.index(OTHER_ADDRESS)  # supported first


def test_scan_cli_prints_hostile_name_sanitised(bluez, capsys):
    hostile = "WT901BLE\x1b[2J\x1b[31m[bold]Evil[/bold]\nFAKE LINE\u202e"
    bluez([witmotion_device(hostile)])
    assert main(["scan", "--timeout", SCAN_S]) == 0
    out = capsys.readouterr().out
    assert "WT901BLE[bold]Evil[/bold] FAKE LINE" in out
    assert "\x1b" not in out and "\u202e" not in out
    assert not any(line.startswith("FAKE LINE") for line in out.splitlines())


def test_scan_cli_with_nothing_in_range_says_so(bluez, capsys):
    bluez([])
    assert main(["scan", "--timeout", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "No Bluetooth devices found in 0.3 s" in out


def test_scan_cli_with_only_unsupported_devices_points_to_all(bluez, capsys):
    bluez([other_device()])
    assert main(["scan", "--timeout", SCAN_S]) == 0
    assert "--all lists" in capsys.readouterr().out


def test_scan_cli_without_a_bus_is_one_sentence_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path / 'no-such-socket'}")
    assert main(["scan", "--timeout", "0.3"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("imuhinge: cannot use Bluetooth: the system D-Bus is not reachable")
    assert "Traceback" not in captured.err and captured.out == ""


def test_scan_cli_without_bluez_on_the_bus_is_exit_2(dbus_system_bus, monkeypatch, capsys):
    for name, value in dbus_system_bus.env().items():
        monkeypatch.setenv(name, value)
    assert main(["scan", "--timeout", "0.3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot use Bluetooth" in err[0]


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "1000"])
def test_scan_cli_refuses_a_bad_timeout(timeout, capsys):
    assert main(["scan", "--timeout", timeout]) == 2
    assert "--timeout" in capsys.readouterr().err
