"""The ``bpstudio`` command: the GUI by default, headless sub-commands for labs and graders.

    bpstudio [PROJECT]                      open the studio window (on the XOR example by default)
    bpstudio train PROJECT --epochs N --out OUT
    bpstudio trace PROJECT --samples 0,1 --out TRACE.json
    bpstudio export-weights PROJECT --out WEIGHTS
    bpstudio predict MODEL --data FILE [--target COL] [--out OUT.csv]
    bpstudio datasets
    bpstudio walkthrough | make-exercise | answer-key | mark ...

One module per group of sub-commands (:mod:`.model`, :mod:`.data`, :mod:`.teaching`, :mod:`.predict`),
each with a ``COMMANDS`` tuple; :data:`COMMANDS` below lists them all, in the order ``--help`` shows.
The command line sits on top of every other layer: nothing else in bpstudio imports it.

Errors in files or arguments print one line on stderr and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..engine import EngineError
from . import compare, data, exports, model, predict, teaching, worksheet
from .common import CliError, Command

__all__ = ["COMMANDS", "CliError", "Command", "build_gui_parser", "build_parser", "main"]

#: every sub-command, in the order ``bpstudio --help`` lists them
COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        *model.COMMANDS,
        *compare.COMMANDS,
        *exports.COMMANDS,
        *data.COMMANDS,
        *teaching.COMMANDS,
        *worksheet.COMMANDS,
        *predict.COMMANDS,
    )
}


# ---------------------------------------------------------------------------- entry point
class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        raise CliError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bpstudio",
        description="Backprop Studio. With no command, opens the studio window "
        "(on PROJECT if given, else the built-in XOR example).",
        epilog="The window: bpstudio [PROJECT]. bpstudio --smoke-test builds the window, trains a few "
        "steps, saves and reloads a project and exits non-zero on any failure (for checking an "
        "installation; with QT_QPA_PLATFORM=offscreen it needs no screen).",
    )
    parser.add_argument("--version", action="version", version=f"bpstudio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for c in COMMANDS.values():
        p = sub.add_parser(c.name, help=c.help, description=c.help)
        c.configure(p)
        p.set_defaults(run=c.run)
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
    try:
        if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version")):
            args = build_parser().parse_args(argv)
            return int(args.run(args))
        args = build_gui_parser().parse_args(argv)
        if args.project and args.project.startswith("-"):
            raise CliError(f"unknown option {args.project}")
        from ..app.launch import launch

        return int(launch(args))
    except CliError as exc:
        print(f"bpstudio: error: {exc}", file=sys.stderr)
        return 2
    except EngineError as exc:
        print(f"bpstudio: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `bpstudio trace ... --out - | head`
        try:
            sys.stdout = open(os.devnull, "w")
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
