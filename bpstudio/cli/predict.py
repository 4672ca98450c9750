"""``bpstudio predict MODEL --data FILE [--target COL] [--out OUT.csv]`` (see :mod:`bpstudio.predict`)."""

from __future__ import annotations

import argparse
import sys

from ..data.files import FORMATS
from ..formats.io import write_bytes_atomic
from ..predict import (
    align_targets,
    load_model,
    predict,
    predicted_classes,
    predictions_csv,
    read_inputs,
    score,
)
from .common import Command, add_header_options, parse_target


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="a project (*.bps.json) or a weights file")
    p.add_argument(
        "--data", metavar="FILE", required=True, help="the inputs: CSV, TSV, NPZ or IDX (.gz allowed)"
    )
    p.add_argument(
        "--target",
        metavar="COL[,COL]",
        help="target column(s), by name or number (1 = first, -1 = last): left out of the inputs and used "
        "to report the loss and accuracy (NPZ: the targets array)",
    )
    p.add_argument("--out", metavar="OUT.csv", help="where to write the predictions (default: stdout)")
    p.add_argument("--format", choices=FORMATS, help="the data file's format (default: from its name)")
    p.add_argument("--labels", metavar="FILE", help="IDX: the labels file (to report the accuracy)")
    add_header_options(p)
    p.set_defaults(header="auto")


def run_predict(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    for note in model.notes:
        print(f"bpstudio: note: {note}", file=sys.stderr)
    inputs = read_inputs(args.data, args.format, parse_target(args.target), args.header, args.labels)
    if inputs.report is not None and inputs.report.filled:
        print(f"bpstudio: {inputs.report.summary()}", file=sys.stderr)
    outputs, z = predict(model, inputs.X)
    line = None
    if inputs.T is not None:
        name, loss, acc = score(model, outputs, z, align_targets(model, inputs))
        line = f"loss {loss:.6g} ({name}, mean per sample)"
        if acc is not None:
            line += f", accuracy {acc:.1%}"
    text = predictions_csv(outputs, predicted_classes(model, outputs))
    n = outputs.shape[0]
    what = f"{n:,} sample{'s' if n != 1 else ''}"
    if line is not None:
        print(f"bpstudio: {what}: {line}", file=sys.stderr)
    if args.out:
        write_bytes_atomic(args.out, text.encode("utf-8"))
        print(f"bpstudio: wrote the predictions for {what} to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0


COMMANDS = (
    Command(
        "predict",
        "run a project's or weights file's network on new inputs, scaled as in training",
        _configure,
        run_predict,
    ),
)
