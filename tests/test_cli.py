"""The command line as a user meets it: real processes, exit codes, files written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "recordings" / "kettlebell-deadlift-two-sensor.csv"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "imuhinge", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_analyse_bundled_recording_writes_json_plot_and_report(tmp_path):
    done = _run(
        "analyse", str(BUNDLED), "--json", "a.json", "--plot", "a.png", "--report", "a.html", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    analysis = json.loads((tmp_path / "a.json").read_text())
    truth = json.loads(BUNDLED.with_suffix(".truth.json").read_text())
    assert analysis["schema"] == "imuhinge.analysis/1"
    assert analysis["mode"] == "two-sensor"
    assert analysis["summary"]["reps"] == len(truth["reps"])
    rounded_truth = [r["rep"] for r in truth["reps"] if "rounded" in r["labels"]]
    rounded_found = [r["rep"] for r in analysis["reps"] if "rounded" in r["flags"]]
    assert rounded_found == rounded_truth
    assert (tmp_path / "a.png").read_bytes().startswith(b"\x89PNG")
    assert "<html" in (tmp_path / "a.html").read_text()
    assert "rounded" in done.stdout


def test_json_to_stdout_is_pure_json(tmp_path):
    done = _run("analyse", str(BUNDLED), "--json", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["reps"] > 0


def test_simulate_then_analyse_one_sensor(tmp_path):
    done = _run("simulate", "--out", "s.csv", "--truth", "s.json", "--sensors", "pelvis", "--seed", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = _run("analyse", "s.csv", "--json", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    analysis = json.loads(done.stdout)
    assert analysis["mode"] == "one-sensor"
    assert {r["lumbar_flexion_source"] for r in analysis["reps"]} == {"estimated"}


def test_plot_command_writes_the_image(tmp_path):
    done = _run("plot", str(BUNDLED), "-o", "p.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p.png").stat().st_size > 10_000


def test_bad_file_is_one_line_and_status_2_in_a_real_process(tmp_path):
    done = _run("analyse", str(ROOT / "tests" / "bad_recordings" / "text-in-number.csv"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "line 13" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_usage_is_status_2(tmp_path):
    assert _run("analyse", cwd=tmp_path).returncode == 2
    assert _run("analyse", str(BUNDLED), "--max-lumbar-flexion", "lots", cwd=tmp_path).returncode == 2
    assert _run("frobnicate", cwd=tmp_path).returncode == 2


def test_every_command_has_help(tmp_path):
    for command in ("analyse", "plot", "simulate"):
        done = _run(command, "--help", cwd=tmp_path)
        assert done.returncode == 0 and "usage:" in done.stdout
