"""Settings of a BLE sensor link, with units, kept apart from the link's state."""

from __future__ import annotations

from dataclasses import dataclass

from ..protocols import witmotion


@dataclass(frozen=True)
class LinkSettings:
    """How a ``SensorLink`` finds, connects to, configures and reconnects a sensor.

    - ``scan_timeout_s``: how long to look for a sensor given by name.
    - ``name_settle_s``: after the first device with that name is seen, how long to keep
      looking for a second one (two units of one model share a name; we refuse to guess).
    - ``connect_timeout_s``: one connection attempt, including bleak's own short scan for
      the address, service discovery included.
    - ``connect_attempts``: attempts at the start of a session before giving up with
      ``SensorUnreachableError``. Once streaming, a lost link is retried for as long as
      the session runs.
    - ``backoff_initial_s``, ``backoff_factor``, ``backoff_max_s``: the pause before each
      retry grows from the initial value by the factor up to the maximum (0.5, 1, 2, 4,
      8, 8 … s), so a sensor that walked out of range is found again soon after it is back
      without flooding the adapter with connection requests meanwhile.
    - ``rate_hz``: the output rate the sensor is configured to (Hz), one it supports
      (firmware_protocols/README.md lists each sensor's); None: the sensor's rate
      nearest 100 Hz.
    - ``command_spacing_s``: pause between configuration writes; WitMotion units drop
      commands that arrive closer together.
    - ``response_timeout_s``: how long to wait for a sensor to answer a command, for
      protocols whose sensors answer (Polar PMD, imuhinge v1 when checked).
    """

    scan_timeout_s: float = 10.0
    name_settle_s: float = 1.0
    connect_timeout_s: float = 15.0
    connect_attempts: int = 3
    backoff_initial_s: float = 0.5
    backoff_factor: float = 2.0
    backoff_max_s: float = 8.0
    rate_hz: float | None = None
    command_spacing_s: float = witmotion.COMMAND_SPACING_S
    response_timeout_s: float = 3.0

    def __post_init__(self) -> None:
        for name in ("scan_timeout_s", "connect_timeout_s", "backoff_initial_s", "backoff_max_s", "rate_hz",
                     "response_timeout_s"):
            value = getattr(self, name)
            if name == "rate_hz" and value is None:
                continue
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value}")
        if self.connect_attempts < 1:
            raise ValueError(f"connect_attempts must be at least 1, got {self.connect_attempts}")
        if self.backoff_factor < 1:
            raise ValueError(f"backoff_factor must be at least 1, got {self.backoff_factor}")
        if self.name_settle_s < 0 or self.command_spacing_s < 0:
            raise ValueError("name_settle_s and command_spacing_s must not be negative")

    def backoff_s(self, retry: int) -> float:
        """Pause (s) before retry number ``retry`` (0 for the first retry)."""
        return min(self.backoff_initial_s * self.backoff_factor ** retry, self.backoff_max_s)
