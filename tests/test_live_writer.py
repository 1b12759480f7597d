"""Live recording: rows in time order, durable flushes, and a file that survives kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from imuhinge.errors import RecordingError
from imuhinge.recording import read_recording
from imuhinge.recording.live_writer import (
    LiveRecordingError,
    LiveRecordingWriter,
    LiveWriterSettings,
    SensorInfo,
    repair_truncated_tail,
)

SENSORS = {
    "pelvis": SensorInfo("WT901BLECL", "C0:FF:EE:00:00:01", 100.0),
    "thorax": SensorInfo("imuhinge-v1", "C0:FF:EE:00:00:02", 100.0),
}


class FakeClock:
    """A monotonic clock the test moves by hand (s)."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def _block(start: int, n: int, offset_s: float = 0.0):
    time_s = np.arange(start, start + n) / 100.0 + offset_s
    acc_g = np.column_stack([np.full(n, 0.01), np.full(n, -0.998), np.arange(start, start + n) * 1e-5])
    gyr_dps = np.column_stack([np.arange(start, start + n) * 0.001, np.zeros(n), np.full(n, -0.5)])
    return time_s, acc_g, gyr_dps


def _data_lines(path) -> list[str]:
    lines = path.read_text().splitlines()
    return lines[lines.index("time_s,sensor,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps") + 1:]


def test_rows_interleave_in_time_order_and_read_back(tmp_path):
    path = tmp_path / "session.csv"
    clock = FakeClock()
    with LiveRecordingWriter(path, {"exercise": "hip hinge"}, SENSORS, clock=clock) as writer:
        for k in range(30):
            writer.add("thorax", *_block(5 * k, 5, offset_s=0.003))
            writer.add("pelvis", *_block(5 * k, 5))
            clock.now_s += 0.05
    summary = writer.summary
    assert summary.rows_written == {"pelvis": 150, "thorax": 150}
    assert summary.late_rows == 0 and summary.gaps == []
    times = [float(line.split(",")[0]) for line in _data_lines(path)]
    assert times == sorted(times)
    recording = read_recording(path)
    assert recording.metadata["exercise"] == "hip hinge"
    assert recording.metadata["sensor pelvis"] == "WT901BLECL C0:FF:EE:00:00:01 100 Hz"
    expected_time_s, expected_acc_g, expected_gyr_dps = _block(0, 150)
    np.testing.assert_allclose(recording.streams["pelvis"].time_s, expected_time_s, atol=1e-9)
    np.testing.assert_allclose(recording.streams["pelvis"].acc_g, expected_acc_g, atol=5e-6)
    np.testing.assert_allclose(recording.streams["pelvis"].gyr_dps, expected_gyr_dps, atol=5e-4)


def test_non_increasing_and_non_finite_samples_are_dropped_and_gaps_listed(tmp_path):
    path = tmp_path / "session.csv"
    with LiveRecordingWriter(path, {}, {"pelvis": SENSORS["pelvis"]}) as writer:
        writer.add("pelvis", *_block(0, 20))
        writer.add("pelvis", *_block(10, 20))
        time_s, acc_g, gyr_dps = _block(30, 20)
        acc_g[3, 1] = np.nan
        time_s[5] = time_s[4]
        time_s[6] = time_s[4] + 0.00001
        writer.add("pelvis", time_s, acc_g, gyr_dps)
        writer.add("pelvis", *_block(100, 20))
    assert writer.summary.dropped_samples["pelvis"] == 10 + 3
    assert writer.summary.rows_written["pelvis"] == 20 + 10 + 17 + 20
    assert [(g.start_s, g.end_s) for g in writer.summary.gaps] == [(0.49, 1.0)]
    read_recording(path)


def test_flush_makes_rows_durable_before_close(tmp_path):
    path = tmp_path / "session.csv"
    clock = FakeClock()
    settings = LiveWriterSettings(reorder_window_s=0.5, flush_interval_s=1.0)
    writer = LiveRecordingWriter(path, {}, {"pelvis": SENSORS["pelvis"]}, settings=settings, clock=clock)
    writer.open()
    for k in range(20):
        writer.add("pelvis", *_block(10 * k, 10))
        clock.now_s += 0.1
    # a flush is due from 1 s on: everything older than the newest sample minus 0.5 s is on disk
    written = _data_lines(path)
    assert writer.summary.flushes >= 1
    assert 40 <= len(written) <= 200 - 50
    clock.now_s += 0.6
    writer.flush()
    assert len(_data_lines(path)) == 200, "after a quiet reorder window everything is written"
    writer.close()
    writer.close()
    assert len(_data_lines(path)) == 200


