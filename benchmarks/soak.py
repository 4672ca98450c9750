"""A long random-use soak of the studio window (issue 13.15): ≥ 50,000 actions while training runs.

    QT_QPA_PLATFORM=offscreen python benchmarks/soak.py [--actions 50000] [--seed 7]
                                                        [--no-training] [--autosave SECONDS]

The same monkey as tests/test_app_monkey.py (tests/monkey.py), with every dialog answered at once.
Prints the actions by kind, the share of actions taken while a run was going, the slowest action,
the Python exceptions, Qt warnings (other than the offscreen platform's own) and Python warnings seen,
and the peak memory; exits 1 on any exception, warning or action over 2 s. Figures go in docs/benchmarks.md.
``--no-training`` leaves the window idle between clicks (the monkey keeps no run going), and
``--autosave 0.2`` copies unsaved work every 0.2 s instead of every minute: together they exercise
the autosave (``bpstudio/app/recovery.py``), which makes no copy while a run trains.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import traceback
import warnings as warnings_module
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BPSTUDIO_NO_RESTORE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class _Patch:
    """What pytest's monkeypatch does, for a script."""

    def setattr(self, obj, name, value) -> None:
        setattr(obj, name, value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--actions", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-training", action="store_true", help="the monkey does not keep a run going")
    ap.add_argument(
        "--autosave", type=float, default=None, metavar="SECONDS", help="copy unsaved work this often"
    )
    args = ap.parse_args(argv)
    if args.autosave is not None:
        from bpstudio.app import recovery

        recovery.AUTOSAVE_SECONDS = args.autosave

    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    from bpstudio.app.launch import make_app
    from tests.monkey import Monkey, answer_everything

    app = make_app()
    warnings: list[str] = []
    errors: list[str] = []

    def on_message(kind, _context, message) -> None:
        if kind != QtMsgType.QtDebugMsg and "This plugin does not support" not in message:
            warnings.append(message)

    qInstallMessageHandler(on_message)
    sys.excepthook = lambda *exc: errors.append("".join(traceback.format_exception(*exc)))
    py_warnings: set[str] = set()  # Python warnings (e.g. NumPy's RuntimeWarning), once per place
    warnings_module.simplefilter("always")

    def on_warning(message, category, filename, lineno, *_rest) -> None:
        # where in bpstudio it came from (a NumPy warning is raised deep inside NumPy)
        ours = [f for f in traceback.extract_stack()[:-1] if "/bpstudio/" in f.filename]
        where = f" (from {ours[-1].filename.split('/bpstudio/')[-1]}:{ours[-1].lineno})" if ours else ""
        py_warnings.add(f"{filename}:{lineno}: {category.__name__}: {message}{where}")

    warnings_module.showwarning = on_warning
    answer_everything(_Patch())
    from bpstudio.app.main_window import MainWindow

    window = MainWindow()
    window.show()
    app.processEvents()
    start = time.perf_counter()
    report = Monkey(window, args.seed, training=not args.no_training).run(args.actions)
    elapsed = time.perf_counter() - start
    window.training.shutdown()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.actions:,} actions in {elapsed:.0f} s (seed {args.seed}); running {report.running_share:.0%}"
    )
    print("by kind: " + ", ".join(f"{k} {n:,}" for k, n in report.actions.most_common()))
    print(f"slowest action: {report.slowest * 1000:.0f} ms ({report.slowest_action})")
    print(f"autosaved copies: {window.autosaver.copies}")
    print(
        f"peak memory: {peak:.0f} MB; exceptions: {len(errors)}; Qt warnings: {len(warnings)}; "
        f"Python warnings (distinct places): {len(py_warnings)}"
    )
    kinds: dict[str, int] = {}
    for text in errors:  # each distinct exception (its last line) once, with its count
        last = text.strip().splitlines()[-1]
        kinds[last] = kinds.get(last, 0) + 1
    for last, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
        first = next(t for t in errors if t.strip().splitlines()[-1] == last)
        print(f"{n} × {last}\n{first.strip()[-1500:]}")
    for text in warnings[:5] + sorted(py_warnings)[:5]:
        print(text.strip()[:2000])
    return 1 if errors or warnings or py_warnings or report.slowest > 2.0 else 0


if __name__ == "__main__":
    raise SystemExit(main())
