"""The ``bpstudio`` command: the GUI by default, headless sub-commands for labs and graders.

    bpstudio [PROJECT]                      open the studio window (on the XOR example by default)
    bpstudio train PROJECT --epochs N --out OUT
    bpstudio trace PROJECT --samples 0,1 --out TRACE.json
    bpstudio export-weights PROJECT --out WEIGHTS
    bpstudio predict MODEL --data FILE [--target COL] [--out OUT.csv]
    bpstudio datasets

Errors in files or arguments print one line on stderr and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .engine import EngineError, Progress

#: sub-command name → (help, function that adds its arguments, function that runs it)
COMMANDS: dict[
    str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {}


#: modules that add sub-commands with @command; imported before the parser is built
COMMAND_MODULES: tuple[str, ...] = (
    "bpstudio.data.commands",
    "bpstudio.teaching.commands",
    "bpstudio.predict",
)


def _load_command_modules() -> None:
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not exc.name or not (name == exc.name or name.startswith(exc.name + ".")):
                raise


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def command(name: str, help_text: str):
    """Register a sub-command: decorate ``run(args)``; the function's ``configure`` adds arguments."""

    def wrap(configure: Callable[[argparse.ArgumentParser], None]):
        def register(run: Callable[[argparse.Namespace], int]):
            COMMANDS[name] = (help_text, configure, run)
            return run

        return register

    return wrap


# ---------------------------------------------------------------------------- helpers
def _load_project(path: str):
    from .formats import load_project

    return load_project(path)


def _parse_samples(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part[1:]:
            lo, hi = part.split("-", 1)
            if not (lo.isdigit() and hi.isdigit()) or int(hi) < int(lo):
                raise CliError(f"--samples: {part!r} is not a range like 0-3")
            out.extend(range(int(lo), int(hi) + 1))
        elif part.isdigit():
            out.append(int(part))
        else:
            raise CliError(f"--samples: {part!r} is not a sample number")
    if not out:
        raise CliError("--samples: give at least one sample number, e.g. --samples 0,1")
    return out


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, total: int, stream=None) -> None:
        self.total = max(total, 1)
        self.stream = stream or sys.stderr
        self.last = 0.0
        self.start = time.perf_counter()

    def __call__(self, p: Progress) -> bool:
        now = time.perf_counter()
        done = p.epoch - (p.epochs_target - self.total)
        if now - self.last >= 0.1 or done >= self.total:
            self.last = now
            frac = min(max(done / self.total, 0.0), 1.0)
            bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
            loss = "" if p.epoch_loss is None else f"  loss {p.epoch_loss:.6g}"
            self.stream.write(f"\r[{bar}] epoch {done}/{self.total}{loss}  {now - self.start:.1f}s ")
            self.stream.flush()
        return True

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


# ---------------------------------------------------------------------------- train
def _configure_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (*.bps.json)")
    p.add_argument("--epochs", type=int, help="epochs to train (default: the project's setting)")
    p.add_argument("--out", required=True, help="where to write the trained project")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    from .data.commands import add_train_data_options

    add_train_data_options(p)


@command("train", "train a project headless and write the trained project")(_configure_train)
def _run_train(args: argparse.Namespace) -> int:
    from .formats import save_project
    from .workspace import trainer_for, update_project

    project = _load_project(args.project)
    _apply_data_options(project, args)
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
    if acc is not None:
        msg += f", accuracy {acc:.1%}"
    print(msg + f"; wrote {args.out}", file=sys.stderr)
    return 0


def _apply_data_options(project, args: argparse.Namespace) -> None:
    """Hook for --dataset/--data options (added by the data commands when present)."""
    apply = getattr(args, "apply_data", None)
    if apply is not None:
        apply(project, args)


# ---------------------------------------------------------------------------- trace
def _configure_trace(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (*.bps.json)")
    p.add_argument("--samples", default="0", help="training-set sample numbers, e.g. 0,1 or 0-3 (default 0)")
    p.add_argument("--out", required=True, help="where to write the trace JSON ('-' for stdout)")
    p.add_argument(
        "--notation",
        choices=["gradient", "error_signal"],
        default="gradient",
        help="gradient: δ = ∂E/∂z (default); error_signal: Δ = (t − o)·f′(z) = −δ",
    )


@command("trace", "one forward/backward/update on chosen samples, written as JSON")(_configure_trace)
def _run_trace(args: argparse.Namespace) -> int:
    from .formats import write_json_atomic
    from .workspace import trainer_for

    project = _load_project(args.project)
    samples = _parse_samples(args.samples)
    trainer, _ = trainer_for(project, Path(args.project).resolve().parent)
    trace = trainer.trace_samples(samples)
    data = {"format": "bpstudio-trace", "version": 1, "project": str(args.project)}
    data.update(trace.to_dict(args.notation))
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


@command(
    "export-weights",
    "write a project's network (weights, biases, masks) and its input scaling to a weights file",
)(_configure_export)
def _run_export(args: argparse.Namespace) -> int:
    from .data import DataError, describe_transform
    from .formats import save_weights
    from .workspace import input_transform_for

    project = _load_project(args.project)
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


# ---------------------------------------------------------------------------- entry point
class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        raise CliError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bpstudio",
        description="Backprop Studio. With no command, opens the studio window "
        "(on PROJECT if given, else the built-in XOR example).",
    )
    parser.add_argument("--version", action="version", version=f"bpstudio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (help_text, configure, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        configure(p)
        p.set_defaults(run=run)
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bpstudio", description="Open the Backprop Studio window.")
    parser.add_argument("project", nargs="?", help="project or exercise file to open")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="build the window, train a few steps, "
        "save and reload a project, render the window, and exit non-zero on any failure",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _load_command_modules()
    try:
        if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version")):
            args = build_parser().parse_args(argv)
            return int(args.run(args))
        args = build_gui_parser().parse_args(argv)
        if args.project and args.project.startswith("-"):
            raise CliError(f"unknown option {args.project}")
        from .app.launch import launch

        return int(launch(args))
    except CliError as exc:
        print(f"bpstudio: error: {exc}", file=sys.stderr)
        return 2
    except EngineError as exc:
        print(f"bpstudio: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `bpstudio trace ... --out - | head`
        try:
            sys.stdout = open(__import__("os").devnull, "w")
        except OSError:
            pass
        return 0
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"bpstudio: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bpstudio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
