"""Teaching sub-commands of ``bpstudio``: walkthrough, make-exercise, answer-key, mark.

bpstudio walkthrough PROJECT --samples 0 [--format text|markdown|html] [--out FILE]
bpstudio make-exercise PROJECT --out EX.bpx.json [--samples 0,1] [--stop-after update] [--ask z,a,delta]
bpstudio answer-key EXERCISE [--out KEY.csv]
bpstudio mark EXERCISE ANSWERS.bpa.json ... [--out MARKS.csv]
bpstudio export-quiz EXERCISE --format moodle-xml|qti [--variants N] --out FILE
bpstudio lesson LESSON [--out NUMBERS.jsonl]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..engine import CONVENTIONS, EngineError, learning_rule
from ..formats.io import write_bytes_atomic
from ..formats.view import LETTERS
from ..teaching.exercise import STOP_AFTER, Exercise, Tolerance, check_workable, load_exercise, save_exercise
from ..teaching.lesson import load_lesson, replay
from ..teaching.model import KINDS, check_selector
from ..teaching.notation import BIAS_STYLES, NUMBERING, PRESETS, WEIGHT_INDEX, Notation
from ..teaching.quiz import FORMATS as QUIZ_FORMATS
from ..teaching.quiz import MAX_VARIANTS, moodle_xml, qti_package
from ..teaching.results import answer_key_csv, answer_key_text, mark, marks_csv
from ..teaching.walkthrough import build_walkthrough
from ..workspace import trainer_for
from .common import CliError, Command, open_project, parse_samples

_STAGE = {"forward": "loss", "backward": "backward 1", "update": "update"}


#: typed spellings of the letters a terminal may lack
_LETTER_ALIASES = {"eta": "η", "alpha": "α", "beta": "β", "mu": "μ", "delta": "δ", "Delta": "Δ"}


def _notation_args(p: argparse.ArgumentParser) -> None:
    presets = ", ".join(f"{k} ({v.label})" for k, v in PRESETS.items())
    p.add_argument(
        "--notation",
        choices=[*CONVENTIONS, *PRESETS],
        default=None,
        help="a sign convention (gradient: δ = ∂E/∂z; error_signal: Δ = −δ) or a course's preset: "
        f"{presets}. Default: the notation saved in the project",
    )
    p.add_argument(
        "--bias",
        choices=list(BIAS_STYLES),
        default=None,
        help="w0: bias as w₀ on x₀ = 1; b: a separate b (default: the project's, else w0)",
    )
    p.add_argument(
        "--layer-base", type=int, choices=[0, 1], default=None, help="number of the input layer (default 1)"
    )
    p.add_argument(
        "--weight-index",
        choices=list(WEIGHT_INDEX),
        default=None,
        help="a weight's superscript: source, the layer it leaves (W⁽¹⁾ maps layer 1 to 2), or target, "
        "the layer it enters (Nielsen's wˡⱼₖ). Default: the project's, else source",
    )
    p.add_argument(
        "--numbering",
        choices=list(NUMBERING),
        default=None,
        help="layer: zⱼ⁽ˡ⁾, wⱼₖ⁽ˡ⁾ (default); global: neurons numbered through the network (z₅, w₃,₅)",
    )
    p.add_argument(
        "--letters",
        default="",
        help="the course's letters, e.g. net=in,act=o,target=y,loss=J,lr=alpha,momentum=eta,signal=Delta "
        "(" + "; ".join(f"{role}: {' '.join(c)}" for role, c in LETTERS.items()) + ")",
    )
    p.add_argument("--digits", type=int, default=None, help="decimals shown (default 4)")


def _parse_letters(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        role, eq, letter = part.partition("=")
        role, letter = role.strip(), letter.strip()
        if not eq or role not in LETTERS:
            raise CliError(f"--letters: write role=letter with a role of {', '.join(LETTERS)}; not {part!r}")
        letter = _LETTER_ALIASES.get(letter, letter)
        if letter not in LETTERS[role]:
            raise CliError(f"--letters: {role} is one of {', '.join(LETTERS[role])}; not {letter!r}")
        out[role] = letter
    return out


def notation_for(args: argparse.Namespace, view: Mapping[str, Any]) -> Notation:
    """The notation of a command: the project's (its view options), then ``--notation`` (a convention
    or a preset), then each of ``--bias``, ``--layer-base``, ``--weight-index``, ``--letters``,
    ``--digits`` given."""
    base = Notation.from_view(view)
    choice = getattr(args, "notation", None)
    if choice in PRESETS:
        base = base.with_preset(choice)
    changes: dict[str, Any] = {}
    if choice in CONVENTIONS:
        changes["convention"] = choice
    for name, attr in (
        ("bias", "bias"),
        ("layer_base", "layer_base"),
        ("weight_index", "weight_index"),
        ("numbering", "numbering"),
        ("digits", "digits"),
    ):
        value = getattr(args, attr, None)
        if value is not None:
            changes[name] = value
    letters = _parse_letters(getattr(args, "letters", "") or "")
    if "lr" in letters and "momentum" not in letters and letters["lr"] == base.momentum:
        letters["momentum"] = base.lr  # lr=α alone: the momentum takes the letter the rate had
    changes.update(letters)
    try:
        return replace(base, **changes)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _write_text(out: str, text: str) -> None:
    if out == "-":
        sys.stdout.write(text)
    else:
        write_bytes_atomic(out, text.encode("utf-8"))


# ---------------------------------------------------------------------------- walkthrough
def _configure_walkthrough(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (*.bps.json)")
    p.add_argument(
        "--samples", default="0", help="training-set samples forming one batch, e.g. 0 or 0-3 (default 0)"
    )
    p.add_argument(
        "--stage",
        choices=list(STOP_AFTER),
        default=None,
        help="how far the step goes (default: update, or forward for step units)",
    )
    p.add_argument("--format", choices=["text", "markdown", "html"], default="text")
    p.add_argument("--out", default="-", help="file to write ('-' for stdout, the default)")
    _notation_args(p)


def _run_walkthrough(args: argparse.Namespace) -> int:
    project = open_project(args.project)
    notation = notation_for(args, project.view)
    samples = parse_samples(args.samples)
    stage = args.stage
    trainable = learning_rule(project.network) is not None
    if stage is None:
        stage = "update" if trainable else "forward"
    elif stage != "forward" and not trainable:
        raise CliError("--stage: this network has step units, so only --stage forward is possible")
    work = copy.copy(project)
    work.network = project.network.copy()
    trainer, _ = trainer_for(work)
    trace = trainer.begin_step(samples).run_until(_STAGE[stage])
    title = f"{project.name or args.project}: samples {', '.join(map(str, samples))}"
    w = build_walkthrough(
        trace, project.network, project.training, notation, list(range(trace.batch_size)), title
    )
    text = {"text": w.to_text, "markdown": w.to_markdown, "html": w.to_html_page}[args.format]()
    _write_text(args.out, text)
    if args.out != "-":
        print(f"wrote {len(w)} lines to {args.out}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------- make-exercise
def _configure_make(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project file (*.bps.json) with the network, weights and data")
    p.add_argument("--out", required=True, help="the exercise file to write (*.bpx.json)")
    p.add_argument("--title", default="", help="title shown to the student (default: the project's name)")
    p.add_argument("--instructions", default="", help="what the student must do")
    p.add_argument(
        "--samples", default="0", help="training-set samples of the step, e.g. 0 or 0-3 (default 0)"
    )
    p.add_argument(
        "--stop-after",
        choices=list(STOP_AFTER),
        default=None,
        help="forward, backward or update (default: update, or forward for step units)",
    )
    p.add_argument(
        "--ask",
        default="*",
        help=f"comma-separated quantities to ask: * or kinds ({', '.join(KINDS)}) or keys like delta[1,0]@0",
    )
    p.add_argument("--relative", type=float, default=0.01, help="relative tolerance (default 0.01)")
    p.add_argument("--absolute", type=float, default=1e-4, help="absolute tolerance (default 0.0001)")
    p.add_argument(
        "--seed", type=int, default=None, help="draw the weights from this seed instead of the project's"
    )
    p.add_argument(
        "--weight-decimals", type=int, default=2, help="decimals of the drawn weights (with --seed)"
    )
    p.add_argument("--unlocked", action="store_true", help="let students change the network and data")
    p.add_argument("--no-hints", action="store_true", help="no hints")
    p.add_argument("--hint-cost", type=float, default=0.0, help="part of a point lost per hint (0 to 1)")
    _notation_args(p)


def _run_make(args: argparse.Namespace) -> int:
    project = open_project(args.project)
    ask = [a.strip() for a in _split_selectors(args.ask)]
    for sel in ask:
        try:
            check_selector(sel)
        except ValueError as exc:
            raise CliError(f"--ask: {exc}") from None
    stop = args.stop_after
    if stop is None:
        stop = "update" if learning_rule(project.network) is not None else "forward"
    if not (0 <= args.relative <= 1 and args.absolute >= 0 and 0 <= args.hint_cost <= 1):
        raise CliError("--relative and --hint-cost must be between 0 and 1, --absolute at least 0")
    ex = Exercise(
        project=project,
        title=args.title or project.name or "Exercise",
        instructions=args.instructions,
        samples=parse_samples(args.samples),
        stop_after=stop,
        notation=notation_for(args, project.view),
        ask=ask,
        tolerance=Tolerance(args.relative, args.absolute),
        locked=not args.unlocked,
        seed=args.seed,
        weight_decimals=args.weight_decimals,
        allow_hints=not args.no_hints,
        hint_cost=args.hint_cost,
    )
    questions = ex.questions()
    save_exercise(args.out, ex)
    print(f"wrote {args.out}: {len(questions)} questions", file=sys.stderr)
    try:
        check_workable(len(questions))
    except EngineError as exc:
        print(f"note: the window will not open it: {str(exc).removeprefix('ask: ')}", file=sys.stderr)
    return 0


def _split_selectors(text: str) -> list[str]:
    """Split on commas outside brackets (a key such as grad[0,1,b] holds commas)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [s for s in (x.strip() for x in out) if s]


