"""What the autosave (bpstudio/app/recovery.py) costs the window, over the network's size.

    QT_QPA_PLATFORM=offscreen python benchmarks/autosave.py [--repeat 5] [--sizes 2-2-1,784-100-10,...]

For each network (random weights on 50 random samples, inline) the window's autosaver copies the
project ``--repeat`` times. Reported, as medians (worst): the time the GUI thread spends in the
autosave's tick (bringing the project up to date and turning it into a document), the time until
the copy is on disk (encoding, checking and writing run in a thread), and the longest turn of the
event loop while that thread runs, against the longest turn over the same time without a copy being
written (the peer, measured right before each copy). Nothing in the window is animating, so both
longest turns are small unless the copy holds the event loop up.

``--lock`` measures instead how long each step of writing a 784-1000-10 project in a thread keeps
the main thread waiting (for Python's interpreter lock): encoding, parsing the text back, checking
the document.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BPSTUDIO_NO_RESTORE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_SIZES = "2-2-1,64-30-10,784-100-10,784-300-10,784-1000-10"


def turns(app, seconds: float, until=None) -> float:
    """The longest turn of the event loop over ``seconds`` (or until ``until()`` is true)."""
    longest, end = 0.0, time.perf_counter() + seconds
    while (until is None and time.perf_counter() < end) or (until is not None and not until()):
        t0 = time.perf_counter()
        app.processEvents()
        longest = max(longest, time.perf_counter() - t0)
        time.sleep(0.001)
    return longest


def lock_probe() -> int:
    """Each step of a copy in a thread, and the longest the main thread waits meanwhile."""
    import threading

    from bpstudio.engine import Network
    from bpstudio.formats import Project, project_to_dict
    from bpstudio.formats.io import encode_json, parse_json
    from bpstudio.formats.project import PROJECT

    net = Network.create([784, 1000, 10], "sigmoid", init="uniform", init_params={"r": 0.5}, seed=0)
    doc = project_to_dict(Project(network=net))
    payload = encode_json(doc)
    print(f"load average {os.getloadavg()[0]:.2f}; a {len(payload) / 1e6:.1f} MB project")
    steps = {
        "encode": lambda: encode_json(doc),
        "parse the text back": lambda: parse_json(payload),
        "check the document": lambda: PROJECT.decode(doc),
    }
    for name, step in steps.items():
        done = threading.Event()
        worker = threading.Thread(target=lambda step=step, done=done: (step(), done.set()))
        t0 = last = time.perf_counter()
        worker.start()
        longest = 0.0
        while not done.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now
        worker.join()
        took = (time.perf_counter() - t0) * 1000
        print(f"{name}: {took:.0f} ms, the main thread waited at most {longest * 1000:.0f} ms")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default=DEFAULT_SIZES)
    ap.add_argument("--lock", action="store_true", help="the interpreter lock held by each step instead")
    args = ap.parse_args(argv)
    if args.lock:
        return lock_probe()
    home = tempfile.mkdtemp(prefix="bpstudio-autosave-")
    os.environ["XDG_DATA_HOME"] = str(Path(home) / "data")
    os.environ["XDG_CONFIG_HOME"] = str(Path(home) / "config")

    import numpy as np

    from bpstudio.app.launch import build_window, make_app
    from bpstudio.engine import edits as ed

    app = make_app()
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("| network | parameters | copy | GUI thread | until on disk | longest turn: writing | peer |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for text in args.sizes.split(","):
        sizes = [int(x) for x in text.split("-")]
        window = build_window()
        window.show()
        s = window.session
        init = ed.Initial("uniform", {"r": 0.5}, 0)

        def edit(net, sizes=sizes, init=init):
            for layer, n in enumerate(sizes):
                ed.resize_layer(net, layer, n, init)

        s.edit_network("size", edit, structural=True)
        rng = np.random.default_rng(0)
        x = rng.random((50, sizes[0]))
        y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], 50)]
        assert s.set_dataset({"inline": {"inputs": x.tolist(), "targets": y.tolist()}})
        turns(app, 3.0)  # the window settles (the table, walkthrough and canvas of the new network)
        saver = window.autosaver
        gui, disk, busy, idle = [], [], [], []
        for _ in range(args.repeat):
            saver._pending = True
            t0 = time.perf_counter()
            saver.tick()
            gui.append(time.perf_counter() - t0)
            busy.append(turns(app, 0, until=lambda saver=saver: saver._writer is None))
            disk.append(saver.last_duration)
            idle.append(turns(app, max(saver.last_duration, 0.05)))
        size = saver.file("project").stat().st_size

        def ms(values: list[float]) -> str:
            return f"{statistics.median(values) * 1000:.0f} ms ({max(values) * 1000:.0f})"

        print(
            f"| {text} | {s.network.n_parameters():,} | {size / 1e6:.1f} MB | {ms(gui)} | {ms(disk)} | "
            f"{ms(busy)} | {ms(idle)} |",
            flush=True,
        )
        s.save(Path(home) / "saved.bps.json")  # saved: the window closes without asking
        window.close()
        window.deleteLater()
        turns(app, 0.2)
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
