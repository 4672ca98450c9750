"""Sub-commands on a project's model: ``train``, ``trace``, ``gradcheck`` and ``export-weights``.

bpstudio train PROJECT --epochs N --out OUT [--dtype float32] [--train-eval all]
               [--dataset NAME | --data FILE ...]
bpstudio trace PROJECT --samples 0,1 --out TRACE.json [--notation error_signal]
bpstudio export-weights PROJECT --out WEIGHTS
bpstudio gradcheck PROJECT [--samples 0-9] [--eps 1e-6] [--tolerance 1e-5] [--out CHECK.csv]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..data import DataError, describe_transform
from ..engine import CONVENTIONS, DTYPES, TRAIN_EVALS, TrainingRefused, check_parameters
from ..engine.gradcheck import TOLERANCE
from ..formats import save_project, save_weights, write_json_atomic
from ..formats.io import write_bytes_atomic
from ..teaching.gradcheck import COLUMNS as GRAD_COLUMNS
from ..teaching.gradcheck import report_csv, summary, table_rows
from ..teaching.notation import PRESETS, Notation
from ..workspace import input_transform_for, trainer_for, update_project
from .common import CliError, Command, ProgressBar, open_project, parse_samples
from .data import add_train_data_options, apply_train_data_options


# ---------------------------------------------------------------------------- train
def _configure_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (*.bps.json)")
    p.add_argument("--epochs", type=int, help="epochs to train (default: the project's setting)")
    p.add_argument("--out", required=True, help="where to write the trained project")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--dtype",
        choices=DTYPES,
        help="the arithmetic of the run: float64 (exact) or float32 (about twice as fast on large "
        "networks; the weights are rounded to float32); saved in the written project. Default: the "
        "project's setting",
    )
    p.add_argument(
        "--train-eval",
        choices=TRAIN_EVALS,
        help="the training loss and accuracy after each epoch: auto (every sample; a training set of "
        "more than 4,096 samples on a fixed evenly spaced subsample of at least 1,024) or all (every "
        "sample, however many); saved in the written project. Default: the project's setting",
    )
    add_train_data_options(p)


def _run_train(args: argparse.Namespace) -> int:
    project = open_project(args.project)
    apply_train_data_options(project, args)
    if args.dtype is not None:
        project.training.dtype = args.dtype
    if args.train_eval is not None:
        project.training.train_eval = args.train_eval
    trainer, _ = trainer_for(project, Path(args.project).resolve().parent)
    epochs = project.training.epochs if args.epochs is None else args.epochs
    if epochs < 0:
        raise CliError("--epochs: must be 0 or more")
    bar = None if args.quiet else ProgressBar(epochs)
    try:
        result = trainer.run(epochs=epochs, callback=bar)
    finally:
        if bar is not None:
            bar.close()
    update_project(project, trainer)
    save_project(args.out, project)
    h = trainer.history
    final = h.loss["train"][-1] if h.loss["train"] else None
    acc = h.accuracy["train"][-1] if h.accuracy["train"] else None
    msg = f"trained {result.epochs} epochs ({result.steps} updates, stopped: {result.reason})"
    if final is not None:
        msg += f"; training loss {final:.6g}"
        if trainer.train_eval_size < trainer.n_train:
            msg += f" (on {trainer.train_eval_size:,} of its {trainer.n_train:,} samples)"
    if acc is not None:
        msg += f", accuracy {acc:.1%}"
    print(msg + f"; wrote {args.out}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------- trace
def _configure_trace(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (*.bps.json)")
    p.add_argument("--samples", default="0", help="training-set sample numbers, e.g. 0,1 or 0-3 (default 0)")
    p.add_argument("--out", required=True, help="where to write the trace JSON ('-' for stdout)")
    p.add_argument(
        "--notation",
        choices=[*CONVENTIONS, *PRESETS],
        default=None,
        help="gradient: δ = ∂E/∂z; error_signal: Δ = (t − o)·f′(z) = −δ; or a course's preset (its "
        "convention). Default: the project's notation",
    )


def _run_trace(args: argparse.Namespace) -> int:
    project = open_project(args.project)
    samples = parse_samples(args.samples)
    trainer, _ = trainer_for(project, Path(args.project).resolve().parent)
    try:
        trainer.check_trainable()
        forward_only = False
        trace = trainer.trace_samples(samples)
    except TrainingRefused as exc:  # e.g. step units: the forward pass and the loss still say much
        forward_only = True
        print(f"bpstudio: note: a forward pass only: {exc}", file=sys.stderr)
        trace = trainer.begin_step(samples).run_until("loss")
    data = {"format": "bpstudio-trace", "version": 1, "project": str(args.project)}
    convention = Notation.from_view(project.view).convention
    if args.notation in PRESETS:
        convention = PRESETS[args.notation].notation.convention
    elif args.notation is not None:
        convention = args.notation
    data.update(trace.to_dict(convention))
    data["forward_only"] = forward_only
    if args.out == "-":
        json.dump(data, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        write_json_atomic(args.out, data)
        print(f"wrote the trace of samples {samples} to {args.out}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------- export-weights
def _configure_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (*.bps.json)")
    p.add_argument("--out", required=True, help="where to write the weights file")


def _run_export(args: argparse.Namespace) -> int:
    project = open_project(args.project)
    try:
        transform = input_transform_for(project, Path(args.project).resolve().parent)
    except DataError as exc:
        print(
            f"bpstudio: note: the project stores no input transform and its dataset cannot give one ({exc}); "
            "the weights file records none",
            file=sys.stderr,
        )
        transform = None
    save_weights(args.out, project.network, transform)
    scaled = "" if transform is None else f", input scaling: {describe_transform(transform)},"
    print(
        f"wrote weights of a {'-'.join(map(str, project.network.sizes))} network{scaled} to {args.out}",
        file=sys.stderr,
    )
    return 0


# ---------------------------------------------------------------------------- gradcheck
def _configure_gradcheck(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (*.bps.json)")
    p.add_argument(
        "--samples",
        help="training-set sample numbers, e.g. 0,1 or 0-9 (default: the first 10, or all if fewer)",
    )
    p.add_argument(
        "--eps", type=float, default=1e-6, help="the step h of the central differences (default 1e-6)"
    )
    p.add_argument(
        "--tolerance",
        type=float,
        default=TOLERANCE,
        help=f"flag relative errors above this (default {TOLERANCE:g})",
    )
    p.add_argument("--out", help="also write every parameter's numbers to this CSV file")
    p.add_argument(
        "--quiet", action="store_true", help="print only the summary and the disagreeing parameters"
    )


def _run_gradcheck(args: argparse.Namespace) -> int:
    """Exit status 0 when every parameter agrees, 1 when some disagree, 2 on an error."""
    project = open_project(args.project)
    trainer, _ = trainer_for(project, Path(args.project).resolve().parent)
    n = trainer.X.shape[0]
    samples = list(range(min(n, 10))) if args.samples is None else parse_samples(args.samples, n)
    report = check_parameters(
        project.network, trainer.config, trainer.X[samples], trainer.T[samples], args.eps, args.tolerance
    )
    rows = table_rows(report)
    shown = [row for row, r in zip(rows, report.rows) if r.flagged or not args.quiet]
    if shown:
        widths = [max(len(c), *(len(row[i]) for row in shown)) for i, c in enumerate(GRAD_COLUMNS)]
        for row in (list(GRAD_COLUMNS), *shown):
            print(
                "  ".join(t.ljust(w) if i == 0 else t.rjust(w) for i, (t, w) in enumerate(zip(row, widths)))
            )
    if args.out:
        write_bytes_atomic(args.out, report_csv(report).encode("utf-8"))
    print(summary(report) + (f"; wrote {args.out}" if args.out else ""), file=sys.stderr)
    return 1 if report.flagged else 0


COMMANDS = (
    Command("train", "train a project headless and write the trained project", _configure_train, _run_train),
    Command(
        "trace",
        "one forward/backward/update on chosen samples, written as JSON",
        _configure_trace,
        _run_trace,
    ),
    Command(
        "gradcheck",
        "compare backpropagation's gradient with central differences for every weight and bias",
        _configure_gradcheck,
        _run_gradcheck,
    ),
    Command(
        "export-weights",
        "write a project's network (weights, biases, masks) and its input scaling to a weights file",
        _configure_export,
        _run_export,
    ),
)
