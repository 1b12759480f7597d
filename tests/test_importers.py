"""Importers of other apps' exports: formats, conversions, merging, refusals, the CLI.

The samples in ``tests/export_samples/`` copy the real exports' shape and carry known
motion (see ``make_samples.py``): still and face up (+1 g along z), a 1 rad/s turn about
x from 0.5 s to 1.0 s, and a ramp on the accelerometer's x (0.2 m/s² per second) that
makes the interpolation between the two sensors' clocks checkable exactly. The real
MetaBase files are read from ``<repo>/../shared/real/`` when that folder exists.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imuhinge.errors import BadInputError, RecordingError
from imuhinge.importers import detect_format, import_export, import_warnings, load_recording
from imuhinge.recording import Recording, read_recording, write_recording

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "export_samples"
REAL = ROOT.parent / "shared" / "real" / "metabase-wrist-deadlift"
METABASE_PREFIX = "S-hinge_MetaWear_2026-11-18T12.06.40.000_C0FFEE000001"
METABASE_ACC = SAMPLES / "metabase" / f"{METABASE_PREFIX}_Accelerometer_50.000Hz_1.7.3.csv"
METABASE_GYR = SAMPLES / "metabase" / f"{METABASE_PREFIX}_Gyroscope_100.000Hz_1.7.3.csv"
G_M_S2 = 9.80665
RAMP_M_S2_PER_S = 0.2
TURN_DPS = np.degrees(1.0)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "imuhinge", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _check_known_motion(recording: Recording, clock_offset_s: float, ramp_tolerance_g: float = 1e-6) -> None:
    """Still face up at 1 g, a 57.3 °/s turn about x, the x ramp at the right time."""
    stream = recording.streams["pelvis"]
    np.testing.assert_allclose(stream.acc_g[:, 2], 1.0, atol=1e-3)
    np.testing.assert_allclose(stream.acc_g[:, 1], 0.0, atol=1e-3)
    source_time_s = stream.time_s + clock_offset_s
    expected_x_g = RAMP_M_S2_PER_S * source_time_s / G_M_S2
    np.testing.assert_allclose(stream.acc_g[:, 0], expected_x_g, atol=ramp_tolerance_g)
    turning = (source_time_s > 0.55) & (source_time_s < 0.95)
    still = (source_time_s < 0.45) | (source_time_s > 1.05)
    np.testing.assert_allclose(stream.gyr_dps[turning, 0], TURN_DPS, atol=1e-3)
    np.testing.assert_allclose(stream.gyr_dps[still], 0.0, atol=1e-9)
    assert TURN_DPS == pytest.approx(57.2958, abs=1e-4)


# --- MetaBase -----------------------------------------------------------------------


@pytest.mark.parametrize("given", [METABASE_ACC, METABASE_GYR])
def test_metabase_finds_the_partner_file_and_merges_at_the_faster_rate(given):
    recording = load_recording([str(given)])
    stream = recording.streams["pelvis"]
    assert stream.median_rate_hz == pytest.approx(100.0, rel=1e-3)
    assert recording.metadata["imported"] == "metabase, accelerometer 50 Hz interpolated to 100 Hz"
    assert recording.metadata["start (UTC)"] == "2026-11-18T11:06:40.300Z"
    assert recording.metadata["sensor pelvis"] == "MbientLab MetaMotion C0:FF:EE:00:00:01 100 Hz"
    # The accelerometer starts 0.3 s after the gyroscope; the file keeps 3 decimals of g.
    _check_known_motion(recording, clock_offset_s=0.3, ramp_tolerance_g=6e-4)
    assert import_warnings(recording) == []


def test_metabase_both_files_in_either_order_give_the_same_recording():
    one = import_export("metabase", [str(METABASE_ACC), str(METABASE_GYR)])
    two = import_export("auto", [str(METABASE_GYR), str(METABASE_ACC)])
    np.testing.assert_array_equal(one.streams["pelvis"].acc_g, two.streams["pelvis"].acc_g)
    np.testing.assert_array_equal(one.streams["pelvis"].time_s, two.streams["pelvis"].time_s)


def test_metabase_without_its_partner_is_refused_naming_the_file(tmp_path):
    alone = tmp_path / METABASE_ACC.name
    shutil.copy(METABASE_ACC, alone)
    with pytest.raises(RecordingError, match="no gyroscope file of the same session") as caught:
        load_recording([str(alone)])
    assert caught.value.path == str(alone)


def test_metabase_two_accelerometer_files_are_refused(tmp_path):
    other = tmp_path / METABASE_ACC.name.replace("S-hinge", "T-hinge")
    shutil.copy(METABASE_ACC, other)
    with pytest.raises(BadInputError, match="both accelerometer files"):
        import_export("metabase", [str(METABASE_ACC), str(other)])


@pytest.mark.parametrize(
    "change, problem, line",
    [
        (lambda rows: rows[:3] + [rows[3].replace(",0.000,1.000", ",0.000,abc")] + rows[4:],
         "'z-axis (g)' holds 'abc', which is not a number", 4),
        (lambda rows: [rows[0].replace(",z-axis (g)", "")] + [r.rsplit(",", 1)[0] for r in rows[1:]],
         "lacks column 'z-axis (g)'", 1),
        (lambda rows: rows[:1], "has a header but no samples", 1),
        (lambda rows: rows[:5] + [rows[5].replace(",0.000,1.000", ",,1.000")] + rows[6:],
         "'y-axis (g)' is empty", 6),
        (lambda rows: rows[:6] + [rows[6].rsplit(",", 1)[0]] + rows[7:], "'z-axis (g)' is empty", 7),
        (lambda rows: rows[:6] + [rows[6] + ",9"] + rows[7:], "has 7 fields where the header has 6", 7),
    ],
)
def test_malformed_metabase_is_one_sentence_with_file_and_line(tmp_path, change, problem, line):
    rows = METABASE_ACC.read_text().splitlines()
    bad = tmp_path / METABASE_ACC.name
    bad.write_text("\n".join(change(rows)) + "\n")
    shutil.copy(METABASE_GYR, tmp_path / METABASE_GYR.name)
    with pytest.raises(RecordingError) as caught:
        load_recording([str(bad)])
    assert problem in str(caught.value)
    assert caught.value.path == str(bad) and caught.value.line == line
    assert str(caught.value).count("\n") == 0


def test_empty_export_file_is_refused(tmp_path):
    empty = tmp_path / "Raw Data.csv"
    empty.write_text("")
    with pytest.raises(RecordingError, match="empty"):
        import_export("phyphox", [str(empty)])


# --- phyphox ------------------------------------------------------------------------


def test_phyphox_two_experiments_are_put_on_one_clock_by_their_time_files():
    recording = load_recording(
        [str(SAMPLES / "phyphox-acceleration-with-g"), str(SAMPLES / "phyphox-gyroscope" / "Raw Data.csv")]
    )
    stream = recording.streams["pelvis"]
    assert stream.median_rate_hz == pytest.approx(100.0, rel=1e-3)
    assert recording.metadata["imported"] == "phyphox, accelerometer 50 Hz interpolated to 100 Hz"
    # "Acceleration with g" was started 0.25 s after "Gyroscope": time_s = 0 is then.
    assert recording.metadata["start (UTC)"] == "2026-11-18T11:06:40.250Z"
    _check_known_motion(recording, clock_offset_s=0.25)


def test_phyphox_combined_experiment_with_a_time_column_per_sensor():
    recording = load_recording([str(SAMPLES / "phyphox-combined" / "Raw Data.csv")])
    assert detect_format([SAMPLES / "phyphox-combined"]) == "phyphox"
    assert recording.metadata["imported"] == (
        "phyphox, gyroscope interpolated onto the accelerometer's timestamps"
    )
    assert recording.streams["pelvis"].time_s[0] == 0.0
    _check_known_motion(recording, clock_offset_s=0.004)


def test_phyphox_semicolon_and_decimal_comma_dialect(tmp_path):
    text = (SAMPLES / "phyphox-combined" / "Raw Data.csv").read_text()
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Raw Data.csv").write_text(text.replace(",", ";").replace(".", ","))
    comma = load_recording([str(SAMPLES / "phyphox-combined")]).streams["pelvis"]
    semicolon = load_recording([str(folder)]).streams["pelvis"]
    np.testing.assert_allclose(semicolon.acc_g, comma.acc_g)
    np.testing.assert_allclose(semicolon.gyr_dps, comma.gyr_dps)


def test_phyphox_two_experiments_in_the_semicolon_dialect(tmp_path):
    folders = []
    for name in ("phyphox-acceleration-with-g", "phyphox-gyroscope"):
        for relative in ("Raw Data.csv", "meta/time.csv"):
            text = (SAMPLES / name / relative).read_text()
            target = tmp_path / name / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text.replace(",", ";").replace(".", ","))
        folders.append(str(tmp_path / name))
    recording = load_recording(folders)
    assert recording.metadata["start (UTC)"] == "2026-11-18T11:06:40.250Z"
    _check_known_motion(recording, clock_offset_s=0.25)


def test_phyphox_linear_acceleration_is_refused_because_gravity_is_needed():
    with pytest.raises(RecordingError) as caught:
        load_recording([str(SAMPLES / "phyphox-linear-acceleration" / "Raw Data.csv")])
    message = str(caught.value)
    assert "gravity" in message and "tilt" in message and "Raw Data.csv" in message


def test_phyphox_two_experiments_without_time_files_cannot_be_aligned(tmp_path):
    for name in ("phyphox-acceleration-with-g", "phyphox-gyroscope"):
        (tmp_path / name).mkdir()
        shutil.copy(SAMPLES / name / "Raw Data.csv", tmp_path / name / "Raw Data.csv")
    with pytest.raises(RecordingError, match="cannot be put on one clock"):
        load_recording([str(tmp_path / "phyphox-acceleration-with-g"), str(tmp_path / "phyphox-gyroscope")])


def test_phyphox_text_in_a_number_names_file_and_line(tmp_path):
    rows = (SAMPLES / "phyphox-gyroscope" / "Raw Data.csv").read_text().splitlines()
    rows[7] = rows[7].replace("0.000000000E0", "n/a", 1)
    (tmp_path / "Raw Data.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(RecordingError, match="holds 'n/a'") as caught:
        import_export("phyphox", [str(tmp_path / "Raw Data.csv")])
    assert caught.value.line == 8


# --- Sensor Logger ------------------------------------------------------------------


@pytest.mark.parametrize("given", ["", "Gyroscope.csv", "Metadata.csv", "TotalAcceleration.csv"])
def test_sensorlogger_android_from_the_folder_or_any_file_in_it(given):
    recording = load_recording([str(SAMPLES / "sensorlogger-android" / given)])
    assert recording.metadata["imported"] == "sensorlogger, accelerometer 50 Hz interpolated to 100 Hz"
    assert recording.metadata["source files"] == "TotalAcceleration.csv, Gyroscope.csv"
    assert recording.metadata["start (UTC)"] == "2026-11-18T11:06:40.100Z"
    # z,y,x column order: the ramp written under "x" must come out as acc_x.
    _check_known_motion(recording, clock_offset_s=0.1)
    assert import_warnings(recording) == []


def test_sensorlogger_ios_signs_are_reversed_and_gravity_restored():
    recording = load_recording([str(SAMPLES / "sensorlogger-ios")])
    assert recording.metadata["imported"] == "sensorlogger, iOS acceleration signs reversed"
    assert recording.metadata["source files"] == "Accelerometer.csv, Gravity.csv, Gyroscope.csv"
    _check_known_motion(recording, clock_offset_s=0.0)


def test_sensorlogger_without_gravity_is_refused_in_one_sentence():
    with pytest.raises(RecordingError) as caught:
        load_recording([str(SAMPLES / "sensorlogger-no-gravity")])
    message = str(caught.value)
    assert "gravity removed" in message and "tilt" in message and "Accelerometer.csv" in message


def test_sensorlogger_without_metadata_warns_about_the_assumed_signs(tmp_path):
    for name in ("TotalAcceleration.csv", "Gyroscope.csv"):
        shutil.copy(SAMPLES / "sensorlogger-android" / name, tmp_path / name)
    recording = load_recording([str(tmp_path)])
    (warning,) = import_warnings(recording)
    assert "Metadata.csv" in warning and "iPhone" in warning


def test_sensorlogger_time_is_whole_nanoseconds(tmp_path):
    shutil.copytree(SAMPLES / "sensorlogger-android", tmp_path / "export")
    gyro = tmp_path / "export" / "Gyroscope.csv"
    rows = gyro.read_text().splitlines()
    rows[3] = "1.795e18" + rows[3][19:]
    gyro.write_text("\n".join(rows) + "\n")
    with pytest.raises(RecordingError, match="not a whole number") as caught:
        load_recording([str(tmp_path / "export")])
    assert caught.value.path == str(gyro) and caught.value.line == 4


# --- the command line ----------------------------------------------------------------


def test_import_command_round_trip(tmp_path):
    done = _run("import", "auto", str(METABASE_GYR), "--out", "r.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote r.csv" in done.stdout
    text = (tmp_path / "r.csv").read_text()
    assert text.startswith("# imuhinge-recording: 1\n# imported: metabase, accelerometer 50 Hz interpolated to 100 Hz\n")
    written = read_recording(tmp_path / "r.csv")
    imported = load_recording([str(METABASE_ACC)])
    for name in ("time_s", "acc_g", "gyr_dps"):
        np.testing.assert_allclose(
            getattr(written.streams["pelvis"], name), getattr(imported.streams["pelvis"], name), atol=1e-3
        )
    assert written.metadata["imported"] == imported.metadata["imported"]


def test_import_command_thorax_label_and_stated_format(tmp_path):
    done = _run(
        "import", "sensorlogger", str(SAMPLES / "sensorlogger-android"), "--out", "t.csv", "--sensor", "thorax",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "\n0.0,thorax," in (tmp_path / "t.csv").read_text()


def test_import_command_refusals_are_one_line_and_status_2(tmp_path):
    cases = [
        ("import", "phyphox", str(SAMPLES / "phyphox-linear-acceleration"), "--out", "x.csv"),
        ("import", "sensorlogger", str(SAMPLES / "sensorlogger-no-gravity"), "--out", "x.csv"),
        ("import", "metabase", str(SAMPLES / "sensorlogger-android" / "Gyroscope.csv"), "--out", "x.csv"),
        ("import", "auto", str(ROOT / "recordings" / "kettlebell-deadlift-pelvis-only.csv"), "--out", "x.csv"),
        ("analyse", str(SAMPLES / "sensorlogger-no-gravity" / "Gyroscope.csv")),
    ]
    for args in cases:
        done = _run(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "x.csv").exists()
    assert _run("import", "excel", "a.csv", "--out", "x.csv", cwd=tmp_path).returncode == 2
    assert _run("import", "--help", cwd=tmp_path).returncode == 0


def _simulated_session(seed: int = 5) -> Recording:
    from imuhinge.simulation import SessionConfig, simulate_session

    config = SessionConfig.random(seed=seed, sensors=("pelvis",), rate_hz=100.0, duration_s=40.0)
    recording, _truth = simulate_session(config)
    return recording


def _write_sensorlogger_export(recording: Recording, folder: Path) -> None:
    """The simulated pelvis stream as an Android Sensor Logger export, gyroscope at half rate."""
    import pandas as pd

    stream = recording.streams["pelvis"]
    folder.mkdir()
    time_ns = 1_795_000_000 * 10**9 + np.round(stream.time_s * 1e9).astype(np.int64)
    for name, time, values in (
        ("TotalAcceleration.csv", time_ns, stream.acc_g * G_M_S2),
        ("Gyroscope.csv", time_ns[::2], np.radians(stream.gyr_dps[::2])),
    ):
        table = pd.DataFrame(
            {"time": time, "seconds_elapsed": (time - time_ns[0]) / 1e9,
             "z": values[:, 2], "y": values[:, 1], "x": values[:, 0]}
        )
        table.to_csv(folder / name, index=False)


def test_analyse_and_plot_take_an_export_directly(tmp_path):
    from imuhinge.pipeline.analyse import analyse_recording

    recording = _simulated_session()
    _write_sensorlogger_export(recording, tmp_path / "export")
    expected = analyse_recording(recording)
    done = _run("analyse", str(tmp_path / "export"), "--json", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    analysis = json.loads(done.stdout)
    assert analysis["summary"]["reps"] == len(expected.reps) > 0
    assert analysis["metadata"]["imported"] == "sensorlogger, gyroscope 50 Hz interpolated to 100 Hz"
    assert "Metadata.csv" in done.stderr  # the assumed-signs warning, on stderr not stdout
    done = _run("plot", str(tmp_path / "export" / "Gyroscope.csv"), "-o", "p.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")


def test_a_recording_csv_is_still_read_as_one(tmp_path):
    recording = _simulated_session(seed=2)
    write_recording(recording, tmp_path / "r.csv")
    assert detect_format([tmp_path / "r.csv"]) == "recording"
    again = load_recording([str(tmp_path / "r.csv")])
    assert again.metadata.get("imported") is None
    assert len(again.streams["pelvis"]) == len(recording.streams["pelvis"])


# --- the real MetaBase files (wrist, barbell deadlifts) ------------------------------


def _real_sessions() -> dict[str, Path]:
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is absent (the real third-party recordings are not shipped)")
    return {
        "heavy": next(REAL.glob("A-dead-heavy_*_Accelerometer_*.csv")),
        "medium": next(REAL.glob("A-dead-medium_*_Accelerometer_*.csv")),
    }


@pytest.mark.parametrize("session, duration_s", [("heavy", 16.04), ("medium", 26.76)])
def test_real_metabase_imports_at_25_hz_with_a_low_rate_warning(session, duration_s):
    recording = load_recording([str(_real_sessions()[session])])
    stream = recording.streams["pelvis"]
    assert recording.metadata["imported"] == "metabase, accelerometer 12.5 Hz interpolated to 25 Hz"
    assert stream.median_rate_hz == pytest.approx(25.0, rel=1e-3)
    assert recording.duration_s == pytest.approx(duration_s, abs=0.05)
    assert np.all(np.diff(stream.time_s) > 0)
    # The accelerometer starts after the gyroscope in both files: time_s = 0 is the
    # first gyroscope sample at or after the accelerometer's first sample.
    (warning,) = import_warnings(recording)
    assert "12.5 Hz" in warning and "less accurate" in warning
    norm_g = np.linalg.norm(stream.acc_g, axis=1)
    assert 0.9 < np.median(norm_g) < 1.2


def test_real_metabase_merge_matches_the_source_samples():
    import pandas as pd

    acc_path = _real_sessions()["heavy"]
    gyr_path = next(REAL.glob("A-dead-heavy_*_Gyroscope_*.csv"))
    acc, gyr = pd.read_csv(acc_path), pd.read_csv(gyr_path)
    stream = load_recording([str(acc_path)]).streams["pelvis"]
    start_ms = max(acc["epoch (ms)"].iloc[0], gyr["epoch (ms)"].iloc[0])
    used = gyr[(gyr["epoch (ms)"] >= start_ms) & (gyr["epoch (ms)"] <= acc["epoch (ms)"].iloc[-1])]
    np.testing.assert_allclose(stream.gyr_dps, used[["x-axis (deg/s)", "y-axis (deg/s)", "z-axis (deg/s)"]])
    epoch_s = used["epoch (ms)"].to_numpy() / 1000.0
    for axis, column in enumerate(["x-axis (g)", "y-axis (g)", "z-axis (g)"]):
        expected = np.interp(epoch_s, acc["epoch (ms)"] / 1000.0, acc[column])
        np.testing.assert_allclose(stream.acc_g[:, axis], expected, atol=1e-9)


@pytest.mark.parametrize("session, sets_reps", [("heavy", 5), ("medium", 10)])
def test_real_metabase_analyse_runs_on_the_fallback_calibration(tmp_path, session, sets_reps):
    """These wrist recordings start mid-set and the wrist is never still for the 2 s of
    quiet standing calibration wants, so the analysis runs on the fallback calibration
    (upright from the mean direction of gravity) and says so on stderr and in the JSON.

    The angles are the forearm's, not the pelvis's: what is counted is one forearm tilt of
    about 20° per lift. On these two files that gives the sets' known rep counts (5 and 10);
    the verdicts mean nothing here and are not checked.
    """
    path = _real_sessions()[session]
    done = _run("analyse", str(path), "--json", str(tmp_path / "out.json"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "12.5 Hz" in done.stderr
    warned = [line for line in done.stderr.splitlines() if "never stood still" in line]
    assert len(warned) == 1 and warned[0].startswith("imuhinge: warning: ")
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["schema"] == "imuhinge.analysis/1"
    assert data["calibration"]["method"] == "fallback-mean-gravity"
    assert any(w.startswith("the recording never stood still") for w in data["warnings"])
    assert data["summary"]["reps"] == sets_reps
    tilts_deg = [rep["pelvis_tilt_deg"] for rep in data["reps"]]
    assert all(15.0 < tilt < 30.0 for tilt in tilts_deg)
