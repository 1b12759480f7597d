"""Fake ``Analysis`` objects for the report tests: sessions with known reps and traces.

The traces are smooth bumps, one per rep, shaped like a hinge: the pelvis tilts forward
and back, the lumbar spine flexes a little (or a lot, in a rounded rep), and dips into
extension at lockout in an overextended rep. Every rep's numbers are read back from the
traces, so the table, the JSON and the plot agree with each other as they would on real
output of the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imuhinge.pipeline.result import (
    ESTIMATED,
    GAP,
    MEASURED,
    ONE_SENSOR,
    OVEREXTENDED,
    ROUNDED,
    TWO_SENSOR,
    Analysis,
    AngleTraces,
    RepResult,
)
from imuhinge.settings import Thresholds

UNTRUSTED_SOURCE = "/data/<img src=x onerror=alert(1)>.csv"
UNTRUSTED_METADATA_VALUE = "<script>alert(1)</script>"
RICH_MARKUP_VALUE = "[bold red]pwned[/bold red] [link=file:///etc/passwd]x[/link] :warning:"


@dataclass
class RepSpec:
    """How one fake rep moves: times in seconds, peak angles in degrees."""

    start_s: float
    duration_s: float
    pelvis_peak_deg: float
    lumbar_peak_deg: float
    lockout_extension_deg: float = 0.0


def _bump(phase: np.ndarray) -> np.ndarray:
    """A raised cosine over phase 0..1: 0 at both ends, 1 in the middle."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * phase)


def make_analysis(
    specs: list[RepSpec],
    *,
    mode: str = TWO_SENSOR,
    duration_s: float,
    rate_hz: float = 100.0,
    gaps_s: list[tuple[float, float]] = (),
    thresholds: Thresholds = Thresholds(),
    source: str = "/home/physio/sessions/kb-deadlift.csv",
    metadata: dict[str, str] | None = None,
    warnings: list[str] | None = None,
    seed: int = 1,
) -> Analysis:
    """Build traces from ``specs`` and judge each rep against ``thresholds``."""
    rng = np.random.default_rng(seed)
    time_s = np.arange(0.0, duration_s, 1.0 / rate_hz)
    pelvis = rng.normal(0.0, 0.4, time_s.size)
    lumbar = rng.normal(0.0, 0.4, time_s.size)
    for spec in specs:
        i0, i1 = np.searchsorted(time_s, [spec.start_s, spec.start_s + spec.duration_s])
        phase = (time_s[i0:i1] - spec.start_s) / spec.duration_s
        pelvis[i0:i1] += spec.pelvis_peak_deg * _bump(phase)
        lumbar[i0:i1] += spec.lumbar_peak_deg * _bump(phase)
        lockout = (phase > 0.8) * np.sin(np.pi * np.clip((phase - 0.8) / 0.2, 0, 1))
        lumbar[i0:i1] -= spec.lockout_extension_deg * lockout
    trunk = pelvis + lumbar
    for start, end in gaps_s:
        missing = (time_s >= start) & (time_s <= end)
        pelvis[missing] = trunk[missing] = lumbar[missing] = np.nan

    one_sensor = mode == ONE_SENSOR
    source_label = ESTIMATED if one_sensor else MEASURED
    traces = AngleTraces(
        time_s=time_s,
        pelvis_tilt_deg=pelvis,
        trunk_inclination_deg=None if one_sensor else trunk,
        lumbar_flexion_deg=lumbar,
        lumbar_flexion_source=source_label,
        gaps_s=list(gaps_s),
    )
    reps = [
        _judge(number, spec, traces, thresholds, one_sensor)
        for number, spec in enumerate(specs, start=1)
    ]
    return Analysis(
        mode=mode,
        thresholds=thresholds,
        calibration={
            "pelvis": {"quiet_standing_s": [0.5, 3.0], "R_segment_sensor": np.eye(3)},
            "thorax": None if one_sensor else {"quiet_standing_s": [0.5, 3.0]},
            "gravity_g": np.float64(1.0012),
            "residual_deg": float("nan"),
        },
        reps=reps,
        traces=traces,
        source=source,
        metadata=dict(metadata or {"imuhinge-recording": "1", "sensor pelvis": "WT901BLECL 100 Hz"}),
        duration_s=duration_s,
        warnings=list(warnings or []),
    )


