"""Emulated BlueZ (org.bluez on a private D-Bus) for testing bleak without hardware."""
