"""The README's two set-up commands are the ones CI and users actually run."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("## Start here")
    return [line for line in lines[start:] if line.startswith("python3 -m venv")][:2]


def test_readme_test_command_is_what_ci_runs():
    _, test_command = _readme_commands()
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_readme_main_command_uses_a_bundled_recording():
    main_command, _ = _readme_commands()
    recording = main_command.split("imuhinge analyse ")[1].split()[0]
    assert (ROOT / recording).is_file()