def _judge(number, spec, traces, thresholds, one_sensor) -> RepResult:
    t = traces.time_s
    end_s = spec.start_s + spec.duration_s
    bottom_s = spec.start_s + spec.duration_s / 2.0
    inside = (t >= spec.start_s) & (t <= end_s)
    lockout = (t >= spec.start_s + 0.8 * spec.duration_s) & (t <= end_s)
    in_gap = any(start < end_s and end > spec.start_s for start, end in traces.gaps_s)

    def peak(trace):
        return None if trace is None or in_gap else float(np.nanmax(trace[inside]))

    pelvis = float(np.nanmax(traces.pelvis_tilt_deg[inside]))
    lumbar = peak(traces.lumbar_flexion_deg)
    trunk = pelvis + lumbar if lumbar is not None else None
    extension = None
    if not one_sensor and not in_gap:
        extension = max(0.0, -float(np.nanmin(traces.lumbar_flexion_deg[lockout])))

    flags, reasons = [], []
    if in_gap:
        flags.append(GAP)
        reasons.append("Part of this rep was lost (no data from the sensor), so it was not judged.")
    if lumbar is not None and lumbar > thresholds.max_lumbar_flexion_deg:
        flags.append(ROUNDED)
        reasons.append(
            f"Your lower back rounded to {lumbar:.0f}° "
            f"(more than {thresholds.max_lumbar_flexion_deg:.0f}°)."
        )
    if extension is not None and extension > thresholds.max_lockout_extension_deg:
        flags.append(OVEREXTENDED)
        reasons.append(
            f"Your lower back arched {extension:.0f}° at the top "
            f"(more than {thresholds.max_lockout_extension_deg:.0f}°)."
        )
    return RepResult(
        rep=number,
        start_s=spec.start_s,
        bottom_s=bottom_s,
        end_s=end_s,
        pelvis_tilt_deg=pelvis,
        trunk_inclination_deg=trunk,
        lumbar_flexion_deg=lumbar,
        lumbar_flexion_source=ESTIMATED if one_sensor else MEASURED,
        lockout_extension_deg=extension,
        hinge_ratio=pelvis / trunk if trunk else None,
        eccentric_s=spec.duration_s * 0.55,
        concentric_s=spec.duration_s * 0.45,
        side_bend_deg=None if one_sensor else 2.0 + 0.1 * number,
        rotation_deg=float("nan") if number == 2 else 1.5,
        flags=flags,
        reasons=reasons,
    )


def two_sensor_session() -> Analysis:
    """Ten kettlebell deadlifts: reps 4 and 7 rounded, rep 9 overextended, rep 6 in a gap."""
    lumbar = [8, 10, 9, 28, 11, 10, 24, 9, 6, 12]
    extension = [0, 0, 2, 0, 0, 0, 0, 0, 14, 0]
    specs = [
        RepSpec(5.0 + 4.5 * i, 3.0, 55.0 + 3 * (i % 3), lumbar[i], extension[i])
        for i in range(10)
    ]
    gap = (specs[5].start_s + 1.0, specs[5].start_s + 2.1)
    return make_analysis(
        specs,
        duration_s=53.0,
        gaps_s=[gap],
        warnings=["The thorax sensor lost 1.1 s of data at 28.5 s; rep 6 was not judged."],
    )


def one_sensor_session() -> Analysis:
    """Eight hip hinges with only the pelvis sensor: lumbar flexion estimated, rep 5 rounded."""
    lumbar = [6, 7, 5, 9, 23, 8, 7, 6]
    specs = [RepSpec(4.0 + 4.0 * i, 2.8, 50.0, lumbar[i]) for i in range(8)]
    return make_analysis(
        specs,
        mode=ONE_SENSOR,
        duration_s=40.0,
        source="hinge-one-sensor.csv",
        warnings=["One sensor: lumbar flexion is estimated from the pelvis motion."],
    )


def zero_rep_session() -> Analysis:
    """Twenty seconds of standing still: no reps."""
    return make_analysis(
        [],
        duration_s=20.0,
        source="standing.csv",
        warnings=["No reps were found: the pelvis never tilted more than 15° forward."],
    )


def hour_long_session() -> Analysis:
    """An hour of swings and deadlifts in sets: 300 reps, about one in six rounded."""
    rng = np.random.default_rng(7)
    specs = []
    for set_index in range(20):
        set_start_s = 30.0 + set_index * 175.0
        for i in range(15):
            rounded = rng.random() < 0.17
            specs.append(
                RepSpec(
                    set_start_s + i * 3.2,
                    2.6,
                    float(rng.uniform(45, 65)),
                    float(rng.uniform(21, 32) if rounded else rng.uniform(3, 15)),
                    float(rng.uniform(10.5, 14) if rng.random() < 0.04 else rng.uniform(0, 4)),
                )
            )
    return make_analysis(
        specs,
        duration_s=3600.0,
        gaps_s=[(1203.0, 1206.5), (2900.0, 2901.0)],
        source="hour-long-class.csv",
        seed=3,
    )


def hostile_session() -> Analysis:
    """The two-sensor session with an HTML/markup-injecting file name and metadata."""
    analysis = two_sensor_session()
    analysis.source = UNTRUSTED_SOURCE
    analysis.metadata = {
        "note": UNTRUSTED_METADATA_VALUE,
        "<b>key</b>": RICH_MARKUP_VALUE,
    }
    analysis.warnings.append(f"Odd header: {UNTRUSTED_METADATA_VALUE} {RICH_MARKUP_VALUE}")
    analysis.reps[3].reasons.append(UNTRUSTED_METADATA_VALUE)
    return analysis
