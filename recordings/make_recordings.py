"""Regenerate the bundled simulated recordings, their truth files and recordings/README.md.

Run from anywhere: ``python recordings/make_recordings.py``. Each recording is
``imuhinge simulate`` with the options listed in ``RECORDINGS`` (the README shows the
command), so the files are reproducible byte for byte. The script checks that each one
still shows what the README promises and stays small.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from imuhinge.recording import write_recording  # noqa: E402
from imuhinge.simulation import SessionConfig, Truth, simulate_session  # noqa: E402

MAX_BYTES = 1_500_000


@dataclass(frozen=True)
class Bundled:
    name: str
    shows: str
    seed: int
    sensors: tuple[str, ...]
    scenario: str
    rate_hz: float
    duration_s: float

    def command(self) -> str:
        return (
            f"imuhinge simulate --out recordings/{self.name}.csv --truth recordings/{self.name}.truth.json "
            f"--sensors {','.join(self.sensors)} --seed {self.seed} --scenario {self.scenario} "
            f"--rate-hz {self.rate_hz:g} --duration-s {self.duration_s:g}"
        )


RECORDINGS = (
    Bundled(
        name="kettlebell-deadlift-two-sensor",
        shows="Two sets of kettlebell deadlifts seen by a sacrum and a T12 sensor: one from a "
        "stool, then a heavier one from the floor. Most reps are good hinges; two round the "
        "lower back and one arches at lockout. Turning and fidgeting between the sets.",
        seed=213,
        sensors=("pelvis", "thorax"),
        scenario="deadlift",
        rate_hz=100.0,
        duration_s=100.0,
    ),
    Bundled(
        name="kettlebell-deadlift-pelvis-only",
        shows="One set of kettlebell deadlifts from the floor seen by a sacrum sensor alone "
        "(one-sensor mode: lumbar flexion can only be estimated). Three reps round the lower "
        "back and one arches at lockout. Recorded at a BLE-typical 52 Hz.",
        seed=230,
        sensors=("pelvis",),
        scenario="deadlift",
        rate_hz=52.0,
        duration_s=110.0,
    ),
    Bundled(
        name="kettlebell-swing-fast",
        shows="One continuous set of kettlebell swings, about one rep a second with only the "
        "float at the top between reps, seen by both sensors. Two reps round the lower back "
        "and one leans back at the top.",
        seed=316,
        sensors=("pelvis", "thorax"),
        scenario="swing",
        rate_hz=100.0,
        duration_s=75.0,
    ),
)


def make(bundled: Bundled) -> Truth:
    """Write one recording and its truth; return the truth."""
    config = SessionConfig.random(
        seed=bundled.seed,
        sensors=bundled.sensors,
        scenario=bundled.scenario,
        rate_hz=bundled.rate_hz,
        duration_s=bundled.duration_s,
    )
    recording, truth = simulate_session(config)
    csv_path = HERE / f"{bundled.name}.csv"
    write_recording(recording, csv_path)
    truth.write(HERE / f"{bundled.name}.truth.json")
    size = csv_path.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{csv_path.name} is {size / 1e6:.2f} MB, above {MAX_BYTES / 1e6:.1f} MB")
    if not any("rounded" in r.labels for r in truth.reps) or any("gap" in r.labels for r in truth.reps):
        raise SystemExit(f"{csv_path.name} no longer shows rounded reps without data gaps")
    return truth


def _reps_with(truth: Truth, label: str) -> str:
    numbers = [str(r.rep) for r in truth.reps if label in r.labels]
    return ", ".join(numbers) if numbers else "none"


def describe(bundled: Bundled, truth: Truth) -> str:
    """The README section of one recording."""
    loads = sorted({r.load_kg for r in truth.reps})
    sets = sorted({r.set_index for r in truth.reps})
    rows = [
        "| rep | set | start_s | bottom_s | end_s | pelvis tilt ° | trunk incl. ° | lumbar flex. ° | lockout ext. ° | labels |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in truth.reps:
        rows.append(
            f"| {r.rep} | {r.set_index} | {r.start_s:.2f} | {r.bottom_s:.2f} | {r.end_s:.2f} | "
            f"{r.pelvis_tilt_deg:.1f} | {r.trunk_inclination_deg:.1f} | {r.lumbar_flexion_deg:.1f} | "
            f"{r.lockout_extension_deg:.1f} | {', '.join(r.labels)} |"
        )
    events = ", ".join(sorted({e["kind"] for e in truth.events if e["kind"] != "loss"}))
    losses = [e for e in truth.events if e["kind"] == "loss"]
    loss_text = "; ".join(
        f"{e['sensor']} {e['start_s']:.2f}–{e['end_s']:.2f} s" for e in losses
    ) or "none"
    return "\n".join(
        [
            f"## {bundled.name}.csv",
            "",
            bundled.shows,
            "",
            f"- Sensors: {', '.join(truth.sensors)}; {truth.rate_hz:g} Hz; {truth.duration_s:.0f} s; "
            f"scenario `{truth.scenario}`, seed {truth.seed}.",
            f"- {len(truth.reps)} reps in {len(sets)} set{'s' if len(sets) > 1 else ''}, "
            f"load {', '.join(f'{w:g} kg' for w in loads)}.",
            f"- Flagged in the truth: rounded reps {_reps_with(truth, 'rounded')}; "
            f"overextended reps {_reps_with(truth, 'overextended')}; data gaps: {_reps_with(truth, 'gap')}.",
            f"- Outside the sets: {events}. Packet losses longer than 0.25 s: {loss_text}.",
            f"- Truth: `{bundled.name}.truth.json`. Regenerate alone with:",
            "",
            "  ```sh",
            f"  {bundled.command()}",
            "  ```",
            "",
            *rows,
            "",
        ]
    )


HEADER = """# Bundled recordings

Simulated sessions (`imuhinge simulate`), small enough to keep in the repository, each
with its ground truth in `<name>.truth.json` (schema `imuhinge.truth/1`, see
`imuhinge/simulation/truth.py`). They are what the README's first command analyses and what
a new user can try without a sensor. Angles are in degrees relative to quiet standing; a
rep is `rounded` above 20° of lumbar flexion and `overextended` above 10° of lumbar
extension at lockout (the product's default thresholds). Every session starts with at
least 5 s of quiet standing for the calibration.

Regenerate all three and this page with:

```sh
python recordings/make_recordings.py
```

This page is written by that script; edit the script, not the page.
"""


def main() -> None:
    sections = [HEADER]
    for bundled in RECORDINGS:
        truth = make(bundled)
        sections.append(describe(bundled, truth))
        print(f"wrote recordings/{bundled.name}.csv and .truth.json ({len(truth.reps)} reps)")
    (HERE / "README.md").write_text("\n".join(sections), encoding="utf-8")
    print("wrote recordings/README.md")


if __name__ == "__main__":
    main()
