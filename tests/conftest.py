"""Shared fixtures: a private D-Bus and the emulated BlueZ on it (see tests/bluez/README.md)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def _ensure_dbus_daemon() -> str | None:
    """None if dbus-daemon is available (installing Debian's `dbus` when root can), else why not."""
    if shutil.which("dbus-daemon"):
        return None
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "dbus"]):
            try:
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
            except (subprocess.SubprocessError, OSError):
                break
        if shutil.which("dbus-daemon"):
            return None
    return "dbus-daemon is missing and could not be installed (apt-get install dbus)"


@pytest.fixture(scope="session")
def dbus_system_bus():
    """A private dbus-daemon (plus a fake `bluetoothctl` reporting BlueZ 5.72) for the whole
    session; yields the PrivateBus. Skips only if dbus-daemon is missing and uninstallable."""
    why = _ensure_dbus_daemon()
    if why:
        pytest.skip(why)
    from bluez.emulator import PrivateBus

    bus = PrivateBus().start()
    try:
        yield bus
    finally:
        bus.stop()


@pytest.fixture
def bluez(dbus_system_bus, monkeypatch):
    """Factory: ``bluez(devices)`` starts an emulated BlueZ (adapter hci0) owning org.bluez on
    the private bus with those DeviceSpecs, and points bleak at it for this test
    (DBUS_SYSTEM_BUS_ADDRESS, PATH); it is stopped when the test ends."""
    from bluez.emulator import BluezEmulator

    for name, value in dbus_system_bus.env().items():
        monkeypatch.setenv(name, value)
    started: list[BluezEmulator] = []

    def start(devices, **kwargs) -> BluezEmulator:
        emu = BluezEmulator(dbus_system_bus.address, devices, **kwargs).start()
        started.append(emu)
        return emu

    yield start
    for emu in reversed(started):
        emu.stop()