def test_existing_file_is_refused_unless_overwrite(tmp_path):
    path = tmp_path / "session.csv"
    path.write_text("keep me\n")
    with pytest.raises(LiveRecordingError):
        LiveRecordingWriter(path, {}, SENSORS).open()
    assert path.read_text() == "keep me\n"
    with LiveRecordingWriter(path, {}, SENSORS, overwrite=True) as writer:
        writer.add("pelvis", *_block(0, 20))
    assert len(read_recording(path).streams["pelvis"]) == 20
    with pytest.raises(ValueError):
        LiveRecordingWriter(tmp_path / "x.csv", {}, {"thorax": SENSORS["thorax"]})


def test_ctrl_c_inside_the_session_still_closes_a_valid_file(tmp_path):
    path = tmp_path / "session.csv"
    with pytest.raises(KeyboardInterrupt):
        with LiveRecordingWriter(path, {}, SENSORS) as writer:
            writer.add("pelvis", *_block(0, 30))
            writer.add("thorax", *_block(0, 30, offset_s=0.004))
            raise KeyboardInterrupt
    recording = read_recording(path)
    assert len(recording.streams["pelvis"]) == 30 and len(recording.streams["thorax"]) == 30


def test_metadata_cannot_break_the_header(tmp_path):
    path = tmp_path / "session.csv"
    with LiveRecordingWriter(path, {"note": "line one\nline two\r# fake", "a:b": "c"}, SENSORS) as writer:
        writer.add("pelvis", *_block(0, 20))
    recording = read_recording(path)
    assert recording.metadata["note"] == "line one line two # fake"
    assert recording.metadata["a-b"] == "c"


def test_truncated_last_line_is_repaired(tmp_path):
    path = tmp_path / "session.csv"
    with LiveRecordingWriter(path, {}, SENSORS) as writer:
        writer.add("pelvis", *_block(0, 20))
    complete = path.read_bytes()
    with open(path, "ab") as handle:
        handle.write(b"0.2000,pelvis,0.01")
    with pytest.raises(RecordingError):
        read_recording(path)
    assert repair_truncated_tail(path) == len(b"0.2000,pelvis,0.01")
    assert path.read_bytes() == complete
    assert repair_truncated_tail(path) == 0
    assert len(read_recording(path).streams["pelvis"]) == 20


CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from imuhinge.recording.live_writer import LiveRecordingWriter, LiveWriterSettings, SensorInfo

    sensors = {"pelvis": SensorInfo("sim", "00:00", 100.0), "thorax": SensorInfo("sim", "00:01", 100.0)}
    settings = LiveWriterSettings(reorder_window_s=0.1, flush_interval_s=0.02)
    writer = LiveRecordingWriter(sys.argv[1], {"test": "kill"}, sensors, settings=settings)
    writer.open()
    flushes = 0
    for k in range(100000):
        index = np.arange(5 * k, 5 * k + 5)
        acc_g = np.column_stack([index * 1e-5, np.full(5, -1.0), np.zeros(5)])
        gyr_dps = np.column_stack([index * 1e-3, np.zeros(5), np.zeros(5)])
        writer.add("pelvis", index / 100.0, acc_g, gyr_dps)
        writer.add("thorax", index / 100.0 + 0.004, acc_g, gyr_dps)
        if writer.summary.flushes != flushes:
            flushes = writer.summary.flushes
            print(writer.summary.rows_written["pelvis"], writer.summary.rows_written["thorax"], flush=True)
        time.sleep(0.002)
    """
)


def test_kill_9_mid_stream_leaves_every_flushed_row(tmp_path):
    path = tmp_path / "killed.csv"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        reported = []
        while len(reported) < 8:
            line = child.stdout.readline()
            assert line, "the writer process ended early"
            pelvis_rows, thorax_rows = map(int, line.split())
            if pelvis_rows >= 10 and thorax_rows >= 10:
                reported.append((pelvis_rows, thorax_rows))
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    recording = read_recording(path)
    pelvis, thorax = recording.streams["pelvis"], recording.streams["thorax"]
    assert len(pelvis) >= reported[-1][0] and len(thorax) >= reported[-1][1]
    index = np.arange(len(pelvis))
    np.testing.assert_allclose(pelvis.time_s, index / 100.0, atol=1e-9)
    np.testing.assert_allclose(pelvis.acc_g[:, 0], index * 1e-5, atol=5e-6)
    np.testing.assert_allclose(thorax.time_s, np.arange(len(thorax)) / 100.0 + 0.004, atol=1e-9)
