"""``bpstudio worksheet``: an exercise (or a project) as a problem sheet and its answer key (issue 16.1).

bpstudio worksheet PROJECT|EXERCISE --out SHEET.tex|SHEET.pdf [--answers] [--students IDS.txt]
                   [--separate] [--samples 0]

LaTeX source compiles with a standard TeX install (pdflatex: article, amsmath, TikZ); a PDF is made
with Qt's PDF writer, without TeX. With ``--students`` (a file of ids, one per line) each student gets
a variant with weights drawn from a seed made from the id, all in one file or, with ``--separate``,
one file each (SHEET-ID.tex); ``--answers`` writes the answer keys of the same variants.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from ..formats.io import write_bytes_atomic
from ..teaching import EXERCISE_FORMAT
from ..teaching.exercise import load_exercise, peek_format
from ..teaching.worksheet import Sheet, exercise_of, latex_document, make_sheets
from .common import CliError, Command, open_project, parse_samples

#: at most this many students in one call
MAX_STUDENTS = 2_000


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="exercise (*.bpx.json) or project (*.bps.json)")
    p.add_argument("--out", required=True, help="SHEET.tex (LaTeX source) or SHEET.pdf (made without TeX)")
    p.add_argument("--answers", action="store_true", help="write the answer key instead of the problem sheet")
    p.add_argument("--students", help="a text file of student ids, one per line: a variant per student")
    p.add_argument(
        "--separate", action="store_true", help="one file per student (SHEET-ID.tex) instead of one"
    )
    p.add_argument("--samples", help="for a project: the training samples of the step (default 0)")


def _read_students(path: str) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"--students: cannot read {path}: {exc}") from None
    ids = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not ids:
        raise CliError(f"--students: {path} names no student")
    if len(ids) > MAX_STUDENTS:
        raise CliError(f"--students: at most {MAX_STUDENTS} students")
    if len(set(ids)) != len(ids):
        raise CliError("--students: an id appears twice")
    return ids


def _write(out: Path, sheets: list[Sheet], answers: bool) -> None:
    if out.suffix.lower() == ".pdf":
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a PDF needs no screen
        from PySide6.QtGui import QGuiApplication

        from ..app.worksheet_pdf import write_pdf

        _app = QGuiApplication.instance() or QGuiApplication([])
        write_pdf(out, sheets, answers)
    else:
        write_bytes_atomic(out, latex_document(sheets, answers).encode("utf-8"))


def _run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".tex", ".pdf"):
        raise CliError("--out: name a .tex (LaTeX source) or a .pdf file")
    if peek_format(args.source) == EXERCISE_FORMAT:
        exercise = load_exercise(args.source)
        if args.samples:
            raise CliError("--samples: an exercise names its own samples")
    else:
        project = open_project(args.source)
        exercise = exercise_of(project, parse_samples(args.samples) if args.samples else None)
    students = _read_students(args.students) if args.students else None
    sheets = make_sheets(exercise, students)
    written = []
    if args.separate and students:
        for sheet in sheets:
            safe = re.sub(r"[^A-Za-z0-9._-]+", "_", sheet.student or "")[:60] or "student"
            target = out.with_name(f"{out.stem}-{safe}{out.suffix}")
            _write(target, [sheet], args.answers)
            written.append(target.name)
    else:
        _write(out, sheets, args.answers)
        written.append(out.name)
    what = "answer key" if args.answers else "problem sheet"
    n = len(sheets[0].questions)
    shown = ", ".join(written[:3]) + (f" and {len(written) - 3} more" if len(written) > 3 else "")
    print(f"wrote the {what} ({len(sheets)} sheet(s) of {n} question(s)) to {shown}", file=sys.stderr)
    return 0


COMMANDS = (
    Command(
        "worksheet",
        "an exercise or project as a problem sheet or answer key (LaTeX or PDF), per-student variants",
        _configure,
        _run,
    ),
)
