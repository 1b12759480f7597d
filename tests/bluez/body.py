"""What emulated sensors send: a simulated session's samples, as the sensors measured them.

The simulator's recordings include what a BLE link does to samples (loss bursts, jittered
timestamps), because the offline analysis must cope with them. An emulated sensor must
not send those: the emulated link (and the protocol, e.g. a WitMotion unit's missing
clock) is the transport, and a sample lost in the simulator would shift every later
sample sent "at i / rate". ``measured_session`` therefore simulates the body and the
sensors' measurement faults (bias, noise, scale, int16) with the transport faults taken
out, so every sensor's samples are regular and both sensors stay on one time line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from imuhinge.simulation import SessionConfig, simulate_plan, simulate_session


@dataclass(frozen=True)
class MeasuredStream:
    """One sensor's samples at its regular rate: time_s (n,), acc_g (n, 3), gyr_dps (n, 3)."""

    time_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray

    def raw(self, acc_full_scale_g: float = 16.0, gyr_full_scale_dps: float = 2000.0) -> tuple[np.ndarray, np.ndarray]:
        """int16 counts at those full scales (what a sensor with these ranges sends)."""
        return _counts(self.acc_g, acc_full_scale_g), _counts(self.gyr_dps, gyr_full_scale_dps)


def measured_session(seed: int, sensors: tuple[str, ...] = ("pelvis", "thorax"), *, rate_hz: float = 100.0,
                     duration_s: float | None = None, scenario: str = "deadlift"):
    """(streams by label, truth) of a simulated session without transport faults."""
    config = SessionConfig.random(seed=seed, sensors=sensors, rate_hz=rate_hz, scenario=scenario,
                                  duration_s=duration_s)
    config = replace(config, sensor_setups=tuple(
        replace(setup, faults=replace(setup.faults, jitter_s=0.0, loss_fraction=0.0, long_loss_s=0.0))
        for setup in config.sensor_setups
    ))
    recording, truth = simulate_session(config)
    streams = {label: MeasuredStream(s.time_s, s.acc_g, s.gyr_dps)
               for label, s in recording.streams.items()}
    return streams, truth


def measured_plan(seed: int, sensors: tuple[str, ...] = ("pelvis", "thorax"), *, rate_hz: float = 100.0,
                  reps_per_drill: int | None = None, plan: str = "progression"):
    """(streams by label, ``SimulatedPlan``) of a whole plan session (every drill in one
    continuous session, ``imuhinge.simulation.plan``) without transport faults; the
    streams cover the whole session, and the plan's parts say where each drill is."""
    simulated = simulate_plan(seed, sensors, plan, reps_per_drill=reps_per_drill, rate_hz=rate_hz,
                              transport_faults=False)
    streams = {label: MeasuredStream(s.time_s, s.acc_g, s.gyr_dps)
               for label, s in simulated.recording.streams.items()}
    return streams, simulated


def _counts(values: np.ndarray, full_scale: float) -> np.ndarray:
    return np.clip(np.round(values / full_scale * 32768.0), -32768, 32767).astype(int)
