"""What every sub-command shares: the command record, the user error, argument parsers, a progress bar."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from ..engine import Progress
from ..engine.errors import excerpt
from ..formats import Project, load_project


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


@dataclass(frozen=True)
class Command:
    """One sub-command: ``configure`` adds its arguments to its parser, ``run`` runs it (exit status)."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def open_project(path: str) -> Project:
    """The project file at ``path`` (a FormatError, printed as one line, when it is not one)."""
    return load_project(path)


#: at most this many sample numbers in one --samples
MAX_SAMPLES = 1_000_000


def parse_samples(text: str, n: int | None = None) -> list[int]:
    """``"0,2-4"`` → [0, 2, 3, 4]: training-set sample numbers and ranges, comma-separated; each below
    ``n`` (the training set's size) when given, and at most :data:`MAX_SAMPLES` of them."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part[1:]:
            lo, hi = part.split("-", 1)
            if not (lo.isdecimal() and hi.isdecimal()) or int(hi) < int(lo):
                raise CliError(f"--samples: {excerpt(part)} is not a range like 0-3")
            first, last = int(lo), int(hi)
        elif part.isdecimal():
            first = last = int(part)
        else:
            raise CliError(f"--samples: {excerpt(part)} is not a sample number")
        if n is not None and last >= n:
            raise CliError(f"--samples: {last} is not a sample: the training set has samples 0 to {n - 1}")
        if len(out) + last - first + 1 > MAX_SAMPLES:
            raise CliError(f"--samples: more than {MAX_SAMPLES:,} samples")
        out.extend(range(first, last + 1))
    if not out:
        raise CliError("--samples: give at least one sample number, e.g. --samples 0,1")
    return out


def parse_target(text: str | None) -> Any:
    """``--target`` as columns: ``"5"`` → 5, ``"petal,sepal"`` → ["petal", "sepal"], None → None."""
    if text is None:
        return None
    parts = [t.strip() for t in text.split(",")]
    if any(not t for t in parts):
        raise CliError(f"--target: {text!r} is not a column or a list of columns like 5 or petal,sepal")
    keys: list[Any] = [int(t) if t.lstrip("-").isdigit() else t for t in parts]
    return keys[0] if len(keys) == 1 else keys


def add_header_options(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--header`` / ``--no-header`` (into ``args.header``: True, False or the parser's default)."""
    hdr = p.add_mutually_exclusive_group()
    hdr.add_argument(
        "--header", dest="header", action="store_const", const=True, help="the first row names the columns"
    )
    hdr.add_argument(
        "--no-header", dest="header", action="store_const", const=False, help="the first row is data"
    )


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
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
