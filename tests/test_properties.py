"""Property tests: whatever is done to a valid recording, the CLI answers 0 or 2, never 1.

Valid recordings (small simulated sessions, one and two sensors at 50 Hz) are mutated at
the text level (lines dropped, duplicated, swapped; the file truncated; text, NaN,
infinity and huge numbers injected; delimiters changed; columns deleted; times
scrambled; gaps added; units scaled) and at the byte level. The command line must then
either analyse (exit 0) or refuse in one line starting "imuhinge: " (exit 2): never exit
1, never a traceback. And noise or quiet standing must never be reported as reps.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imuhinge.cli.main import main
from imuhinge.recording import Recording, SensorStream, format_recording
from imuhinge.simulation import SessionConfig, simulate_session

COMMON = dict(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@lru_cache(maxsize=None)
def _valid_text(sensors: tuple[str, ...]) -> str:
    recording, _ = simulate_session(
        SessionConfig.random(11, sensors=sensors, scenario="deadlift", rate_hz=50, duration_s=45)
    )
    return format_recording(recording)


def _split(text: str) -> tuple[list[str], int]:
    lines = text.split("\n")
    header = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    return lines, header


def _map_column(lines, header, columns, fn, rows):
    for i in rows:
        if i <= header or i >= len(lines) or not lines[i]:
            continue
        fields = lines[i].split(",")
        try:
            for j in columns:
                fields[j] = repr(fn(float(fields[j])))
        except (ValueError, IndexError, OverflowError):
            continue
        lines[i] = ",".join(fields)


JUNK = ("abc", "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "", "1e400", " ", "0x10",
        "--1", "∞", "null", "1e12", "57.3", "-2000", "9.81", "\x00", '"', "#")


@st.composite
def _line_mutation(draw, lines, header):
    body = range(header + 1, max(header + 2, len(lines) - 1))
    kind = draw(st.sampled_from([
        "drop", "duplicate", "swap", "field", "delimiter", "delete_column", "scramble_times",
        "gap", "scale", "label", "header", "saturate", "metadata", "crlf",
    ]))
    i = draw(st.sampled_from(body))
    j = draw(st.integers(0, 7))
    if kind == "drop":
        del lines[i : i + draw(st.sampled_from([1, 5, 50, 500]))]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "swap":
        k = draw(st.sampled_from(body))
        lines[i], lines[k] = lines[k], lines[i]
    elif kind == "field":
        row = draw(st.sampled_from([header, i]))
        fields = lines[row].split(",")
        fields[j % len(fields)] = draw(st.sampled_from(JUNK))
        lines[row] = ",".join(fields)
    elif kind == "delimiter":
        mark = draw(st.sampled_from([";", "\t", "|", " "]))
        rows = range(len(lines)) if draw(st.booleans()) else [i]
        for r in rows:
            lines[r] = lines[r].replace(",", mark)
    elif kind == "delete_column":
        where = draw(st.sampled_from(["all", "header", "body", "one"]))
        for r in range(header, len(lines)):
            if lines[r] and (where == "all" or (where == "header") == (r == header)
                             and (where != "one" or r == i)):
                fields = lines[r].split(",")
                del fields[j % len(fields)]
                lines[r] = ",".join(fields)
    elif kind == "scramble_times":
        rows = list(range(i, min(len(lines) - 1, i + draw(st.sampled_from([2, 10, 100])))))
        times = [lines[r].split(",", 1)[0] for r in rows]
        order = draw(st.permutations(range(len(times))))
        for r, k in zip(rows, order):
            lines[r] = times[k] + "," + lines[r].split(",", 1)[-1]
    elif kind == "gap":
        shift = draw(st.sampled_from([0.3, 2.0, 30.0, 600.0, 4000.0, 1e6]))
        _map_column(lines, header, [0], lambda t: t + shift, range(i, len(lines)))
    elif kind == "scale":
        columns, factor = draw(st.sampled_from([
            ([2, 3, 4], 9.80665), ([2, 3, 4], 1000.0), ([2, 3, 4], 0.001), ([5, 6, 7], math.pi / 180),
            ([5, 6, 7], 1000.0), ([0], 1000.0), ([0], 0.001), ([0], -1.0),
        ]))
        _map_column(lines, header, columns, lambda v: v * factor, range(header + 1, len(lines)))
    elif kind == "label":
        fields = lines[i].split(",")
        if len(fields) > 1:
            fields[1] = draw(st.sampled_from(["thorax", "pelvis", "PELVIS", "", "ankle", " pelvis"]))
            lines[i] = ",".join(fields)
    elif kind == "header":
        lines[header] = draw(st.sampled_from([
            lines[header].upper(), lines[header] + ",acc_x_g", lines[header].replace("sensor", "foo"),
            ",".join(reversed(lines[header].split(","))),
        ]))
    elif kind == "saturate":
        value = draw(st.sampled_from([2.0, -2.0, 2000.0, 0.0, 250.0]))
        stop = i + draw(st.sampled_from([10, 200, 2000]))
        _map_column(lines, header, [2 + j % 6], lambda v: value, range(i, stop))
    elif kind == "metadata":
        lines.insert(draw(st.integers(0, header + 1)), draw(st.sampled_from(
            ["# foo", "#", "# a: b:c", "", "garbage line", "# imuhinge-recording: 99"])))
    elif kind == "crlf":
        lines[:] = [line + "\r" for line in lines]


@st.composite
def mutated_recordings(draw) -> bytes:
    sensors = draw(st.sampled_from([("pelvis",), ("pelvis", "thorax")]))
    lines, _ = _split(_valid_text(sensors))
    for _ in range(draw(st.integers(1, 3))):
        try:
            _, header = _split("\n".join(lines))
        except StopIteration:
            break
        draw(_line_mutation(lines, header))
    data = "\n".join(lines).encode("utf-8")
    byte_op = draw(st.sampled_from(["none", "none", "none", "truncate", "insert", "flip", "delete"]))
    if byte_op != "none" and data:
        at = draw(st.integers(0, len(data) - 1))
        if byte_op == "truncate":
            data = data[:at]
        elif byte_op == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=40)) + data[at:]
        elif byte_op == "flip":
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        else:
            data = data[:at] + data[at + draw(st.sampled_from([1, 10, 1000])) :]
    return data


def _run_cli(data: bytes, tmp_path, capsys) -> tuple[int, str, str]:
    path = tmp_path / "mutated.csv"
    path.write_bytes(data)
    capsys.readouterr()
    try:
        status = main(["analyse", str(path), "--json", "-"])
    except BaseException as exc:  # noqa: BLE001 - the property is that nothing escapes
        raise AssertionError(f"an exception escaped the CLI: {exc!r}") from exc
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _check_answer(status: int, out: str, err: str) -> dict | None:
    assert status in (0, 2), err
    assert "Traceback" not in err
    if status == 2:
        assert err.count("\n") == 1 and err.startswith("imuhinge: "), err
        return None
    return json.loads(out)


@settings(max_examples=1200, **COMMON)
@given(data=mutated_recordings())
def test_mutated_recordings_are_analysed_or_refused_in_one_line(data, tmp_path_factory, capsys):
    tmp_path = tmp_path_factory.mktemp("m")
    _check_answer(*_run_cli(data, tmp_path, capsys))


def _noise_text(seed: int, sensors: int, acc_noise_g: float, gyro_noise_dps: float, bias_dps: float,
                rate_hz: float, duration_s: float) -> str:
    rng = np.random.default_rng(seed)
    n = int(duration_s * rate_hz)
    t = np.arange(n) / rate_hz
    streams = {}
    for label in ("pelvis", "thorax")[:sensors]:
        up = rng.normal(size=3)
        up /= np.linalg.norm(up)
        acc = up + rng.normal(0.0, acc_noise_g, (n, 3))
        gyr = rng.normal(0.0, gyro_noise_dps, (n, 3)) + rng.normal(0.0, bias_dps, 3)
        streams[label] = SensorStream(t + rng.uniform(0, 1 / rate_hz), acc, gyr)
    return format_recording(Recording(streams))


@settings(max_examples=100, **COMMON)
@given(
    seed=st.integers(0, 2**16),
    sensors=st.sampled_from([1, 2]),
    acc_noise_g=st.sampled_from([0.0005, 0.003, 0.01, 0.05, 0.3]),
    gyro_noise_dps=st.sampled_from([0.05, 0.3, 1.0, 5.0, 50.0]),
    bias_dps=st.sampled_from([0.0, 0.5, 3.0]),
    rate_hz=st.sampled_from([25.0, 50.0, 100.0]),
)
def test_noise_and_standing_still_never_make_reps(
    seed, sensors, acc_noise_g, gyro_noise_dps, bias_dps, rate_hz, tmp_path_factory, capsys
):
    text = _noise_text(seed, sensors, acc_noise_g, gyro_noise_dps, bias_dps, rate_hz, 40.0)
    analysis = _check_answer(*_run_cli(text.encode(), tmp_path_factory.mktemp("n"), capsys))
    if analysis is not None:
        assert analysis["summary"]["reps"] == 0, analysis["reps"][:3]


@lru_cache(maxsize=None)
def _standing_text(seed: int, sensors: tuple[str, ...]) -> str:
    """A simulated session cut to its first seconds of quiet standing, repeated."""
    recording, truth = simulate_session(
        SessionConfig.random(seed, sensors=sensors, scenario="hinge", rate_hz=50, duration_s=40)
    )
    first = min(rep.start_s for rep in truth.reps) - 0.5
    streams = {}
    for label, stream in recording.streams.items():
        keep = stream.time_s < first
        streams[label] = SensorStream(stream.time_s[keep], stream.acc_g[keep], stream.gyr_dps[keep])
    return format_recording(Recording(streams))


@settings(max_examples=8, **COMMON)
@given(seed=st.integers(0, 40), sensors=st.sampled_from([("pelvis",), ("pelvis", "thorax")]))
def test_simulated_quiet_standing_has_no_reps(seed, sensors, tmp_path_factory, capsys):
    analysis = _check_answer(*_run_cli(_standing_text(seed, sensors).encode(), tmp_path_factory.mktemp("s"), capsys))
    if analysis is not None:
        assert analysis["summary"]["reps"] == 0
