"""Sub-commands that export a network to other tools (issue 16): ``export-onnx``, ``export-pytorch``.

bpstudio export-onnx PROJECT|WEIGHTS --out MODEL.onnx [--dtype float32|float64]
bpstudio export-pytorch PROJECT --out train.py [--notebook]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..exports.onnx_model import DTYPES, build_model, save_model
from ..exports.pytorch_script import write_export
from ..predict import load_model
from ..workspace import trainer_for
from .common import Command, open_project


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


def _configure_pytorch(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (*.bps.json)")
    p.add_argument("--out", required=True, help="where to write the script (*.py)")
    p.add_argument("--notebook", action="store_true", help="also write it as a Jupyter notebook (*.ipynb)")


def _run_pytorch(args: argparse.Namespace) -> int:
    project = open_project(args.project)
    trainer, _ = trainer_for(project, Path(args.project).resolve().parent)
    out = Path(args.out)
    if out.suffix != ".py":
        out = out.with_name(out.name + ".py")
    if trainer.cursor:
        print(
            f"bpstudio: note: the project stopped inside epoch {trainer.epoch + 1}; the script starts "
            f"that epoch from its beginning",
            file=sys.stderr,
        )
    written = [str(p) for p in write_export(out, trainer, project.name or out.stem, args.notebook)]
    print(
        f"wrote {', '.join(written)}; run it with: python {out.name}  (needs torch and numpy)",
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
    Command(
        "export-pytorch",
        "write a standalone PyTorch script (and notebook) that builds and trains the same network",
        _configure_pytorch,
        _run_pytorch,
    ),
)
