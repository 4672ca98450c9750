"""Sub-commands that export a network to other tools (issue 16): ``export-onnx``.

bpstudio export-onnx PROJECT|WEIGHTS --out MODEL.onnx [--dtype float32|float64]
"""

from __future__ import annotations

import argparse
import sys

from ..exports.onnx_model import DTYPES, build_model, save_model
from ..predict import load_model
from .common import Command


def _configure_onnx(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="project (*.bps.json) or weights file")
    p.add_argument("--out", required=True, help="where to write the ONNX model (*.onnx)")
    p.add_argument(
        "--dtype",
        choices=DTYPES,
        default="float32",
        help="the model's number type (default float32, which every ONNX runtime supports)",
    )


def _run_onnx(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    for note in model.notes:
        print(f"bpstudio: note: {note}", file=sys.stderr)
    onnx_model = build_model(model.network, model.transform, args.dtype)
    save_model(args.out, onnx_model)
    net = model.network
    scaled = "with its input scaling" if model.transform else "(inputs used as they are)"
    print(
        f"wrote the {'-'.join(map(str, net.sizes))} network {scaled} as ONNX ({args.dtype}, opset 17) "
        f"to {args.out}; input 'x' [N, {net.sizes[0]}], output 'y' [N, {net.sizes[-1]}]",
        file=sys.stderr,
    )
    return 0


COMMANDS = (
    Command(
        "export-onnx",
        "write a trained network (and its input scaling) as an ONNX model for inference",
        _configure_onnx,
        _run_onnx,
    ),
)
