"""`imuhinge live` over the emulated BlueZ: two sensors at 200 Hz, a simulated deadlift session.

The emulated BlueZ (tests/bluez) runs in this process; `imuhinge live --pelvis … --thorax …`
runs as a subprocess pointed at it (DBUS_SYSTEM_BUS_ADDRESS, and PATH with the fake
`bluetoothctl`), as the tests' fixtures do. Measured:

1. samples sent by the emulated sensors vs rows in the recording (lost inside the program);
2. live verdicts vs the end-of-session analysis (the agreement line the session prints,
   checked against the JSON);
3. latency of each verdict: wall-clock time the screen was updated with it minus the
   wall-clock time of the rep's end (session origin + ``end_s``), p50/p95; the session-time
   latency ``emitted_s - end_s`` is shown next to it;
4. CPU of the `imuhinge live` process (user + sys from ``os.wait4``) / its wall time, as %
   of one core, for the whole process and for the streaming part alone.

The subprocess is this file in ``--child`` mode: it hooks ``LiveView.update`` (to timestamp
each verdict as it reaches the screen) and ``BleSource`` (for the session origin), then calls
``imuhinge.cli.main.main`` with the ``live`` arguments: the same code path as the console
script, plus a few microseconds per screen update. The screen is drawn as on an 80×24
terminal (TTY_COMPATIBLE=1) into a file, so drawing costs are counted.

    python benchmarks/live_ble.py                        # seed 1000, 60 s, 200 Hz
    python benchmarks/live_ble.py --seeds 4-9 --session-s 120   # the README's figures
    python benchmarks/live_ble.py --pelvis-protocol imuhinge-v1 --keep /tmp/lb

The emulated sensors send a simulated session without its transport faults (no loss, no
jittered times: the emulated link is the transport) on one body clock, so a sensor that
subscribes later starts at the body's present moment (tests/bluez/body.py).

Needs `dbus-daemon` (Debian package `dbus`). Takes about (session length + 15 s) per seed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PELVIS_ADDRESS = "C0:FF:EE:00:00:11"
THORAX_ADDRESS = "C0:FF:EE:00:00:12"
PER_PACKET = 5
TARGETS = {"lost": "0", "agree": ">= 95 %", "p95": "<= 0.3 s", "cpu": "< 10 %"}


# --------------------------------------------------------------------------- child (imuhinge live)


def child(events_path: str, argv: list[str]) -> int:
    import resource

    from imuhinge.cli.main import main
    from imuhinge.live import ble_source, view

    sources: list = []
    reps: list[dict] = []
    cpu: dict[str, list[float]] = {}

    init = ble_source.BleSource.__init__

    def hooked_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        sources.append(self)

    update = view.LiveView.update

    def hooked_update(self, status, force=False):
        seen = self._reps_seen
        update(self, status, force)
        now = time.monotonic()
        for rep in status.reps[seen:]:
            reps.append({"rep": rep.rep, "start_s": rep.start_s, "end_s": rep.end_s,
                         "emitted_s": rep.emitted_s, "flags": list(rep.flags), "screen_mono": now})
        if (status.elapsed_s > 0 or cpu) and now - cpu.get("last", [-1.0])[0] >= 0.5:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            point = [now, usage.ru_utime + usage.ru_stime]
            cpu.setdefault("first", point)
            cpu["last"] = point

    ble_source.BleSource.__init__ = hooked_init
    view.LiveView.update = hooked_update
    try:
        return main(argv)
    finally:
        origin = sources[0].origin_s if sources else None
        Path(events_path).write_text(json.dumps({"origin_mono": origin, "reps": reps, "cpu": cpu}))


# --------------------------------------------------------------------------- emulated sensors


def session_samples(seed: int, rate_hz: float, session_s: float):
    """Per sensor: (time_s, acc int16, gyr int16) of a simulated session without transport faults."""
    from bluez.body import measured_session

    streams, _ = measured_session(seed, ("pelvis", "thorax"), rate_hz=rate_hz, duration_s=session_s)
    return {label: (s.time_s, *s.raw()) for label, s in streams.items()}


def witmotion_notes(time_s, acc_raw, gyr_raw, rate_hz):
    """One frame per notification, sent at its sample time (as WitMotion units do)."""
    from imuhinge.protocols import witmotion

    return [(float(time_s[i]), witmotion.encode_frame(tuple(acc_raw[i]), tuple(gyr_raw[i]), (0, 0, 0)))
            for i in range(len(acc_raw))]


def v1_notes(time_s, acc_raw, gyr_raw, rate_hz):
    """``PER_PACKET`` samples per notification, sent when the last of them is sampled."""
    from imuhinge.protocols import imuhinge_v1

    period_us = round(1e6 / rate_hz)
    notes = []
    for k in range(len(acc_raw) // PER_PACKET):
        rows = slice(k * PER_PACKET, (k + 1) * PER_PACKET)
        packet = imuhinge_v1.encode_packet(imuhinge_v1.Packet(
            sequence=k % imuhinge_v1.SEQUENCE_MODULUS, device_time_us=k * PER_PACKET * period_us,
            period_us=period_us, acc_range_g=16, gyr_range_dps=2000, acc_raw=acc_raw[rows],
            gyr_raw=gyr_raw[rows], flags=imuhinge_v1.FLAG_STREAM_START if k == 0 else 0,
        ))
        notes.append((float(time_s[rows.stop - 1]), packet))
    return notes


def device(protocol: str, name: str, address: str, notes):
    from bluez.emulator import CharSpec, DeviceSpec, ServiceSpec

    from imuhinge.protocols import imuhinge_v1, witmotion

    if protocol == "witmotion":
        return DeviceSpec(name=name, address=address, rssi=-52, service_uuids=[witmotion.SERVICE_UUID],
                          services=[ServiceSpec(witmotion.SERVICE_UUID, [
                              CharSpec(witmotion.NOTIFY_UUID, ("notify",), source=notes),
                              CharSpec(witmotion.WRITE_UUID, ("write", "write-without-response")),
                          ])])
    return DeviceSpec(name=name, address=address, rssi=-61, service_uuids=[imuhinge_v1.SERVICE_UUID],
                      services=[ServiceSpec(imuhinge_v1.SERVICE_UUID, [
                          CharSpec(imuhinge_v1.DATA_UUID, ("notify",), source=notes),
                          CharSpec(imuhinge_v1.CONTROL_UUID, ("write", "notify")),
                      ])])


def samples_sent(emu, protocol: str, address: str) -> int:
    from imuhinge.protocols import imuhinge_v1, witmotion

    if protocol == "witmotion":
        return sum(len(n) // witmotion.FRAME_BYTES for n in emu.sent(address, witmotion.NOTIFY_UUID))
    return sum(len(imuhinge_v1.decode_packet(n).acc_raw) for n in emu.sent(address, imuhinge_v1.DATA_UUID))


# --------------------------------------------------------------------------- measurement


AGREEMENT = re.compile(r"agreed with the end-of-session analysis on (\d+) of (\d+) reps "
                       r"\(live found (\d+), matched (\d+)\)")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def overlap_agreement(live: list[dict], offline: list[dict]) -> tuple[int, int]:
    """(matched, agreed), matched greedily by overlap as imuhinge.live.agreement does."""
    pairs = sorted(((max(0.0, min(l["end_s"], o["end_s"]) - max(l["start_s"], o["start_s"])), i, j)
                    for i, l in enumerate(live) for j, o in enumerate(offline)), reverse=True)
    used_l, used_o, agreed, matched = set(), set(), 0, 0
    for shared, i, j in pairs:
        if shared <= 0:
            break
        if i in used_l or j in used_o:
            continue
        used_l.add(i)
        used_o.add(j)
        matched += 1
        agreed += set(live[i]["flags"]) == set(offline[j].get("flags") or [])
    return matched, agreed


def measure(args, seed: int) -> dict | None:
    """One session through the emulated BlueZ; None (after printing why) if the run failed."""
    sys.path.insert(0, str(ROOT / "tests"))
    from bluez.emulator import BluezEmulator, OnSharedClock, PrivateBus, SharedClock

    from imuhinge.recording import read_recording

    samples = session_samples(seed, args.rate_hz, args.session_s)
    protocols = {"pelvis": args.pelvis_protocol, "thorax": "imuhinge-v1"}
    addresses = {"pelvis": PELVIS_ADDRESS, "thorax": THORAX_ADDRESS}
    names = {"pelvis": "WT901BLE67" if args.pelvis_protocol == "witmotion" else "imuhinge-S2",
             "thorax": "imuhinge-T12"}
    build = {"witmotion": witmotion_notes, "imuhinge-v1": v1_notes}
    body_clock = SharedClock()  # both sensors are on one body: a late subscriber skips ahead
    specs = [device(protocols[label], names[label], addresses[label],
                    OnSharedClock(build[protocols[label]](*samples[label], args.rate_hz), body_clock))
             for label in ("pelvis", "thorax")]

    work = Path(args.keep) / f"seed{seed}" if args.keep else Path(tempfile.mkdtemp(prefix="imuhinge-live-ble-"))
    work.mkdir(parents=True, exist_ok=True)
    out, out_json, events, screen = work / "rec.csv", work / "out.json", work / "events.json", work / "screen.txt"
    for stale in (out, out_json, events, screen):  # a kept folder from an earlier run
        stale.unlink(missing_ok=True)
    duration_s = args.session_s + args.extra_s
    argv = ["live", "--pelvis", PELVIS_ADDRESS, "--thorax", THORAX_ADDRESS, "--rate-hz", f"{args.rate_hz:g}",
            "--duration", f"{duration_s:g}", "--out", str(out), "--json", str(out_json)]

    with PrivateBus() as bus, BluezEmulator(bus.address, specs) as emu:
        env = dict(os.environ, **bus.env(), TTY_COMPATIBLE="1", COLUMNS="80", LINES="24")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        with open(screen, "wb") as screen_file:
            started = time.monotonic()
            proc = subprocess.Popen([sys.executable, __file__, "--child", str(events), "--", *argv],
                                    stdout=screen_file, stderr=subprocess.STDOUT, env=env, cwd=work)
            watchdog = threading.Timer(duration_s + 180, proc.kill)
            watchdog.start()
            _, status, usage = os.wait4(proc.pid, 0)
            wall_s = time.monotonic() - started
            watchdog.cancel()
            proc.returncode = os.waitstatus_to_exitcode(status)
        sent = {label: samples_sent(emu, protocols[label], addresses[label]) for label in addresses}

    printed = ANSI.sub("", screen.read_text(errors="replace"))
    flat = " ".join(printed.split())  # rich wraps lines at 80 columns
    if proc.returncode != 0:
        print(printed[-3000:])
        print(f"imuhinge live exited with status {proc.returncode}; files in {work}")
        return None

    recording = read_recording(out)
    in_csv = {label: len(recording.streams[label].time_s) for label in addresses}
    ev = json.loads(events.read_text())
    live = ev["reps"]
    offline = json.loads(out_json.read_text())["reps"]
    found = AGREEMENT.search(flat)
    agreed, offline_n, live_n, matched = map(int, found.groups()) if found else (0, len(offline), len(live), 0)
    check_matched, check_agreed = overlap_agreement(live, offline)

    origin = ev["origin_mono"]
    wall_lat = np.array([r["screen_mono"] - (origin + r["end_s"]) for r in live]) if origin is not None else np.array([])
    sess_lat = np.array([r["emitted_s"] - r["end_s"] for r in live])
    cpu_total = 100.0 * (usage.ru_utime + usage.ru_stime) / wall_s
    first, last = ev["cpu"].get("first"), ev["cpu"].get("last")
    cpu_stream = 100.0 * (last[1] - first[1]) / (last[0] - first[0]) if first and last and last[0] > first[0] else float("nan")

    return {
        "seed": seed, "sent": sent, "in_csv": in_csv, "live_n": live_n, "offline_n": offline_n,
        "matched": matched, "agreed": agreed, "check": (check_matched, check_agreed), "found": bool(found),
        "wall_lat": wall_lat, "sess_lat": sess_lat, "cpu_total": cpu_total, "cpu_stream": cpu_stream,
        "wall_s": wall_s, "live": live, "work": work, "protocols": protocols, "duration_s": duration_s,
    }


def _pct(a, q):
    return float(np.percentile(a, q)) if len(a) else float("nan")


def report(args, results: list[dict]) -> None:
    """One table over every seed: counts summed, latencies pooled, CPU averaged over seeds."""
    sent = {label: sum(r["sent"][label] for r in results) for label in ("pelvis", "thorax")}
    in_csv = {label: sum(r["in_csv"][label] for r in results) for label in ("pelvis", "thorax")}
    lost_total = sum(sent.values()) - sum(in_csv.values())
    live_n, offline_n, matched, agreed = (sum(r[k] for r in results) for k in ("live_n", "offline_n", "matched", "agreed"))
    wall_lat = np.concatenate([r["wall_lat"] for r in results])
    sess_lat = np.concatenate([r["sess_lat"] for r in results])
    cpu_total = float(np.mean([r["cpu_total"] for r in results]))
    cpu_stream = float(np.mean([r["cpu_stream"] for r in results]))
    worst_cpu = max(r["cpu_total"] for r in results)
    agree_pct = 100.0 * agreed / offline_n if offline_n else float("nan")
    rows = [
        ("samples sent (pelvis / thorax)", f"{sent['pelvis']:,} / {sent['thorax']:,}", ""),
        ("samples in CSV (pelvis / thorax)", f"{in_csv['pelvis']:,} / {in_csv['thorax']:,}", ""),
        ("samples lost in the program", f"{lost_total:,}", TARGETS["lost"]),
        ("reps live / offline / matched", f"{live_n} / {offline_n} / {matched}", ""),
        ("live verdicts agreeing", f"{agreed} of {offline_n} = {agree_pct:.1f} %", TARGETS["agree"]),
        ("latency on screen p50 / p95 (s)", f"{_pct(wall_lat, 50):.3f} / {_pct(wall_lat, 95):.3f}", TARGETS["p95"]),
        ("  (session time p50 / p95, s)", f"{_pct(sess_lat, 50):.3f} / {_pct(sess_lat, 95):.3f}", ""),
        ("CPU, whole process (% of 1 core)", f"{cpu_total:.1f} % (worst {worst_cpu:.1f} %)", TARGETS["cpu"]),
        ("CPU, streaming part (% of 1 core)", f"{cpu_stream:.1f} %", TARGETS["cpu"]),
    ]
    first = results[0]
    seeds = ", ".join(str(r["seed"]) for r in results)
    print(f"imuhinge live over emulated BlueZ: seeds {seeds}, deadlift, {args.session_s:g} s sent each, "
          f"2 sensors at {args.rate_hz:g} Hz (pelvis {first['protocols']['pelvis']}, thorax "
          f"{first['protocols']['thorax']}), --duration {first['duration_s']:g}")
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"{'':{width}}  {'measured':>{vwidth}}  target")
    for name, value, target in rows:
        print(f"{name:{width}}  {value:>{vwidth}}  {target}")
    for r in results:
        if r["check"] != (r["matched"], r["agreed"]):
            print(f"note: seed {r['seed']}: recomputed from the JSON: matched {r['check'][0]}, agreed {r['check'][1]}")
        if not r["found"]:
            print(f"note: seed {r['seed']}: no agreement line was printed")
        print(f"seed {r['seed']} per rep (live): " + ", ".join(
            f"#{rep['rep']} end {rep['end_s']:.1f}s +{w:.3f}s{' ' + ','.join(rep['flags']) if rep['flags'] else ''}"
            for rep, w in zip(r["live"], r["wall_lat"])))
        if args.keep:
            print(f"seed {r['seed']} files: {r['work']}")


def run(args) -> int:
    results = []
    for seed in args.seeds:
        result = measure(args, seed)
        if result is None:
            return 1
        results.append(result)
    report(args, results)
    return 0


def _seeds(text: str) -> list[int]:
    """'4-6' or '4,5,9' or '1000' -> a list of seeds."""
    seeds = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        seeds += list(range(int(first), int(last or first) + 1))
    return seeds


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(sys.argv[2], sys.argv[4:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=_seeds, default=[1000],
                        help="simulated sessions, e.g. 4-6 (report on 1-999; default 1000, a training seed)")
    parser.add_argument("--session-s", type=float, default=60.0, help="seconds of simulated session sent")
    parser.add_argument("--rate-hz", type=float, default=200.0)
    parser.add_argument("--pelvis-protocol", default="witmotion", choices=("witmotion", "imuhinge-v1"),
                        help="the thorax is always imuhinge-v1 (default witmotion)")
    parser.add_argument("--extra-s", type=float, default=5.0,
                        help="--duration is the session plus this (the thorax starts a little later)")
    parser.add_argument("--keep", metavar="DIR", help="keep the recording, JSON, events and screen here")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
