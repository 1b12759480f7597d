"""The session report: one self-contained HTML file to show a patient or file in notes.

Self-contained means it opens anywhere, offline, years later: the styles are inline, the
plot is embedded as a base64 PNG, and nothing is fetched from the network (no external
CSS, scripts, fonts or links). Every string that came from a file or a device (the
source path, metadata, warnings, reasons) is HTML-escaped, so a file named
``<img src=x onerror=alert(1)>.csv`` shows as those characters and runs nothing.

Sections: summary in plain words, warnings, the plot, the rep table, the limits used,
the recording's details, and Methods with the measured accuracy (``accuracy.py``). Each
section is a public ``*_html`` function and the styles are ``CSS``, so the other pages
(the progression, a session plan's report) show the same pieces the same way.
"""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..pipeline.result import (
    ACCELEROMETER_ONLY, ESTIMATED, GAP, NOT_JUDGED_FLAGS, ONE_SENSOR, OVEREXTENDED, ROUNDED, SATURATED,
    TWO_SENSOR, Analysis, RepResult,
)
from ..pipeline.settings import AccelerometerOnlySettings
from .accuracy import (
    ACCURACY_PATH,
    METRIC_LABELS,
    MODE_KEYS,
    Accuracy,
    format_metric,
    load_accuracy,
    metric_label,
)
from .wording import (
    MISSING,
    arching_measured,
    display_name,
    FLAG_PLAIN,
    duration_words,
    drill_limits,
    exercise_line,
    rep_sets,
    flag_word,
    fmt_number,
    missing_checks_sentence,
    is_not_judged,
    lower_back_judged,
    mode_words,
    without_gyroscope,
    zero_words,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_MODE_KEY = {TWO_SENSOR: "two_sensor", ONE_SENSOR: "one_sensor"}
_MODE_TITLE = {"two_sensor": "Two sensors", "one_sensor": "One sensor (estimated)"}


def write_report(analysis: Analysis, path: str | Path, figure: "Figure | None" = None) -> None:
    """Write the HTML report to ``path``; ``figure`` is the session plot if already drawn."""
    Path(path).write_text(render_report(analysis, figure), encoding="utf-8")


def render_report(
    analysis: Analysis,
    figure: "Figure | None" = None,
    accuracy_path: str | Path = ACCURACY_PATH,
) -> str:
    """The report as one HTML string, quoting the measured accuracy from ``accuracy_path``."""
    if figure is None:
        from .plot import plot_session

        figure = plot_session(analysis)
    accuracy = load_accuracy(accuracy_path)
    name = escape(display_name(analysis.source))
    body = "\n".join(
        [
            header_html(analysis),
            summary_html(analysis),
            warnings_html(analysis),
            plot_html(figure, analysis),
            rep_table_html(analysis),
            limits_html(analysis),
            details_html(analysis),
            methods_html(analysis, accuracy),
            f'<footer>Made with imuhinge {escape(__version__)}. This report supports, and does not '
            "replace, a clinician's judgement.</footer>",
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Hip hinge report: {name}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def header_html(analysis: Analysis) -> str:
    """The page header: file, drill and cue, sensors and duration."""
    drill = exercise_line(analysis)
    drill_html = ""
    if drill is not None:
        drill_html = (
            f'<p class="drill">{escape(drill)}</p>\n'
            f'<p class="sub cue">{escape(str(analysis.exercise.get("cue", "")))}</p>\n'
        )
    return (
        "<header>\n<h1>Hip hinge report</h1>\n"
        f'<p class="file">{escape(display_name(analysis.source))}</p>\n'
        f"{drill_html}"
        f'<p class="sub">{escape(mode_words(analysis).capitalize())} · '
        f"{escape(duration_words(analysis.duration_s))}</p>\n</header>"
    )


def summary_html(analysis: Analysis) -> str:
    """The summary: count tiles and the verdicts in plain sentences."""
    counts = analysis.summary()
    reps = analysis.reps
    limits = analysis.thresholds
    target = (analysis.exercise or {}).get("target_reps")
    sets = rep_sets(reps)
    if target and len(sets) > 1:
        per = f" in {len(sets)} sets (target {target} a set)"
    else:
        per = f" / {target}" if target else ""
    tiles = [(counts["reps"], ("reps" if counts["reps"] != 1 else "rep") + per, "")]
    if reps:
        tiles.append((counts["clean"], "clean", "good"))
        if _judged_for(analysis, ROUNDED) or counts[ROUNDED]:
            tiles.append((counts[ROUNDED], "rounded", "bad" if counts[ROUNDED] else ""))
        if (arching_measured(analysis) and _judged_for(analysis, OVEREXTENDED)) or counts[OVEREXTENDED]:
            tiles.append((counts[OVEREXTENDED], "arched (overextended)", "bad" if counts[OVEREXTENDED] else ""))
        drill_flags = sorted({f for r in reps for f in r.flags} - {ROUNDED, OVEREXTENDED, *NOT_JUDGED_FLAGS})
        for flag in drill_flags:
            number = sum(1 for r in reps if flag in r.flags)
            tiles.append((number, flag_word(flag), "bad"))
        if counts.get(GAP):
            tiles.append((counts[GAP], "not judged (data gap)", "grey"))
        if counts.get(SATURATED):
            tiles.append((counts[SATURATED], "not judged (sensor saturated)", "grey"))
        if counts.get(ACCELEROMETER_ONLY):
            tiles.append((counts[ACCELEROMETER_ONLY], "not judged (accelerometer only)", "grey"))
    tile_html = "".join(
        f'<div class="tile {kind}"><span class="n">{number}</span><span>{escape(label)}</span></div>'
        for number, label, kind in tiles
    )

    sentences = []
    if analysis.exercise and analysis.exercise.get("kind") == "hold":
        pass
    elif not reps:
        sentences.append("No reps were found in this recording.")
    else:
        rounded = [r.rep for r in reps if ROUNDED in r.flags]
        arched = [r.rep for r in reps if OVEREXTENDED in r.flags]
        gaps = [r.rep for r in reps if is_not_judged(r) and ACCELEROMETER_ONLY not in r.flags]
        other = [r for r in reps if r.flags and not (set(r.flags) & {ROUNDED, OVEREXTENDED, *NOT_JUDGED_FLAGS})]
        if rounded:
            sentences.append(
                f"In {_count(len(rounded), 'rep')} the lower back rounded more than "
                f"{limits.max_lumbar_flexion_deg:g}° ({_rep_list(rounded)})."
            )
        if arched:
            sentences.append(
                f"In {_count(len(arched), 'rep')} the lower back arched more than "
                f"{limits.max_lockout_extension_deg:g}° at the top of the lift ({_rep_list(arched)})."
            )
        if gaps:
            sentences.append(
                f"{_count(len(gaps), 'rep').capitalize()} could not be judged because sensor data was "
                f"missing or beyond the sensor's range ({_rep_list(gaps)})."
            )
        named = sorted({f for r in other for f in r.flags if f not in NOT_JUDGED_FLAGS})
        for flag in named:
            numbers = [r.rep for r in reps if flag in r.flags]
            sentences.append(
                f"{_count(len(numbers), 'rep').capitalize()} showed "
                f"{escape(FLAG_PLAIN.get(flag, flag_word(flag)))} ({_rep_list(numbers)})."
            )
        clean = counts["clean"]
        if clean == len(reps):
            sentences.append(
                "Every rep was clean: the hips did the hinging and the lower back stayed within the limits."
            )
        elif clean:
            sentences.append(
                f"The other {_count(clean, 'rep')} were clean: the hips did the hinging "
                "and the lower back stayed within the limits."
            )
    if analysis.holds is not None:
        drill = exercise_line(analysis)
        unsteady = [h for h in analysis.holds if h.flags]
        sentences.append(escape(f"{drill}.") if drill else "")
        for number, hold in enumerate(analysis.holds, start=1):
            sentences.append(escape(
                f"Hold {number}: {hold.duration_s:.0f} s from {hold.start_s:.0f} s, the trunk moved "
                f"{hold.sway_deg:.1f}° (rms)" + (f": {' '.join(hold.reasons)}" if hold.flags else ".")
            ))
        if not analysis.holds:
            sentences.append("No hold was found in this recording.")
        elif not unsteady:
            sentences.append("Every hold was steady.")
    missing = missing_checks_sentence(analysis)
    if missing is not None:
        sentences.append(escape(missing))
    if analysis.holds is not None:
        pass  # a hold drill judges no lower back: the one-sensor sentences below do not apply
    elif not lower_back_judged(analysis):
        sentences.append(
            "Only one sensor was worn, at the pelvis, and it measures acceleration only: the "
            "reps and the hip hinge angle were measured, but the lower back could not be "
            "judged. A sensor with a gyroscope on the pelvis gives an estimate, and a second "
            "sensor on the upper back measures it."
        )
    elif analysis.mode == ONE_SENSOR:
        sentences.append(
            "Only the pelvis sensor was worn, so lumbar flexion was <strong>estimated</strong> "
            "from how the pelvis moved, and arching at lockout could not be measured. Treat "
            "the verdicts as an estimate; a second sensor on the upper back measures it directly."
        )
    paragraphs = "".join(f"<p>{sentence}</p>" for sentence in sentences)
    paragraphs += "".join(
        f'<p class="caveat"><strong>Read with care:</strong> {escape(_sentence(caveat))}</p>'
        for caveat in analysis.caveats
    )
    return f'<section class="summary">\n<h2>Summary</h2>\n<div class="tiles">{tile_html}</div>\n{paragraphs}\n</section>'


def _sentence(text: str) -> str:
    """``text`` with a capital first letter and a full stop."""
    text = str(text).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _rep_list(numbers: list[int]) -> str:
    words = [str(number) for number in numbers]
    if len(words) > 12:
        return "reps " + ", ".join(words[:12]) + f" and {len(words) - 12} more"
    if len(words) == 1:
        return f"rep {words[0]}"
    return "reps " + ", ".join(words[:-1]) + " and " + words[-1]


def plot_html(figure: "Figure", analysis: Analysis) -> str:
    """The session plot, embedded as a base64 PNG, with its caption."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    lumbar = "estimated lumbar flexion" if analysis.mode == ONE_SENSOR else "lumbar flexion"
    zero = zero_words(analysis)
    if not analysis.reps:
        caption = f"Angles over time, relative to {zero}. No reps were found."
    elif not lower_back_judged(analysis):
        caption = (
            f"Pelvic tilt over time, relative to {zero}; each rep is shaded (grey: counted, "
            "not judged)."
        )
    else:
        caption = (
            f"Top: angles over time, relative to {zero}; each rep is shaded, green when clean "
            "and red when flagged, with the reason above it. Bottom: each rep's peak "
            f"{lumbar} against the limit (red bars went over it)"
            + ("; bars below zero show arching at the top of the lift." if arching_measured(analysis) else ".")
        )
    caption += "".join(f" {_sentence(caveat)}" for caveat in analysis.caveats)
    return (
        '<section>\n<h2>Plot</h2>\n<figure>'
        f'<img src="data:image/png;base64,{encoded}" alt="Plot of pelvic tilt, trunk inclination '
        f'and lumbar flexion over the session, and peak lumbar flexion per rep">'
        f"<figcaption>{escape(caption)}</figcaption></figure>\n</section>"
    )


def rep_table_html(analysis: Analysis) -> str:
    """One row per rep with its angles, verdict and reasons (empty without reps)."""
    reps = analysis.reps
    if not reps:
        return ""
    all_estimated = all(rep.lumbar_flexion_source == ESTIMATED for rep in reps)
    est = " <small>(estimated)</small>" if all_estimated else ""
    columns = [
        ("Rep", lambda r: str(r.rep), True),
        ("Time (s)<br><small>start · bottom · end</small>",
         lambda r: f"{fmt_number(r.start_s)} · {fmt_number(r.bottom_s)} · {fmt_number(r.end_s)}", True),
        ("Pelvic tilt (°)", lambda r: fmt_number(r.pelvis_tilt_deg), True),
        (f"Trunk inclination (°){est}", lambda r: _estimated(r.trunk_inclination_deg, r, all_estimated),
         any(r.trunk_inclination_deg is not None for r in reps)),
        (f"Lumbar flexion (°){est}", lambda r: _estimated(r.lumbar_flexion_deg, r, all_estimated),
         lower_back_judged(analysis)),
        ("Arching at lockout (°)", lambda r: fmt_number(r.lockout_extension_deg),
         any(r.lockout_extension_deg is not None for r in reps)),
        ("Hinge ratio", lambda r: fmt_number(r.hinge_ratio, 2), any(r.hinge_ratio is not None for r in reps)),
    ]
    columns = [(header, cell) for header, cell, shown in columns if shown]
    head = "".join(f'<th class="num">{header}</th>' for header, _ in columns)
    head += "<th>Verdict</th><th>Why</th>"
    rows = []
    for rep in reps:
        cells = "".join(f'<td class="num">{cell(rep)}</td>' for _, cell in columns)
        rows.append(f'<tr class="{_row_class(rep)}">{cells}{_verdict_cells(rep)}</tr>')
    notes = (
        f"Angles are the peak reached during each rep, in degrees from {zero_words(analysis)}"
        + (" (negative: backward)" if any(r.pelvis_tilt_deg < 0 for r in reps) else "") + ". Arching at "
        "lockout is how far the lower back extended at the top. Hinge ratio is pelvic tilt "
        "divided by trunk inclination: 1.0 means all of the bend came from the hips."
    )
    return (
        '<section>\n<h2>Reps</h2>\n<div class="scroll"><table class="reps">\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table></div>\n"
        f'<p class="note">{escape(notes)}</p>\n</section>'
    )


def _estimated(value: float | None, rep: RepResult, all_estimated: bool) -> str:
    text = fmt_number(value)
    if text != MISSING and rep.lumbar_flexion_source == ESTIMATED and not all_estimated:
        return f"{text} <small>est.</small>"
    return text


def _row_class(rep: RepResult) -> str:
    if rep.is_clean:
        return "clean"
    return "notjudged" if is_not_judged(rep) else "flagged"


def _verdict_cells(rep: RepResult) -> str:
    if rep.is_clean:
        return '<td class="verdict ok">clean</td><td class="why"></td>'
    flags = ", ".join(
        "not judged" if flag == ACCELEROMETER_ONLY
        else escape(str(flag).replace("_", " ")) if flag in (ROUNDED, OVEREXTENDED, GAP, SATURATED)
        else escape(flag_word(str(flag)))
        for flag in rep.flags
    )
    reasons = " ".join(escape(str(reason)) for reason in rep.reasons) or MISSING
    return f'<td class="verdict">{flags}</td><td class="why">{reasons}</td>'


def warnings_html(analysis: Analysis) -> str:
    """The analysis warnings as a list (empty when there are none)."""
    if not analysis.warnings:
        return ""
    items = "".join(f"<li>{escape(str(warning))}</li>" for warning in analysis.warnings)
    return f'<section class="warnings">\n<h2>Warnings</h2>\n<ul>{items}</ul>\n</section>'


def limits_html(analysis: Analysis) -> str:
    """The limits every verdict was judged by, with their setting names."""
    limits = analysis.thresholds
    rows = []
    if _judged_for(analysis, ROUNDED):
        rows.append(("Rounded", f"peak lumbar flexion in the rep above {limits.max_lumbar_flexion_deg:g}°",
                     "max_lumbar_flexion_deg"))
    if _judged_for(analysis, OVEREXTENDED):
        rows.append(("Overextended (arched)",
                     f"lumbar extension at lockout beyond {limits.max_lockout_extension_deg:g}°",
                     "max_lockout_extension_deg"))
    rows += [
        ("Not judged (gap)",
         f"the rep overlaps a loss of sensor data longer than {limits.max_bridged_gap_s:g} s "
         "(shorter losses are filled in)", "max_bridged_gap_s"),
    ]
    rows += [(word.capitalize(), rule, "the drill's profile") for word, rule in drill_limits(analysis)]
    body = "".join(
        f"<tr><th>{escape(name)}</th><td>{escape(rule)}</td><td><code>{escape(key)}</code></td></tr>"
        for name, rule, key in rows
    )
    note = ""
    if _judged_for(analysis, ROUNDED):
        note = (
            '<p class="note">20° of lumbar flexion is about 35% of a typical lumbar range, where the '
            "neutral zone is usually taken to end. Both limits can be changed "
            "(<code>--max-lumbar-flexion</code>, <code>--max-lockout-extension</code>), for example "
            "to a personal limit from a measured maximum forward bend.</p>\n"
        )
    elif not _judged_for(analysis, OVEREXTENDED):
        note = '<p class="note">This drill is not judged for rounding or arching of the lower back.</p>\n'
    return (
        '<section>\n<h2>Limits used</h2>\n<table class="kv">'
        f"<thead><tr><th>Verdict</th><th>When</th><th>Setting</th></tr></thead><tbody>{body}</tbody></table>\n"
        f"{note}</section>"
    )


def _judged_for(analysis: Analysis, flag: str) -> bool:
    """True when the session is judged for ``flag`` (``rounded``, ``overextended``): always
    without a named drill, else when the drill checks it with the sensors worn."""
    record = analysis.exercise
    if not record:
        return True
    return flag in list(record.get("checks_measured", [])) + list(record.get("checks_estimated", []))


def details_html(analysis: Analysis) -> str:
    """The recording: file, sensors, calibration, duration and metadata."""
    rows = [
        ("File", str(analysis.source)),
        ("Sensors", mode_words(analysis)),
        ("Calibrated from", calibration_words(analysis)),
        ("Duration", duration_words(analysis.duration_s)),
    ]
    rows += [(str(key), str(value)) for key, value in analysis.metadata.items()]
    body = "".join(f"<tr><th>{escape(key)}</th><td>{escape(value)}</td></tr>" for key, value in rows)
    return f'<section>\n<h2>Recording</h2>\n<table class="kv"><tbody>{body}</tbody></table>\n</section>'


_CALIBRATION_WORDS = {
    "quiet-standing": "quiet standing at the start, as designed",
    "fallback-stillest-window": "the stillest 2 s of the recording, which was not quite still",
    "fallback-mean-gravity": "the average direction of gravity: the recording never stood still",
}


def calibration_words(analysis: Analysis) -> str:
    """Where the angles' zero came from, in plain words."""
    method = str(analysis.calibration.get("method", "quiet-standing"))
    posture = zero_words(analysis)
    if method == "quiet-standing" and posture != "standing":
        return f"keeping still ({posture}) at the start, as designed"
    return _CALIBRATION_WORDS.get(method, method)


def methods_html(analysis: Analysis, accuracy: Accuracy | None) -> str:
    """How the numbers were made, and the measured accuracy."""
    one_sensor = analysis.mode == ONE_SENSOR
    steps = [
        "<strong>Calibration.</strong> A sensor may be clipped on in any orientation. Its "
        "axes are found from the recording itself: gravity during quiet standing gives "
        "“up”, and the main rotation axis of the hinge movement gives the side-to-side "
        "axis. Every angle is measured from that calibrated quiet standing.",
        "<strong>Orientation.</strong> Each sensor's orientation is tracked from its "
        "gyroscope and accelerometer by the Fusion AHRS of x-io Technologies (the "
        "<code>imufusion</code> library).",
    ]
    if analysis.calibration.get("method", "quiet-standing") != "quiet-standing":
        steps.append(
            "<strong>Without quiet standing.</strong> This recording never stood still long "
            "enough, so it was calibrated on its stillest moment or, failing that, on the "
            "average direction of gravity, and its angles are measured from the most upright "
            "posture reached. They carry an offset nobody measured."
        )
    if without_gyroscope(analysis):
        steps.append(
            "<strong>Accelerometer only.</strong> A sensor without a gyroscope gives its tilt "
            "from the direction of gravity alone: the accelerometer is low-passed at "
            f"{AccelerometerOnlySettings().cutoff_hz:g} Hz "
            "(forwards and backwards, so without delay), which averages the body's own "
            "acceleration away in slow movement but not in fast reps, and the side-to-side "
            "axis is the one gravity swings around. Rotation about the vertical cannot be seen."
        )
    steps += [
        "<strong>Pelvic tilt and trunk inclination</strong> are the forward (sagittal) "
        "rotation of the pelvis sensor and of the upper-back sensor from calibrated "
        "standing, positive forward.",
        "<strong>Lumbar flexion</strong> with two sensors is trunk inclination minus pelvic "
        "tilt, relative to the same difference in standing, as clinical two-sensor systems "
        "(sensors at T12 and S2) compute it: positive is rounding, negative is arching.",
        "<strong>With one sensor</strong> lumbar flexion cannot be seen directly; it is "
        "<em>estimated</em> from what the pelvis does (how far it tilted, how far the "
        "sacrum moved back and down, the rep's timing), calibrated on your own reference "
        "reps when given. Every one-sensor value is labelled estimated.",
        "<strong>Reps</strong> are found from the pelvic tilt, filtered forwards and "
        "backwards (zero-phase, so no timing shift): a rep starts when the pelvis leaves "
        "the standing posture, its bottom is the deepest tilt, and it ends when the pelvis "
        "is back. Peak angles are the largest within the rep; arching at lockout is the "
        "largest lumbar extension from the last part of the way up to the end of the rep.",
    ]
    current = "one-sensor" if one_sensor else "two-sensor"
    items = "".join(f"<li>{step}</li>" for step in steps)
    return (
        '<section class="methods">\n<h2>Methods</h2>\n'
        f"<p>This session was analysed in <strong>{current}</strong> mode.</p>\n"
        f"<ol>{items}</ol>\n<h3>How accurate it is</h3>\n{_accuracy(accuracy, analysis)}\n</section>"
    )


def _accuracy(accuracy: Accuracy | None, analysis: Analysis) -> str:
    if accuracy is None:
        return (
            "<p>The accuracy of this build has <strong>not been measured</strong> yet, so no "
            "error figures are given here. Accuracy is measured by analysing simulated "
            "sessions with known true angles and comparing the results.</p>"
        )
    about = []
    if accuracy.sessions:
        about.append(f"{accuracy.sessions} simulated sessions")
    if accuracy.reps:
        about.append(f"{accuracy.reps} reps")
    intro = "Measured against the known true angles of " + (" and ".join(about) or "simulated sessions")
    if accuracy.measured_on:
        intro += f" ({accuracy.measured_on})"
    intro += "."
    if accuracy.imuhinge_version and accuracy.imuhinge_version != __version__:
        intro += f" Measured on imuhinge {accuracy.imuhinge_version}; this report is from {__version__}."
    modes = [mode for mode in MODE_KEYS if mode in accuracy.by_mode]
    names = [name for name in METRIC_LABELS if any(name in accuracy.by_mode[m] for m in modes)]
    names += sorted({name for m in modes for name in accuracy.by_mode[m]} - set(names))
    current = _MODE_KEY.get(analysis.mode)
    head = "".join(
        f'<th class="num{" current" if mode == current else ""}">{escape(_MODE_TITLE[mode])}'
        f'{"<br><small>this session</small>" if mode == current else ""}</th>'
        for mode in modes
    )
    rows = []
    for name in names:
        cells = "".join(
            f'<td class="num{" current" if mode == current else ""}">'
            f"{escape(format_metric(name, accuracy.by_mode[mode][name])) if name in accuracy.by_mode[mode] else MISSING}</td>"
            for mode in modes
        )
        rows.append(f"<tr><th>{escape(metric_label(name))}</th>{cells}</tr>")
    return (
        f"<p>{escape(intro)}</p>\n"
        f'<table class="kv accuracy"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


CSS = """
:root { --ink: #212121; --muted: #616161; --line: #e0e0e0; --good: #2e7d32; --bad: #c62828;
        --badbg: #ffebee; --greybg: #f2f2f2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; }
header h1 { margin: 0; font-size: 1.6rem; }
header .file { margin: 2px 0 0; font-size: 1.15rem; font-weight: 600; overflow-wrap: anywhere; }
header .sub { margin: 0; color: var(--muted); }
header .drill { margin: 4px 0 0; font-weight: 600; }
h2 { font-size: 1.2rem; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 18px 0 6px; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0 12px; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 8px 16px; min-width: 110px; }
.tile .n { display: block; font-size: 1.9rem; font-weight: 700; line-height: 1.1; }
.tile.good .n { color: var(--good); }
.tile.bad { background: var(--badbg); border-color: #ef9a9a; }
.tile.bad .n { color: var(--bad); }
.tile.grey { background: var(--greybg); }
.summary p { margin: 4px 0; max-width: 75ch; }
figure { margin: 0; }
figure img { width: 100%; height: auto; border: 1px solid var(--line); }
figcaption, .note { color: var(--muted); font-size: 0.9rem; max-width: 90ch; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.93rem; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: #fafafa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
table.reps th { font-size: 0.85rem; vertical-align: bottom; }
table.reps td.why { min-width: 24ch; }
table.reps { width: 100%; }
tr.flagged td { background: var(--badbg); }
tr.flagged td.verdict { color: var(--bad); font-weight: 700; }
tr.notjudged td { background: var(--greybg); color: var(--muted); }
td.verdict.ok { color: var(--good); font-weight: 600; }
table.kv th { font-weight: 600; white-space: nowrap; }
table.kv td { overflow-wrap: anywhere; }
.accuracy .current { background: #e8f5e9; }
.warnings { background: #fff8e1; border: 1px solid #ffe082; border-radius: 8px; padding: 2px 16px 10px; }
.warnings h2 { border: 0; margin-top: 8px; }
.warnings ul { margin: 0; padding-left: 1.2em; }
.summary p.caveat { background: #fff8e1; border-left: 4px solid #f9a825; padding: 4px 10px; }
.methods ol { padding-left: 1.3em; max-width: 90ch; }
.methods li { margin-bottom: 6px; }
footer { margin-top: 32px; color: var(--muted); font-size: 0.85rem; }
code { font-size: 0.88em; background: #f5f5f5; padding: 0 3px; border-radius: 3px; }
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  tr, figure { break-inside: avoid; }
}
"""
"""The report's styles, shared by every HTML page imuhinge writes (inline, nothing fetched)."""