# ---------------------------------------------------------------------------- answer-key
def _configure_key(p: argparse.ArgumentParser) -> None:
    p.add_argument("exercise", help="exercise file (*.bpx.json)")
    p.add_argument(
        "--out", default=None, help="also write the key as CSV to this file ('-' for CSV on stdout)"
    )


def _run_key(args: argparse.Namespace) -> int:
    ex = load_exercise(args.exercise)
    if args.out == "-":
        sys.stdout.write(answer_key_csv(ex))
        return 0
    sys.stdout.write(answer_key_text(ex))
    if args.out:
        _write_text(args.out, answer_key_csv(ex))
        print(f"wrote the answer key ({len(ex.questions())} questions) to {args.out}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------- mark
def _configure_mark(p: argparse.ArgumentParser) -> None:
    p.add_argument("exercise", help="the teacher's exercise file (*.bpx.json)")
    p.add_argument("answers", nargs="+", help="students' answers files (*.bpa.json)")
    p.add_argument("--out", default="-", help="CSV file of marks ('-' for stdout, the default)")


def _run_mark(args: argparse.Namespace) -> int:
    ex = load_exercise(args.exercise)
    rows = mark(ex, list(args.answers))
    _write_text(args.out, marks_csv(rows))
    bad = sum(1 for r in rows if r["status"] != "ok")
    if args.out != "-":
        print(f"marked {len(rows) - bad} of {len(rows)} answers files; wrote {args.out}", file=sys.stderr)
    return 1 if bad else 0


def _configure_quiz(p: argparse.ArgumentParser) -> None:
    p.add_argument("exercise", help="exercise file (*.bpx.json)")
    p.add_argument(
        "--format", choices=list(QUIZ_FORMATS), default="moodle-xml", help="moodle-xml (default) or qti"
    )
    p.add_argument(
        "--variants", type=int, default=1, help="how many variants, each with its own weights (default 1)"
    )
    p.add_argument(
        "--out", required=True, help="the quiz file: .xml for Moodle, .zip (a content package) for QTI"
    )
    p.add_argument("--category", help="Moodle: the question category (default $course$/top/bpstudio/TITLE)")


def _run_quiz(args: argparse.Namespace) -> int:
    exercise = load_exercise(args.exercise)
    if not 1 <= args.variants <= MAX_VARIANTS:
        raise CliError(f"--variants: choose 1 to {MAX_VARIANTS}")
    if args.format == "moodle-xml":
        payload = moodle_xml(exercise, args.variants, args.category).encode("utf-8")
    else:
        payload = qti_package(exercise, args.variants)
    write_bytes_atomic(args.out, payload)
    n = len(exercise.questions())
    print(
        f"wrote {args.variants} variant(s) of {n} question(s) as {args.format} to {args.out}",
        file=sys.stderr,
    )
    return 0


def _configure_lesson(p: argparse.ArgumentParser) -> None:
    p.add_argument("lesson", help="lesson file (*.bpl.jsonl)")
    p.add_argument("--out", help="also write the numbers after every event as JSON lines")


def _run_lesson(args: argparse.Namespace) -> int:
    lesson = load_lesson(args.lesson)
    numbers = replay(lesson)
    print(f"{lesson.title}: {len(lesson.events)} events")
    for row in numbers:
        loss = "" if row["train_loss"] is None else f"  training loss {row['train_loss']:.6g}"
        print(
            f"{row['event']:>4}. {row['do']:<10} epoch {row['epoch']:>6}  updates {row['updates']:>8}"
            f"{loss}  parameters {row['parameters']}"
        )
    if args.out:
        text = "".join(json.dumps(row) + "\n" for row in numbers)
        write_bytes_atomic(args.out, text.encode("utf-8"))
    return 0


COMMANDS = (
    Command(
        "walkthrough",
        "write every computation of one training step, formulas filled in",
        _configure_walkthrough,
        _run_walkthrough,
    ),
    Command("make-exercise", "build an exercise file from a project", _configure_make, _run_make),
    Command(
        "answer-key", "print every asked quantity of an exercise with its value", _configure_key, _run_key
    ),
    Command("mark", "score students' answers files against an exercise (CSV)", _configure_mark, _run_mark),
    Command(
        "lesson",
        "replay a recorded lesson headless and print the numbers after every event",
        _configure_lesson,
        _run_lesson,
    ),
    Command(
        "export-quiz",
        "an exercise as a quiz for Moodle (XML) or any QTI 2.1 system, in randomised variants",
        _configure_quiz,
        _run_quiz,
    ),
)
