"""How long a wide network or a large batch holds the window (the longest stall of its event loop).

    QT_QPA_PLATFORM=offscreen python benchmarks/large_inputs.py                  # about two minutes
    QT_QPA_PLATFORM=offscreen python benchmarks/large_inputs.py --compare DIR    # and the checkout in DIR

A student may try what a lab exercise never does: a hidden layer of 4,096 neurons, a data set of
50,000 rows trained in one full batch, an exercise of such a network. Each scenario runs the real
window (``build_window``) in a subprocess of its own and does what a user would, one action at a time:
a step, bringing a panel to the front, resizing the window, opening a file. For each action it prints
the time the call took (the window is held for all of it) and the longest gap between two ticks of a
5 ms timer from the call until the window has settled (the walkthrough written out, the plots drawn):
the longest the window did not answer. A scenario that does not finish within ``--timeout`` seconds is
stopped and says so.

The peer is the same actions on the 2-2-1 XOR network of the default project, in the same run. With
``--compare DIR`` every scenario also runs on the checkout in DIR (e.g. ``git worktree add /tmp/old
COMMIT``), taking turns with this one, so that before and after are measured on the same machine at
the same time. The actions use only what both checkouts have.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: the child: builds the window, runs the scenario's actions, prints one JSON line per action
CHILD = r"""
import json, os, sys, tempfile, time
os.environ["BPSTUDIO_NO_RESTORE"] = "1"
import numpy as np
from dataclasses import replace
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox
from bpstudio.app.launch import build_window, make_app
from bpstudio.engine import edits as ed

scenario, width = sys.argv[1], int(sys.argv[2])
said = []
for name in ("warning", "information", "critical"):
    setattr(QMessageBox, name, staticmethod(lambda _p, title, text, *a, **k: said.append(title)))
QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)
app = make_app()
w = build_window()
w.resize(1280, 800)
w.show()
app.processEvents()
s = w.session
init = ed.Initial("uniform", {"r": 0.5}, 0)
longest, last = [0.0], [time.perf_counter()]

def tick():
    now = time.perf_counter()
    longest[0] = max(longest[0], now - last[0])
    last[0] = now

timer = QTimer()
timer.timeout.connect(tick)
timer.start(5)

def idle():
    panel = w.teaching.panel
    return getattr(panel, "_job", None) is None

def act(label, fn, settle=2.0, most=60.0):
    # the call (the window held throughout), then events until idle and `settle` s more
    before = len(said)
    t = time.perf_counter()
    fn()
    call = time.perf_counter() - t
    longest[0], last[0] = call, time.perf_counter()
    end = time.perf_counter() + most
    quiet = None
    while time.perf_counter() < end:
        app.processEvents()
        if idle():
            quiet = quiet or time.perf_counter()
            if time.perf_counter() - quiet > settle:
                break
        else:
            quiet = None
    print(json.dumps({"action": label, "call_s": round(call, 3), "stall_ms": round(1000 * longest[0]),
                      "said": said[before:]}), flush=True)

def dock(name):
    d = w.docks[name]
    d.show()
    d.raise_()

if scenario.startswith("wide"):
    if width:
        s.edit_network("wide", lambda n: ed.resize_layer(n, 1, width, init), structural=True)
    act("step (walkthrough behind the table)", s.step_sample)
    act("walkthrough to the front", w.teaching.show_walkthrough)
    act("step (walkthrough in front)", s.step_sample)
    act("resize the window", lambda: w.resize(1200, 780))
    act("decision boundary to the front", lambda: dock("boundaryDock"))
    act("step (boundary in front)", s.step_sample)
elif scenario.startswith("batch"):
    n = max(width, 4)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(n, 2))
    T = (X[:, 0] * X[:, 1] > 0).astype(float)
    path = os.path.join(tempfile.mkdtemp(), "big.csv")
    np.savetxt(path, np.column_stack([X, T]), delimiter=",", header="x1,x2,t", comments="", fmt="%.5f")
    spec = {"file": path, "format": "csv", "target": "t"}
    act(f"open a data set of {n:,} rows", lambda: s.set_dataset(spec))
    s.set_config(replace(s.config, batch_mode="full"))
    act("step the full batch", s.step_batch)
    act("walkthrough to the front", w.teaching.show_walkthrough)
    act("step (walkthrough in front)", s.step_batch)
    act("decision boundary to the front", lambda: dock("boundaryDock"))
elif scenario.startswith("exercise"):
    import copy
    from bpstudio.teaching.exercise import Exercise, save_exercise

    if width:
        s.edit_network("wide", lambda n: ed.resize_layer(n, 1, width, init), structural=True)
    s.sync_project()
    project = copy.copy(s.project)
    project.network = s.project.network.copy()
    path = os.path.join(tempfile.mkdtemp(), "x.bpx.json")
    save_exercise(path, Exercise(project=project, title="every quantity"))
    act("open the exercise", lambda: w.documents.open_path(path, ask=False), most=600.0)
"""


def run(checkout: Path, scenario: str, width: int, timeout: float) -> list[dict]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(checkout))
    env["HOME"] = env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="bpstudio-bench-")
    try:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, scenario, str(width)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=tempfile.gettempdir(),
        )
    except subprocess.TimeoutExpired as exc:
        done = [json.loads(x) for x in (exc.stdout or b"").decode().splitlines() if x.startswith("{")]
        return [*done, {"action": f"(stopped after {timeout:.0f} s)", "call_s": None, "stall_ms": None}]
    rows = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    if out.returncode != 0:
        rows.append({"action": f"(failed: {out.stderr.strip().splitlines()[-1:]})", "call_s": None})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--compare", type=Path, help="another checkout, run taking turns with this one")
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds a scenario may take")
    args = ap.parse_args(argv)
    trees = {"this": ROOT}
    if args.compare:
        trees = {"other": args.compare.resolve(), "this": ROOT}
    scenarios = [
        ("wide 2-2-1 (peer)", 0),
        ("wide 2-4096-1", 4096),
        ("batch of 4 (peer)", 4),
        ("batch of 50,000", 50_000),
        ("exercise 2-2-1 (peer)", 0),
        ("exercise 2-4096-1", 4096),
    ]
    load = os.getloadavg()[0]
    print(f"load average {load:.2f}; checkouts: {', '.join(f'{k} = {v}' for k, v in trees.items())}\n")
    print("| scenario | action | " + " | ".join(f"{k}: call, longest stall" for k in trees) + " |")
    print("|---|---|" + "---:|" * len(trees))
    for scenario, width in scenarios:
        results = {k: run(tree, scenario, width, args.timeout) for k, tree in trees.items()}
        actions = max(results.values(), key=len)
        for i, row in enumerate(actions):
            cells = []
            for k in trees:
                r = results[k][i] if i < len(results[k]) else None
                if r is None or r.get("call_s") is None:
                    cells.append(r["action"] if r is not None else "—")
                else:
                    note = f" ({', '.join(r['said'])})" if r.get("said") else ""
                    cells.append(f"{r['call_s']:.2f} s, {r['stall_ms']:,} ms{note}")
            print(f"| {scenario} | {row['action']} | " + " | ".join(cells) + " |", flush=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
