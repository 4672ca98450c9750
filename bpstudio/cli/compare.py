"""``bpstudio compare``: runs side by side, headless (issue 15.3).

bpstudio compare PROJECT [--run "NAME: key=value, ..."]... [--epochs N] [--out PROJECT] [--csv CURVES.csv]

Each ``--run`` makes a run from the project's network and settings with the changes it names
(optimiser, lr, batch_mode, batch_size, activation, seed; see :mod:`bpstudio.compare`); without any,
the runs stored in the project are trained on. Every run trains ``--epochs`` more epochs on the
project's data; a table of the runs goes to stdout, and ``--out`` writes the project with its runs,
``--csv`` every run's loss and accuracy per epoch.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

from ..compare import CHANGES, MAX_RUNS, describe, new_run, train_run
from ..engine import DivergenceError
from ..formats import save_project
from ..formats.io import write_bytes_atomic
from ..workspace import trainer_for, update_project
from .common import CliError, Command, open_project

NAMES = "ABCD"


def parse_run(text: str, default_name: str) -> tuple[str, dict[str, Any]]:
    """``"NAME: key=value, key=value"`` (or without ``NAME:``) → (name, changes as text values)."""
    name, sep, rest = text.partition(":")
    if not sep or "=" in name:
        name, rest = default_name, text
    changes: dict[str, Any] = {}
    for part in rest.split(","):
        part = part.strip()
        if not part:
            continue
        key, eq, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not value:
            raise CliError(f"--run: write key=value, not {part[:40]!r}")
        if key not in CHANGES:
            raise CliError(f"--run: {key[:40]!r} cannot change; choose from {', '.join(CHANGES)}")
        try:
            changes[key] = (
                float(value) if key == "lr" else int(value) if key in ("batch_size", "seed") else value
            )
        except ValueError:
            raise CliError(f"--run: {key} needs a number, not {value[:40]!r}") from None
    return name.strip() or default_name, changes


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (*.bps.json)")
    p.add_argument(
        "--run",
        dest="runs",
        action="append",
        default=[],
        metavar='"NAME: key=value, ..."',
        help=f"a run with these changes ({', '.join(CHANGES)}); up to {MAX_RUNS}. "
        "Without any, the project's stored runs are trained",
    )
    p.add_argument("--epochs", type=int, default=100, help="epochs each run trains (default 100)")
    p.add_argument("--out", help="write the project with its runs to this file")
    p.add_argument("--csv", help="write every run's loss and accuracy per epoch to this CSV file")


def _run(args: argparse.Namespace) -> int:
    project = open_project(args.project)
    base_dir = Path(args.project).resolve().parent
    if args.epochs < 0:
        raise CliError("--epochs: must be 0 or more")
    if len(args.runs) > MAX_RUNS:
        raise CliError(f"--run: at most {MAX_RUNS} runs")
    trainer, _ = trainer_for(project, base_dir)  # the data fit and the input transform is stored
    update_project(project, trainer)
    if args.runs:
        runs = []
        for i, text in enumerate(args.runs):
            name, changes = parse_run(text, f"Run {NAMES[i]}")
            if any(r.name == name for r in runs):
                raise CliError(f"--run: two runs are named {name[:40]!r}")
            runs.append(new_run(project, name, changes))
        project.runs = runs
    if not project.runs:
        raise CliError("no runs: name some with --run (the project stores none)")
    trained, problems = [], {}
    for run in project.runs:
        try:
            trained.append(train_run(project, run, args.epochs, base_dir=base_dir))
        except DivergenceError as exc:
            problems[run.name] = str(exc)
            trained.append(run)
    project.runs = trained
    rows = [("run", "changes", "epochs", "training loss", "accuracy")]
    for run in trained:
        h = run.history
        loss = h.loss["train"][-1] if h is not None and h.loss["train"] else None
        acc = h.accuracy["train"][-1] if h is not None and h.accuracy["train"] else None
        rows.append(
            (
                run.name,
                describe(run.changes) or "the project's settings",
                str(h.epochs[-1] if h is not None and h.epochs else 0),
                "–" if loss is None else f"{loss:.6g}",
                "–" if acc is None else f"{acc:.1%}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(t.ljust(w) if i < 2 else t.rjust(w) for i, (t, w) in enumerate(zip(r, widths))))
    for name, why in problems.items():
        print(f"bpstudio: {name}: {why}", file=sys.stderr)
    if args.csv:
        write_bytes_atomic(args.csv, _curves_csv(trained).encode("utf-8"))
    if args.out:
        save_project(args.out, project)
        print(f"wrote {args.out} with {len(trained)} runs", file=sys.stderr)
    return 1 if problems else 0


def _curves_csv(runs) -> str:
    """One row per run and epoch: run, epoch, training loss, validation loss, training accuracy."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["run", "epoch", "train_loss", "val_loss", "train_accuracy"])
    for run in runs:
        h = run.history
        if h is None:
            continue
        for i, epoch in enumerate(h.epochs):
            cells = [h.loss["train"][i], h.loss["val"][i], h.accuracy["train"][i]]
            w.writerow([run.name, epoch, *("" if c is None else repr(float(c)) for c in cells)])
    return out.getvalue()


COMMANDS = (
    Command(
        "compare",
        "train variants of a project's settings side by side from the same start and compare them",
        _configure,
        _run,
    ),
)
