"""Recording CSV (contract 1): round trip, and one clear refusal per kind of bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imuhinge.cli.main import main
from imuhinge.errors import RecordingError
from imuhinge.recording import Recording, SensorStream, read_recording, write_recording

BAD = Path(__file__).parent / "bad_recordings"

# file -> (text the message must contain, file line it must name or None)
BAD_INPUTS = {
    "empty.csv": ("the file is empty", None),
    "header-only.csv": ("has a header but no samples", 1),
    "comments-only.csv": ("no header row", 2),
    "binary-garbage.csv": ("not", None),
    "semicolon-delimited.csv": ("not comma separated", 1),
    "missing-column.csv": ("lacks column 'gyr_z_dps'", 1),
    "duplicated-column.csv": ("'acc_x_g' appears twice", 1),
    "text-in-number.csv": ("'acc_z_g' holds 'abc', which is not a number", 13),
    "nan-value.csv": ("'gyr_x_dps' is missing or NaN", 8),
    "inf-value.csv": ("'gyr_z_dps' is infinite", 10),
    "time-backwards.csv": ("goes back in time", 21),
    "duplicate-timestamp.csv": ("repeats the previous time", 21),
    "unknown-sensor.csv": ("unknown sensor label 'ankle'", 16),
    "missing-sensor-label.csv": ("the sensor label is missing", 16),
    "acceleration-in-m-per-s2.csv": ("looks like m/s²", None),
    "single-sample.csv": ("only 1 samples", None),
    "extra-field.csv": ("has 9 fields where the header has 8", 6),
    "extra-field-after-metadata.csv": ("has 9 fields where the header has 8", 9),
    "no-pelvis.csv": ("no pelvis samples", None),
    "time-in-ms.csv": ("is time_s in seconds?", None),
    "absurd-value.csv": ("'acc_x_g' holds 1e+12, which no recording can hold", 8),
    "acceleration-beyond-range.csv": ("'acc_y_g' holds 57.3, beyond the range of any body-worn sensor", 8),
    "nan-value-crlf.csv": ("'gyr_x_dps' is missing or NaN", 8),
}


def _recording(n: int = 500, rate_hz: float = 100.0) -> Recording:
    rng = np.random.default_rng(3)
    t = np.arange(n) / rate_hz
    pelvis = SensorStream(t, rng.normal([0, 0, 1], 0.01, (n, 3)), rng.normal(0, 1, (n, 3)))
    thorax = SensorStream(t + 0.0031, rng.normal([1, 0, 0], 0.01, (n, 3)), rng.normal(0, 1, (n, 3)))
    return Recording({"pelvis": pelvis, "thorax": thorax}, {"sensor pelvis": "test 100 Hz"})


def test_round_trip_keeps_samples_to_written_precision(tmp_path):
    original = _recording()
    path = tmp_path / "r.csv"
    write_recording(original, path)
    back = read_recording(path)
    assert back.sensors == ("pelvis", "thorax")
    assert back.metadata["sensor pelvis"] == "test 100 Hz"
    assert back.metadata["imuhinge-recording"] == "1"
    for label, stream in original.streams.items():
        got = back.streams[label]
        np.testing.assert_allclose(got.time_s, stream.time_s, atol=5e-5)
        np.testing.assert_allclose(got.acc_g, stream.acc_g, atol=5e-6)
        np.testing.assert_allclose(got.gyr_dps, stream.gyr_dps, atol=5e-4)


def test_rows_of_both_sensors_interleave_in_time(tmp_path):
    path = tmp_path / "r.csv"
    write_recording(_recording(50), path)
    times = [float(line.split(",")[0]) for line in path.read_text().splitlines()[3:]]
    assert times == sorted(times)


def test_metadata_control_characters_are_stripped(tmp_path):
    path = tmp_path / "r.csv"
    write_recording(_recording(50), path)
    text = path.read_text().replace("# sensor pelvis: test 100 Hz", "# sensor pelvis: evil\x1b[31mred\x07")
    path.write_text(text)
    assert read_recording(path).metadata["sensor pelvis"] == "evil[31mred"


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_refused_with_file_line_and_problem(name):
    expected, line = BAD_INPUTS[name]
    with pytest.raises(RecordingError) as caught:
        read_recording(BAD / name)
    message = str(caught.value)
    assert expected in message
    assert str(BAD / name) in message
    if line is not None:
        assert f"line {line}:" in message


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_cli_answers_bad_input_with_one_line_and_status_2(name, capsys):
    status = main(["analyse", str(BAD / name)])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("imuhinge: ")
    assert "Traceback" not in err


def test_missing_file_is_bad_input(capsys):
    assert main(["analyse", "no/such/file.csv"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_every_corpus_file_is_listed():
    on_disk = {p.name for p in BAD.glob("*.csv")}
    assert on_disk == set(BAD_INPUTS)


def test_a_2_gb_file_is_refused_before_it_is_read(tmp_path, capsys):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as sparse:
        sparse.write(b"time_s,sensor,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps\n")
        sparse.truncate(2 * 1024**3)
    assert main(["analyse", str(path)]) == 2
    assert "the file is 2.1 GB" in capsys.readouterr().err
