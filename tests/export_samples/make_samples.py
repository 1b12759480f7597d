"""Write the small export samples in this folder (run from the project root).

Each sample copies the real export's shape (file names, header text, quoting, column
order, number format, units) and carries motion with known values, so a test can check
every conversion numerically:

- a still phone or sensor, face up: +9.80665 m/s² (phones) or +1 g (MetaBase) along z;
- from 0.5 s to 1.0 s a turn at exactly 1 rad/s (phones) or 57.3 °/s (MetaBase) about x;
- the accelerometer's x reads a slow ramp (0.2 m/s² or 0.02 g per second), so linear
  interpolation between the sensors' clocks is checked exactly.

The accelerometer and gyroscope run at different rates and start at different moments,
as they do in real exports.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
G_M_S2 = 9.80665
EPOCH_S = 1_795_000_000.0  # 2026-11-18 11:06:40 UTC, fixed so the files never change
TURN_RAD_S = 1.0
TURN = (0.5, 1.0)
DURATION_S = 1.6


def acc_m_s2(time_s: np.ndarray) -> np.ndarray:
    x = 0.2 * time_s
    return np.column_stack([x, np.zeros_like(time_s), np.full_like(time_s, G_M_S2)])


def gyr_rad_s(time_s: np.ndarray) -> np.ndarray:
    turning = (time_s >= TURN[0]) & (time_s < TURN[1])
    return np.column_stack([np.where(turning, TURN_RAD_S, 0.0), np.zeros_like(time_s), np.zeros_like(time_s)])


def clock(rate_hz: float, start_s: float = 0.0) -> np.ndarray:
    return start_s + np.arange(int(DURATION_S * rate_hz)) / rate_hz


def metabase() -> None:
    folder = HERE / "metabase"
    folder.mkdir(exist_ok=True)
    prefix = "S-hinge_MetaWear_2026-11-18T12.06.40.000_C0FFEE000001"
    for name, rate_hz, start_s, unit, values in (
        ("Accelerometer", 50.0, 0.3, "g", lambda t: acc_m_s2(t) / G_M_S2),
        ("Gyroscope", 100.0, 0.0, "deg/s", lambda t: np.degrees(gyr_rad_s(t))),
    ):
        t = clock(rate_hz, start_s)
        epoch_ms = np.round((EPOCH_S + t) * 1000).astype(np.int64)
        local = [
            np.datetime_as_string(np.datetime64(int(ms + 3_600_000), "ms"), unit="ms")
            for ms in epoch_ms
        ]
        v = values(t)
        lines = [f"epoch (ms),time (01:00),elapsed (s),x-axis ({unit}),y-axis ({unit}),z-axis ({unit})"]
        lines += [
            f"{ms},{text},{e:.3f},{a:.3f},{b:.3f},{c:.3f}"
            for ms, text, e, (a, b, c) in zip(epoch_ms, local, t - t[0], v)
        ]
        (folder / f"{prefix}_{name}_{rate_hz:.3f}Hz_1.7.3.csv").write_text("\n".join(lines) + "\n")


def phyphox_number(value: float) -> str:
    return f"{value:.9E}".replace("E+0", "E").replace("E-0", "E-").replace("E+", "E")


def phyphox_table(columns: list[str], blocks: list[np.ndarray]) -> str:
    rows = max(len(b) for b in blocks)
    lines = [",".join(f'"{c}"' for c in columns)]
    for i in range(rows):
        cells = []
        for block in blocks:
            cells += [phyphox_number(v) for v in block[i]] if i < len(block) else [""] * block.shape[1]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def phyphox_time(system_start_s: float, end_s: float) -> str:
    def text(s: float) -> str:
        stamp = np.datetime_as_string(np.datetime64(int(round((s + 3600) * 1000)), "ms"), unit="ms")
        return stamp.replace("T", " ") + " UTC+01:00"

    return (
        '"event","experiment time","system time","system time text"\n'
        f'"START",0.000000000E0,{system_start_s:.3f},"{text(system_start_s)}"\n'
        f'"PAUSE",{phyphox_number(end_s)},{system_start_s + end_s:.3f},"{text(system_start_s + end_s)}"\n'
    )


ACC_COLUMNS = ["Acceleration x (m/s^2)", "Acceleration y (m/s^2)", "Acceleration z (m/s^2)"]
GYR_COLUMNS = ["Gyroscope x (rad/s)", "Gyroscope y (rad/s)", "Gyroscope z (rad/s)"]


def phyphox() -> None:
    # Two experiments, "Acceleration with g" started 0.25 s after "Gyroscope".
    acc_dir, gyr_dir = HERE / "phyphox-acceleration-with-g", HERE / "phyphox-gyroscope"
    for folder in (acc_dir / "meta", gyr_dir / "meta"):
        folder.mkdir(parents=True, exist_ok=True)
    t_acc, t_gyr = clock(50.0, 0.25), clock(100.0)
    acc = acc_m_s2(t_acc)
    (acc_dir / "Raw Data.csv").write_text(
        phyphox_table(
            ["Time (s)", *ACC_COLUMNS, "Absolute acceleration (m/s^2)"],
            [np.column_stack([t_acc - 0.25, acc, np.linalg.norm(acc, axis=1)])],
        )
    )
    (acc_dir / "meta" / "time.csv").write_text(phyphox_time(EPOCH_S + 0.25, t_acc[-1] - 0.25))
    gyr = gyr_rad_s(t_gyr)
    (gyr_dir / "Raw Data.csv").write_text(
        phyphox_table(
            ["Time (s)", *GYR_COLUMNS, "Absolute (rad/s)"],
            [np.column_stack([t_gyr, gyr, np.linalg.norm(gyr, axis=1)])],
        )
    )
    (gyr_dir / "meta" / "time.csv").write_text(phyphox_time(EPOCH_S, t_gyr[-1]))

    # One experiment recording both, each sensor after its own time column.
    both = HERE / "phyphox-combined"
    both.mkdir(exist_ok=True)
    t_acc, t_gyr = clock(100.0, 0.004), clock(100.0)
    (both / "Raw Data.csv").write_text(
        phyphox_table(
            ["Time (s)", *ACC_COLUMNS, "Time (s)", *GYR_COLUMNS],
            [np.column_stack([t_acc, acc_m_s2(t_acc)])[:-3], np.column_stack([t_gyr, gyr_rad_s(t_gyr)])],
        )
    )

    # "Acceleration without g": gravity removed, to be refused.
    linear = HERE / "phyphox-linear-acceleration"
    linear.mkdir(exist_ok=True)
    t = clock(100.0)
    lin = acc_m_s2(t) - [0.0, 0.0, G_M_S2]
    (linear / "Raw Data.csv").write_text(
        phyphox_table(
            ["Time (s)", "Linear Acceleration x (m/s^2)", "Linear Acceleration y (m/s^2)",
             "Linear Acceleration z (m/s^2)", "Absolute acceleration (m/s^2)"],
            [np.column_stack([t, lin, np.linalg.norm(lin, axis=1)])],
        )
    )


def sensorlogger_table(time_s: np.ndarray, values_xyz: np.ndarray) -> str:
    time_ns = int(EPOCH_S) * 1_000_000_000 + np.round(time_s * 1e9).astype(np.int64)
    values = values_xyz.astype(float).round(9) + 0.0
    lines = ["time,seconds_elapsed,z,y,x"]
    lines += [
        f"{ns},{s:.6f},{float(z)!r},{float(y)!r},{float(x)!r}"
        for ns, s, (x, y, z) in zip(time_ns, time_s + 0.0123, values)
    ]
    return "\n".join(lines) + "\n"


METADATA_HEADER = (
    "version,device name,recording epoch time,recording time,recording timezone,platform,"
    "appVersion,device id,sensors,sampleRateMs,standardisation,platform version"
)


def sensorlogger() -> None:
    # Android, TotalAcceleration at 50 Hz, gyroscope at 100 Hz starting 0.1 s earlier.
    android = HERE / "sensorlogger-android"
    android.mkdir(exist_ok=True)
    t_acc, t_gyr = clock(50.0, 0.1), clock(100.0)
    total = acc_m_s2(t_acc)
    gravity = np.tile([0.0, 0.0, G_M_S2], (len(t_acc), 1))
    (android / "TotalAcceleration.csv").write_text(sensorlogger_table(t_acc, total))
    (android / "Accelerometer.csv").write_text(sensorlogger_table(t_acc, total - gravity))
    (android / "Gravity.csv").write_text(sensorlogger_table(t_acc, gravity))
    (android / "Gyroscope.csv").write_text(sensorlogger_table(t_gyr, gyr_rad_s(t_gyr)))
    (android / "Metadata.csv").write_text(
        METADATA_HEADER + "\n"
        f"3,Pixel 7,{int(EPOCH_S * 1000)},2026-11-18_11-06-40,Europe/London,android,1.64,"
        "0000-test,Accelerometer|Gravity|Gyroscope|TotalAcceleration,20|20|10|20,false,14\n"
    )

    # iOS in its own signs (Standardise Units & Frames off), no TotalAcceleration:
    # Accelerometer (gravity removed) plus Gravity, both with iOS's reversed signs.
    ios = HERE / "sensorlogger-ios"
    ios.mkdir(exist_ok=True)
    t = clock(100.0)
    total = acc_m_s2(t)
    gravity = np.tile([0.0, 0.0, G_M_S2], (len(t), 1))
    (ios / "Accelerometer.csv").write_text(sensorlogger_table(t, -(total - gravity)))
    (ios / "Gravity.csv").write_text(sensorlogger_table(t, -gravity))
    (ios / "Gyroscope.csv").write_text(sensorlogger_table(t, gyr_rad_s(t)))
    (ios / "Metadata.csv").write_text(
        METADATA_HEADER + "\n"
        f"3,iPhone 15,{int(EPOCH_S * 1000)},2026-11-18_11-06-40,Europe/London,ios,1.64,"
        "0000-test,Accelerometer|Gravity|Gyroscope,10|10|10,false,18.1\n"
    )

    # Gravity removed and nothing to restore it: to be refused.
    bare = HERE / "sensorlogger-no-gravity"
    bare.mkdir(exist_ok=True)
    (bare / "Accelerometer.csv").write_text(sensorlogger_table(t, total - gravity))
    (bare / "Gyroscope.csv").write_text(sensorlogger_table(t, gyr_rad_s(t)))


if __name__ == "__main__":
    metabase()
    phyphox()
    sensorlogger()
