"""The live session: the processor against the offline analysis, and the command end to end."""

from __future__ import annotations

import io
import time
from datetime import datetime, timezone

import numpy as np
import pytest
from rich.console import Console

from imuhinge.cli.main import main
from imuhinge.live import LiveProcessor
from imuhinge.live.agreement import compare, match_reps
from imuhinge.live.simulated import session_blocks
from imuhinge.pipeline.analyse import analyse_recording
from imuhinge.recording import read_recording
from imuhinge.simulation import SessionConfig, simulate_session

TRAINING_SEEDS = (1000, 1001, 1004)


def _run_live(recording, sensors):
    processor = LiveProcessor(sensors)
    started = time.process_time()
    for _, label, block in session_blocks(recording):
        processor.feed(label, block.time_s, block.acc_g, block.gyr_dps)
    processor.finish()
    return processor, time.process_time() - started


@pytest.fixture(scope="module")
def two_sensor_runs():
    runs = []
    for seed in TRAINING_SEEDS:
        recording, _ = simulate_session(SessionConfig.random(seed, sensors=("pelvis", "thorax")))
        processor, cpu_s = _run_live(recording, ("pelvis", "thorax"))
        runs.append((recording, analyse_recording(recording), processor, cpu_s))
    return runs


def test_live_finds_the_offline_reps_and_verdicts(two_sensor_runs):
    agreed = offline = 0
    latencies_s = []
    for _, analysis, processor, _ in two_sensor_runs:
        agreement = compare(processor.reps, analysis.reps)
        assert agreement.matched == len(analysis.reps) == len(processor.reps)
        agreed += agreement.agreed
        offline += agreement.offline_reps
        latencies_s += [live.emitted_s - rep.end_s for live, rep in match_reps(processor.reps, analysis.reps)]
    assert agreed >= 0.95 * offline
    assert np.percentile(latencies_s, 95) <= 0.3
    assert min(latencies_s) >= 0.0


def test_live_processor_is_cheap(two_sensor_runs):
    """Below 10% of one core in real time for two sensors (at the simulated rates)."""
    for recording, _, _, cpu_s in two_sensor_runs:
        assert cpu_s / recording.duration_s < 0.10


def test_one_sensor_live_matches_offline():
    recording, _ = simulate_session(SessionConfig.random(1001, sensors=("pelvis",)))
    processor, _ = _run_live(recording, ("pelvis",))
    analysis = analyse_recording(recording)
    agreement = compare(processor.reps, analysis.reps)
    assert agreement.matched == len(analysis.reps) > 0
    assert agreement.agreed >= 0.9 * agreement.offline_reps
    assert all(rep.lumbar_flexion_source == "estimated" for rep in processor.reps)


def test_calibration_is_guided():
    recording, _ = simulate_session(SessionConfig.random(1001, sensors=("pelvis",)))
    processor = LiveProcessor(("pelvis",))
    states = []
    for _, label, block in session_blocks(recording):
        processor.feed(label, block.time_s, block.acc_g, block.gyr_dps)
        states.append((processor.state, processor.calibration_left_s))
        if processor.state == "ready":
            break
    assert states[0][0] == "calibrating"
    assert any(0.0 < left < 3.0 for state, left in states if state == "calibrating")
    assert processor.state == "ready" and processor.current is not None


def test_live_simulate_end_to_end(tmp_path, capsys):
    out, report = tmp_path / "live.csv", tmp_path / "live.json"
    status = main(["live", "--simulate", "--seed", "1001", "--speed", "500", "--duration", "40",
                   "--out", str(out), "--json", str(report)])
    printed = capsys.readouterr().out
    assert status == 0
    recording = read_recording(out)
    expected, _ = simulate_session(SessionConfig.random(1001, sensors=("pelvis", "thorax")))
    for label in expected.streams:
        sent = sum(len(block) for arrival_s, sensor, block in session_blocks(expected)
                   if sensor == label and arrival_s <= 40.0)
        assert len(recording.streams[label]) == sent
    assert report.exists()
    assert "Live feedback agreed with the end-of-session analysis on" in printed
    started = datetime.fromisoformat(recording.metadata["start (UTC)"].replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - started).total_seconds()) < 120  # when it was recorded


def test_ctrl_c_leaves_a_recording_and_the_analysis(tmp_path, monkeypatch, capsys):
    from imuhinge.live import simulated

    real_play = simulated.play

    async def interrupted(recording, speed=1.0, **kwargs):
        async for arrival_s, label, block in real_play(recording, speed=speed, **kwargs):
            if arrival_s > 30.0:
                raise KeyboardInterrupt
            yield arrival_s, label, block

    monkeypatch.setattr(simulated, "play", interrupted)
    out = tmp_path / "cut.csv"
    status = main(["live", "--simulate", "--seed", "1001", "--speed", "1000", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0
    recording = read_recording(out)
    assert 29.0 < recording.duration_s <= 30.0
    assert "Stopped (Ctrl-C)" in printed
    assert "Live feedback agreed" in printed


def test_live_without_simulate_needs_a_pelvis_sensor(capsys):
    assert main(["live"]) == 2
    assert "needs --pelvis" in capsys.readouterr().err


def test_view_shows_untrusted_names_as_text():
    from imuhinge.live.view import LiveStatus, render

    console = Console(file=io.StringIO(), width=80, height=24, color_system=None)
    console.print(render(LiveStatus(sensor_names={"pelvis": "[bold red]evil[/]"}, state="calibrating",
                                    calibration_left_s=2.0)))
    text = console.file.getvalue()
    assert "[bold red]evil[/]" in text
    assert "hold still (2 s left)" in text


def test_view_shows_what_each_link_is_going_through_and_nothing_when_all_is_well():
    from imuhinge.live.view import LiveStatus, render

    def screen(notes):
        console = Console(file=io.StringIO(), width=80, height=24, color_system=None)
        console.print(render(LiveStatus(sensor_names={"pelvis": "WT901BLE67", "thorax": "imuhinge-T12"},
                                        link_notes=notes)))
        return console.file.getvalue()

    troubled = screen({"pelvis": "link lost, reconnecting…, 1 outage", "thorax": "12 notifications lost"})
    assert "pelvis: link lost, reconnecting…, 1 outage" in troubled
    assert "thorax: 12 notifications lost" in troubled
    calm = screen({"pelvis": "", "thorax": ""})
    assert "reconnecting" not in calm and "thorax:" not in calm.split("\n")[2]
    assert len(calm.splitlines()) == len(troubled.splitlines()) - 1


def test_learning_a_sensor_has_no_gyroscope_keeps_the_drill():
    from imuhinge.exercises import profile_named
    from imuhinge.live.processor import LiveProcessor

    bridge = profile_named("bridge")
    processor = LiveProcessor(("pelvis",), exercise=bridge)
    assert processor.with_accelerometer_only(()) is processor
    changed = processor.with_accelerometer_only(("pelvis",))
    assert changed.accelerometer_only == ("pelvis",) and changed.exercise is bridge
