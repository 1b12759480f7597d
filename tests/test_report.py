"""What users see: the contract-2 JSON, the terminal table, the plot and the HTML report."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from html import escape
from pathlib import Path

import pytest
from rich.console import Console

from imuhinge.errors import BadInputError
from imuhinge.pipeline.result import GAP, OVEREXTENDED, ROUNDED
from imuhinge.report.accuracy import ACCURACY_SCHEMA, load_accuracy
from imuhinge.report.html import render_report, write_report
from imuhinge.report.json_report import SCHEMA, analysis_to_dict, analysis_to_json, write_json
from imuhinge.report.outputs import write_outputs
from imuhinge.report.plot import plot_session, save_plot
from imuhinge.report.table import print_session
from report_fixtures import (
    RICH_MARKUP_VALUE,
    UNTRUSTED_METADATA_VALUE,
    UNTRUSTED_SOURCE,
    hostile_session,
    hour_long_session,
    one_sensor_session,
    two_sensor_session,
    zero_rep_session,
)

TOP_KEYS = ["schema", "mode", "thresholds", "calibration", "reps", "summary",
            "source", "duration_s", "warnings", "metadata", "sensors", "accuracy_note"]
REP_KEYS = ["rep", "start_s", "bottom_s", "end_s", "pelvis_tilt_deg", "trunk_inclination_deg",
            "lumbar_flexion_deg", "lumbar_flexion_source", "lockout_extension_deg", "hinge_ratio",
            "eccentric_s", "concentric_s", "flags", "reasons", "side_bend_deg", "rotation_deg"]
NO_ACCURACY = "/nonexistent/accuracy.json"


@pytest.fixture(scope="module")
def two_sensor():
    return two_sensor_session()


@pytest.fixture(scope="module")
def hostile():
    return hostile_session()


def _refuse_constant(name):
    raise AssertionError(f"{name} in JSON")


# --- JSON (contract 2) ---------------------------------------------------------------


@pytest.mark.parametrize("make", [two_sensor_session, one_sensor_session, zero_rep_session])
def test_json_has_exactly_the_contract_keys_and_types(make):
    analysis = make()
    data = json.loads(analysis_to_json(analysis), parse_constant=_refuse_constant)
    assert list(data) == TOP_KEYS
    assert data["schema"] == SCHEMA
    assert data["mode"] == analysis.mode
    assert data["thresholds"]["max_lumbar_flexion_deg"] == 20.0
    assert data["thresholds"]["max_lockout_extension_deg"] == 10.0
    assert isinstance(data["calibration"], dict)
    assert isinstance(data["source"], str) and isinstance(data["duration_s"], float)
    assert all(isinstance(w, str) for w in data["warnings"])
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in data["metadata"].items())
    for rep in data["reps"]:
        assert list(rep) == REP_KEYS
        assert isinstance(rep["rep"], int)
        assert rep["lumbar_flexion_source"] in ("measured", "estimated")
        assert all(isinstance(f, str) for f in rep["flags"])
        assert all(isinstance(r, str) for r in rep["reasons"])
        for key in REP_KEYS:
            if key.endswith(("_s", "_deg")) or key == "hinge_ratio":
                assert rep[key] is None or isinstance(rep[key], float), key


def test_json_summary_counts_match_the_reps(two_sensor):
    data = analysis_to_dict(two_sensor)
    flags = [flag for rep in data["reps"] for flag in rep["flags"]]
    summary = data["summary"]
    assert summary["reps"] == len(data["reps"]) == 10
    assert summary[ROUNDED] == flags.count(ROUNDED) == 2
    assert summary[OVEREXTENDED] == flags.count(OVEREXTENDED) == 1
    assert summary[GAP] == 1
    assert summary["clean"] == sum(1 for rep in data["reps"] if not rep["flags"]) == 6


def test_json_rounds_and_never_writes_nan(two_sensor):
    text = analysis_to_json(two_sensor)
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text, parse_constant=_refuse_constant)
    rep = data["reps"][0]
    assert rep["lumbar_flexion_deg"] == round(rep["lumbar_flexion_deg"], 1)
    assert rep["hinge_ratio"] == round(rep["hinge_ratio"], 2)
    assert rep["eccentric_s"] == round(rep["eccentric_s"], 2)
    assert data["reps"][1]["rotation_deg"] is None  # NaN in the fixture
    gap_rep = data["reps"][5]
    assert gap_rep["flags"] == [GAP] and gap_rep["lumbar_flexion_deg"] is None
    assert data["calibration"]["residual_deg"] is None  # NaN in the fixture
    assert data["calibration"]["pelvis"]["R_segment_sensor"][0] == [1.0, 0.0, 0.0]  # numpy array


def test_json_puts_number_lists_on_one_line_but_leaves_strings_alone():
    analysis = two_sensor_session()
    analysis.metadata = {"multi-line": "[\n1,\n2\n]", "inline": "[1,  2]"}
    text = analysis_to_json(analysis)
    assert json.loads(text)["metadata"] == analysis.metadata
    assert "[1.0, 0.0, 0.0]" in text  # a matrix row of the calibration


def test_zero_rep_json_is_valid():
    data = json.loads(analysis_to_json(zero_rep_session()))
    assert data["reps"] == [] and data["summary"]["reps"] == 0


def test_write_json_to_a_file_and_to_stdout(two_sensor, tmp_path, capsys):
    path = tmp_path / "out.json"
    write_json(two_sensor, path)
    assert json.loads(path.read_text(encoding="utf-8"))["schema"] == SCHEMA
    write_json(two_sensor, "-")
    assert json.loads(capsys.readouterr().out)["summary"]["reps"] == 10


# --- terminal table ------------------------------------------------------------------


def _render(analysis, width=100) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system="truecolor")
    print_session(analysis, console)
    return console.export_text()


def test_table_reads_at_100_columns(two_sensor):
    text = _render(two_sensor)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "10 reps: 6 clean, 2 rounded, 1 overextended, 1 not judged (data gap)" in text
    assert "Your lower back rounded to 29° (more than 20°)." in " ".join(text.split())
    assert "rounded" in text and "clean" in text


def test_narrow_table_lists_reasons_under_it(two_sensor):
    text = _render(two_sensor, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "rep 9: Your lower back arched 14° at the top (more than 10°)." in text


def test_table_prints_untrusted_text_literally(hostile):
    text = _render(hostile)
    flat = " ".join(text.split())
    assert "<img src=x onerror=alert(1)>.csv" in flat
    assert RICH_MARKUP_VALUE in flat  # markup, link and emoji codes shown as typed
    assert UNTRUSTED_METADATA_VALUE in flat


def test_table_marks_estimated_values_and_skips_unmeasured_columns():
    text = _render(one_sensor_session())
    assert "est." in text
    assert "ext. °" not in text  # lockout extension is not measured with one sensor
    assert "Arching at lockout is not measured with one sensor" in " ".join(text.split())
    assert "8 reps: 7 clean, 1 rounded" in text


def test_table_for_zero_reps():
    assert "No reps found" in _render(zero_rep_session())


# --- plot ----------------------------------------------------------------------------


def test_plot_returns_a_figure_and_writes_a_png(two_sensor, tmp_path):
    from matplotlib.figure import Figure

    figure = plot_session(two_sensor)
    assert isinstance(figure, Figure)
    top, bottom = figure.axes[:2]
    assert "10 reps, 3 flagged, 1 not judged" in figure.get_suptitle()
    assert {"rounded", "arched", "gap"} <= {text.get_text() for text in top.texts}
    assert bottom.get_xlabel() == "Rep" and "(°)" in bottom.get_ylabel()
    path = tmp_path / "plot.png"
    save_plot(two_sensor, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_draws_dollar_signs_in_names_literally(tmp_path):
    analysis = two_sensor_session()
    analysis.source = "/data/cost$\\frac{$_{.csv"  # would be broken mathtext
    analysis.reps[0].flags = ["odd$_{flag"]
    figure = save_plot(analysis, tmp_path / "dollar.png")
    assert "cost" in figure.get_suptitle()


def test_one_sensor_plot_draws_the_estimate_dashed():
    figure = plot_session(one_sensor_session())
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    assert lines["Lumbar flexion (estimated)"].get_linestyle() == "--"
    assert "Trunk inclination" not in " ".join(lines)


def test_zero_rep_plot(tmp_path):
    figure = save_plot(zero_rep_session(), tmp_path / "zero.png")
    assert len(figure.axes) == 1
    assert "0 reps" in figure.get_suptitle()


def test_hour_long_plot_is_fast_and_thins_labels(tmp_path):
    analysis = hour_long_session()
    start = time.perf_counter()
    figure = save_plot(analysis, tmp_path / "hour.png")
    assert time.perf_counter() - start < 3.0
    assert len(figure.axes[0].texts) < 80  # 300 reps, labels thinned
    assert figure.axes[0].get_xlabel() == "Time (min)"


# --- HTML report ---------------------------------------------------------------------


def test_html_is_self_contained_and_embeds_the_plot(two_sensor):
    html = render_report(two_sensor, accuracy_path=NO_ACCURACY)
    assert html.startswith("<!DOCTYPE html>")
    for remote in ("http://", "https://", 'src="//', "src='//", "<link", "@import", "url("):
        assert remote not in html
    assert html.count('<img src="data:image/png;base64,') == 1
    assert "not been measured" in html
    for word in ("Summary", "Reps", "Limits used", "Methods", "imufusion", "zero-phase", "T12"):
        assert word in html


def test_html_escapes_untrusted_strings(hostile):
    html = render_report(hostile, accuracy_path=NO_ACCURACY)
    assert "<script" not in html
    assert "<img src=x" not in html
    assert "<b>key</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in html
    assert "&lt;b&gt;key&lt;/b&gt;" in html
    assert escape(UNTRUSTED_SOURCE) in html  # the full path, in the recording's details


def test_html_summary_and_table(two_sensor, tmp_path):
    path = tmp_path / "report.html"
    write_report(two_sensor, path)
    html = path.read_text(encoding="utf-8")
    assert "In 2 reps the lower back rounded more than 20° (reps 4 and 7)." in html
    assert html.count('<tr class="flagged">') == 3
    assert html.count('<tr class="notjudged">') == 1


def test_html_for_one_sensor_and_zero_reps():
    one = render_report(one_sensor_session(), accuracy_path=NO_ACCURACY)
    assert "<strong>estimated</strong>" in one and "(estimated)" in one
    zero = render_report(zero_rep_session(), accuracy_path=NO_ACCURACY)
    assert "No reps were found in this recording." in zero


def test_html_quotes_measured_accuracy(two_sensor, tmp_path):
    path = tmp_path / "accuracy.json"
    path.write_text(json.dumps({
        "schema": ACCURACY_SCHEMA, "sessions": 60, "measured_on": "<b>bench</b>",
        "two_sensor": {"lumbar_flexion_rmse_deg": 1.94, "rounded_f1": 0.953, "reps_found_pct": 99.31},
        "one_sensor": {"lumbar_flexion_rmse_deg": 4.2, "odd": "text"},
    }))
    html = render_report(two_sensor, accuracy_path=path)
    assert "not been measured" not in html
    assert "1.9°" in html and "0.95" in html and "99.3%" in html and "4.2°" in html
    assert "60 simulated sessions" in html and "&lt;b&gt;bench&lt;/b&gt;" in html


@pytest.mark.parametrize("content", ["", "{", "[]", '{"schema": "other/1", "two_sensor": {"x": 1}}',
                                     json.dumps({"schema": ACCURACY_SCHEMA})])
def test_unusable_accuracy_files_count_as_not_measured(tmp_path, content):
    path = tmp_path / "accuracy.json"
    path.write_text(content)
    assert load_accuracy(path) is None


# --- outputs -------------------------------------------------------------------------


def test_write_outputs_writes_every_file_and_says_so(two_sensor, tmp_path):
    console = Console(width=100, record=True, file=io.StringIO())
    paths = [tmp_path / "a.json", tmp_path / "a.png", tmp_path / "a.html"]
    written = write_outputs(two_sensor, *paths, console=console)
    assert written == paths and all(path.stat().st_size > 0 for path in paths)
    text = console.export_text()
    assert "10 reps:" in text
    for path in paths:
        assert str(path) in text.replace("\n", "")


def test_json_to_stdout_stays_pure_json(two_sensor, capsys):
    write_outputs(two_sensor, json_path="-")
    captured = capsys.readouterr()
    assert json.loads(captured.out)["schema"] == SCHEMA
    assert "10 reps:" in captured.err


@pytest.mark.parametrize("kind", ["json_path", "plot_path", "report_path"])
def test_unwritable_output_is_one_sentence(two_sensor, tmp_path, kind):
    console = Console(file=io.StringIO())
    with pytest.raises(BadInputError, match="cannot write"):
        write_outputs(two_sensor, console=console, **{kind: tmp_path / "missing-dir" / "out"})


def test_unknown_image_format_is_one_sentence(two_sensor, tmp_path):
    console = Console(file=io.StringIO())
    with pytest.raises(BadInputError, match="cannot write the plot"):
        write_outputs(two_sensor, plot_path=tmp_path / "plot.xyz", console=console)


def test_importing_the_report_does_not_load_matplotlib():
    code = "import sys, imuhinge.report.outputs; sys.exit('matplotlib' in sys.modules)"
    root = Path(__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0



def test_reps_are_counted_against_the_target_per_set():
    from types import SimpleNamespace

    from imuhinge.report.wording import rep_sets, reps_against_target

    def reps_at(*starts_s):
        return [SimpleNamespace(start_s=t, end_s=t + 3.0) for t in starts_s]

    one_set = reps_at(10, 15, 20)
    assert rep_sets(one_set) == [3] and reps_against_target(one_set, 15) == "Reps 3 / 15"
    two_sets = reps_at(10, 15, 20, 60, 65)  # a 37 s rest after the third rep
    assert rep_sets(two_sets) == [3, 2]
    assert reps_against_target(two_sets, 15) == "2 sets: 3 + 2 reps (target 15 a set)"
    assert rep_sets([]) == [] and reps_against_target([], 15) == "Reps 0 / 15"
