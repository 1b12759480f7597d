"""``imuhinge analyse FOLDER`` on a session plan's folder: every drill, in plan order.

The folder is built as ``imuhinge live --plan progression`` writes one: a recording per
drill done (``plan_file_name``), each a simulated single-drill session with its
``# exercise:`` and ``# plan:`` lines. Drill 3's recording is cut to 2 s (not
analysable), drills 4 and 5 were never recorded, and the session stopped after drill 7.
Each drill's numbers are checked against that file analysed on its own.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import numpy as np
import pytest

from imuhinge.cli.main import main
from imuhinge.exercises import plan_file_name, plan_line, plan_named
from imuhinge.importers import detect_format, load_recording
from imuhinge.plan_session import (
    ANALYSED, NOT_ANALYSABLE, NOT_RECORDED, analyse_plan_folder, is_plan_folder, read_plan_folder,
)
from imuhinge.plan_session.json_report import SCHEMA
from imuhinge.plan_session.plot import plot_plan_session
from imuhinge.progress import build_progress
from imuhinge.recording import write_recording
from imuhinge.report.wording import is_not_judged
from imuhinge.simulation import SessionConfig, simulate_session
from imuhinge.simulation.session import cut_session

ROOT = Path(__file__).resolve().parents[1]
PLAN = plan_named("progression")
RECORDED = {  # drill index: (seed, sensors, seconds kept or None for all)
    1: (2000, ("pelvis", "thorax"), None),
    2: (2001, ("pelvis",), None),
    3: (2002, ("pelvis", "thorax"), 2.0),
    6: (2003, ("pelvis", "thorax"), None),
    7: (2004, ("pelvis", "thorax"), None),
}
TOO_SHORT = 3
STATUSES = {ANALYSED, NOT_ANALYSABLE, NOT_RECORDED}


def write_plan_folder(folder: Path, recorded: dict = RECORDED) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index, (seed, sensors, keep_s) in recorded.items():
        drill = PLAN.drills[index - 1]
        recording, truth = simulate_session(SessionConfig.random(seed, sensors, exercise=drill))
        if keep_s is not None:
            recording, truth = cut_session(recording, truth, 0.0, keep_s)
        recording.metadata["start (UTC)"] = f"2026-03-02T09:{10 + index:02d}:00.000Z"
        recording.metadata["plan"] = plan_line(PLAN, index)
        write_recording(recording, folder / plan_file_name(index, drill))
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = write_plan_folder(tmp_path_factory.mktemp("person") / "2026-03-02")
    (out / "notes.txt").write_text("not a recording", encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def outputs(folder, tmp_path_factory):
    """The command run once with every output; its status, JSON, and the paths."""
    out = tmp_path_factory.mktemp("outputs")
    paths = {"json": out / "session.json", "plot": out / "session.png", "report": out / "session.html"}
    status = main(["analyse", str(folder), "--json", str(paths["json"]), "--plot", str(paths["plot"]),
                   "--report", str(paths["report"])])
    return status, json.loads(paths["json"].read_text(encoding="utf-8")), paths


def analyse_alone(path: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["analyse", str(path), "--json", "-"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_plan_folder_is_recognised_and_an_export_folder_is_not(folder, tmp_path):
    assert is_plan_folder(folder)
    assert not is_plan_folder(folder / plan_file_name(1, "bridge"))
    for export in ("sensorlogger-android", "phyphox-combined", "metabase"):
        assert not is_plan_folder(ROOT / "tests" / "export_samples" / export)
    plain = tmp_path / "plain"
    plain.mkdir()
    write_recording(simulate_session(SessionConfig.random(2005, ("pelvis",), exercise="hip-hinge"))[0],
                    plain / "hinge.csv")
    assert not is_plan_folder(plain)
    plan = read_plan_folder(folder)
    assert plan.plan == "progression" and plan.count == len(PLAN.drills) == 11
    assert sorted(plan.files) == sorted(RECORDED)


def test_every_drill_of_the_plan_has_a_row_in_plan_order(outputs):
    status, document, _ = outputs
    assert status == 0
    assert [d["index"] for d in document["drills"]] == list(range(1, 12))
    assert [d["exercise"] for d in document["drills"]] == list(PLAN.drills)
    expected = {i: ANALYSED for i in RECORDED} | {TOO_SHORT: NOT_ANALYSABLE}
    assert [d["status"] for d in document["drills"]] == [expected.get(i, NOT_RECORDED) for i in range(1, 12)]
    assert document["start_utc"] == "2026-03-02T09:11:00.000Z"


def test_each_drill_is_exactly_its_file_analysed_alone(folder, outputs, capsys):
    _, document, _ = outputs
    for drill, row in zip(document["drills"], document["summary"]["per_drill"]):
        if drill["status"] != ANALYSED:
            continue
        alone = analyse_alone(folder / drill["file"], capsys)
        assert drill["analysis"] == alone
        assert alone["exercise"]["name"] == drill["exercise"] == row["exercise"]
        reps = alone["reps"]
        if row["kind"] == "hold":
            holds = alone["holds"]
            assert row["holds"] == len(holds) >= 1 and row["reps"] is None
            assert row["longest_hold_s"] == pytest.approx(max(h["duration_s"] for h in holds), abs=0.01)
            assert row["unsteady_holds"] == sum(1 for h in holds if h["flags"])
            continue
        judged = [r for r in reps if not (r["flags"] and set(r["flags"]) <= {"gap", "saturated", "accelerometer_only"})]
        assert row["reps"] == len(reps) > 0 and row["target_reps"] == 15
        assert row["flagged_reps"] == sum(1 for r in judged if r["flags"])
        assert row["not_judged_reps"] == len(reps) - len(judged)
        counts = {}
        for rep in judged:
            for flag in rep["flags"]:
                counts[flag] = counts.get(flag, 0) + 1
        assert row["flag_counts"] == counts
        sign = -1.0 if drill["exercise"] == "bridge" else 1.0
        assert row["median_depth_deg"] == pytest.approx(
            statistics.median(sign * r["pelvis_tilt_deg"] for r in reps), abs=0.06)
        assert row["median_depth_deg"] > 5.0
        lumbar = [r["lumbar_flexion_deg"] for r in judged if r["lumbar_flexion_deg"] is not None]
        if lumbar:
            assert row["median_lumbar_flexion_deg"] == pytest.approx(statistics.median(lumbar), abs=0.06)
            assert row["lumbar_flexion_source"] == ("estimated" if alone["mode"] == "one-sensor" else "measured")
        else:
            assert row["median_lumbar_flexion_deg"] is None and row["lumbar_flexion_source"] is None


def test_a_missing_drill_is_not_recorded(outputs):
    _, document, _ = outputs
    for drill in document["drills"]:
        if drill["index"] not in RECORDED:
            assert drill["status"] == NOT_RECORDED
            assert drill["file"] is None and drill["analysis"] is None and drill["reason"] is None
    assert document["summary"]["not_recorded"] == 11 - len(RECORDED)


def test_an_unanalysable_file_is_reported_with_its_reason_and_the_others_still_analysed(outputs, folder):
    _, document, _ = outputs
    short = document["drills"][TOO_SHORT - 1]
    assert short["status"] == NOT_ANALYSABLE and short["analysis"] is None
    assert short["file"] == plan_file_name(TOO_SHORT, PLAN.drills[TOO_SHORT - 1])
    assert "2.0 s long" in short["reason"] and "\n" not in short["reason"]
    assert str(folder) not in short["reason"]
    summary = document["summary"]
    assert (summary["analysed"], summary["not_analysable"], summary["recorded"]) == (4, 1, 5)


def test_the_terminal_shows_the_summary_then_only_the_flagged_reps(folder, capsys):
    assert main(["analyse", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Session plan: The hip-hinge progression")
    assert "2026-03-02 09:11 UTC · 5 of 11 drills recorded, 4 analysed" in out
    titles = [profile.title for profile in PLAN.profiles()]
    table = out[: out.index("Depth:")]
    positions = [table.index(title[:12]) for title in titles]
    assert positions == sorted(positions)
    assert table.count("not recorded") == 11 - len(RECORDED)
    assert "3. not analysable: the recording is only 2.0 s long" in out
    session = analyse_plan_folder(folder)
    flagged = sum(1 for d in session.analysed for r in d.analysis.reps if r.flags)
    clean = sum(1 for d in session.analysed for r in d.analysis.reps if not r.flags)
    assert flagged >= 3 and clean >= 20
    assert len(out.splitlines()) < 90, "eleven rep tables would be far longer"
    for drill in session.analysed:
        for rep in drill.analysis.reps:
            if rep.flags and not is_not_judged(rep):
                assert re.search(rf"\brep {rep.rep} \d+[°%]", out), (drill.title, rep.rep)


def test_exercise_with_a_plan_folder_is_refused(folder, capsys):
    assert main(["analyse", str(folder), "--exercise", "bridge"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--exercise" in err and "plan folder" in err


def test_thresholds_apply_to_every_drill_that_checks_them(folder, capsys):
    capsys.readouterr()
    assert main(["analyse", str(folder), "--max-lumbar-flexion", "12", "--json", "-"]) == 0
    document = json.loads(capsys.readouterr().out)
    for drill in document["drills"]:
        if drill["status"] == ANALYSED:
            assert drill["analysis"]["thresholds"]["max_lumbar_flexion_deg"] == 12.0


def test_a_folder_where_no_drill_can_be_analysed_exits_2_and_writes_nothing(tmp_path, capsys):
    folder = write_plan_folder(tmp_path / "plan", {TOO_SHORT: RECORDED[TOO_SHORT]})
    out = tmp_path / "x.json"
    assert main(["analyse", str(folder), "--json", str(out)]) == 2
    captured = capsys.readouterr()
    assert "could be analysed" in captured.err and len(captured.err.strip().splitlines()) == 1
    assert "not analysable" in captured.out and not out.exists()


def test_files_that_are_not_the_plans_drills_are_left_out_with_a_sentence(tmp_path):
    folder = write_plan_folder(tmp_path / "plan", {1: RECORDED[1]})
    source = folder / plan_file_name(1, "bridge")
    (folder / "01-bridge-again.csv").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    text = source.read_text(encoding="utf-8")
    (folder / "other.csv").write_text(text.replace("# plan: progression, drill 1 of 11\n", ""), encoding="utf-8")
    session = analyse_plan_folder(folder)
    assert session.drills[0].path == source and session.drills[0].status == ANALYSED
    assert len(session.left_out) == 2
    assert any("01-bridge-again.csv is a second recording of drill 1" in s for s in session.left_out)
    assert any(s.startswith("other.csv has no '# plan:' line") for s in session.left_out)


def test_the_json_has_the_documented_shape(outputs):
    _, document, _ = outputs
    docs = (ROOT / "docs" / "contract-additions.md").read_text(encoding="utf-8")
    assert document["schema"] == SCHEMA == "imuhinge.plan-session/1" and SCHEMA in docs
    assert list(document) == ["schema", "plan", "title", "start_utc", "folder", "drills", "summary", "left_out"]
    for key in document:
        assert f"`{key}`" in docs or f'"{key}"' in docs
    for drill in document["drills"]:
        assert list(drill) == ["index", "exercise", "file", "status", "reason", "analysis"]
        assert drill["status"] in STATUSES
        assert (drill["analysis"] is None) == (drill["status"] != ANALYSED)
        assert (drill["reason"] is None) == (drill["status"] != NOT_ANALYSABLE)
        if drill["analysis"] is not None:
            assert drill["analysis"]["schema"] == "imuhinge.analysis/1"
    summary = document["summary"]
    assert list(summary) == ["drills", "recorded", "analysed", "not_analysable", "not_recorded", "per_drill"]
    assert summary["drills"] == 11 == summary["analysed"] + summary["not_analysable"] + summary["not_recorded"]
    row_keys = ["index", "exercise", "status", "kind", "reps", "target_reps", "flagged_reps", "not_judged_reps",
                "flag_counts", "holds", "unsteady_holds", "longest_hold_s", "target_hold_s", "median_depth_deg",
                "median_lumbar_flexion_deg", "lumbar_flexion_source"]
    for row in summary["per_drill"]:
        assert list(row) == row_keys
        assert row["kind"] in (None, "reps", "hold")
        assert row["lumbar_flexion_source"] in (None, "measured", "estimated")
    for key in row_keys + ["not_analysable", "not_recorded", "left_out", "start_utc"]:
        assert key in docs, key


def test_the_report_puts_the_summary_first_then_a_section_per_drill(outputs):
    _, document, paths = outputs
    html = paths["report"].read_text(encoding="utf-8")
    assert html.index("<h2>Drills</h2>") < html.index('id="drill-1"') < html.index('id="drill-2"')
    for drill in document["drills"]:
        present = f'id="drill-{drill["index"]}"' in html
        assert present == (drill["status"] != NOT_RECORDED)
    assert html.count("<h3>Reps</h3>") == sum(1 for d in document["drills"] if d["status"] == ANALYSED
                                               and d["analysis"]["reps"])
    assert "2.0 s long" in html and "not recorded" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert paths["plot"].read_bytes().startswith(b"\x89PNG")


def test_the_plot_has_one_panel_per_drill_in_plan_order(folder):
    figure = plot_plan_session(analyse_plan_folder(folder))
    titles = [axes.get_title(loc="left") for axes in figure.axes if axes.get_title(loc="left")]
    assert titles == [f"{i}. {profile.title}" for i, profile in enumerate(PLAN.profiles(), start=1)]


def test_other_commands_refuse_a_plan_folder_in_one_sentence(folder, tmp_path, capsys):
    assert main(["plot", str(folder), "-o", str(tmp_path / "p.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "session plan folder" in err and "imuhinge analyse" in err


def test_an_export_folder_still_imports(tmp_path, capsys):
    """A Sensor Logger export folder is still an export, not a plan folder."""
    import pandas as pd

    recording, _ = simulate_session(SessionConfig.random(2006, ("pelvis",), scenario="hinge"))
    stream = recording.streams["pelvis"]
    export = tmp_path / "export"
    export.mkdir()
    time_ns = 1_795_000_000 * 10**9 + np.round(stream.time_s * 1e9).astype(np.int64)
    for name, values in (("TotalAcceleration.csv", stream.acc_g * 9.80665), ("Gyroscope.csv", np.radians(stream.gyr_dps))):
        pd.DataFrame({"time": time_ns, "seconds_elapsed": (time_ns - time_ns[0]) / 1e9,
                      "z": values[:, 2], "y": values[:, 1], "x": values[:, 0]}).to_csv(export / name, index=False)
    assert detect_format([export]) == "sensorlogger" and not is_plan_folder(export)
    assert load_recording([str(export)]).metadata["imported"].startswith("sensorlogger")
    capsys.readouterr()
    assert main(["analyse", str(export), "--json", "-"]) == 0
    analysis = json.loads(capsys.readouterr().out)
    assert analysis["schema"] == "imuhinge.analysis/1" and analysis["summary"]["reps"] > 0


def test_progress_reads_the_plan_folders_inside_a_persons_folder(folder):
    progress = build_progress(folder.parent)
    names = sorted(s.name for d in progress.drills for s in d.sessions)
    analysed = [plan_file_name(i, PLAN.drills[i - 1]) for i in RECORDED if i != TOO_SHORT]
    assert names == sorted(f"{folder.name}/{name}" for name in analysed)
    assert [d.profile.name for d in progress.drills] == [PLAN.drills[i - 1] for i in sorted(RECORDED) if i != TOO_SHORT]
    assert [s.path.name for s in progress.skipped] == [plan_file_name(TOO_SHORT, PLAN.drills[TOO_SHORT - 1])]
    session = analyse_plan_folder(folder)
    for drill in progress.drills:
        alone = next(d for d in session.analysed if d.exercise == drill.profile.name)
        assert drill.last.reps == alone.row.numbers.reps
        assert drill.sessions[0].started.strftime("%H:%M") == f"09:{10 + alone.index:02d}"


def test_a_recording_made_with_a_target_is_counted_against_it_everywhere(tmp_path, capsys):
    """``# target reps: 4`` (``live --target-reps 4``): the plan table, the drill's own
    analysis in the session JSON (and so its HTML section) and the file analysed alone all
    count the reps against 4, not against the drill's 15."""
    folder = write_plan_folder(tmp_path / "session", {6: (2003, ("pelvis", "thorax"), None)})
    path = folder / plan_file_name(6, PLAN.drills[5])
    text = path.read_text(encoding="utf-8").replace("# plan:", "# target reps: 4\n# plan:", 1)
    path.write_text(text, encoding="utf-8")
    session = analyse_plan_folder(folder)
    (drill,) = session.analysed
    assert drill.profile.target_reps == 15
    assert drill.row.numbers.target_reps == 4
    assert drill.analysis.exercise["target_reps"] == 4
    assert analyse_alone(path, capsys)["exercise"]["target_reps"] == 4
    path.write_text(text.replace("# target reps: 4\n", "# target reps: none\n"), encoding="utf-8")
    assert analyse_alone(path, capsys)["exercise"]["target_reps"] == 15
