"""Teaching: step through a forward/backward pass by hand, and exercises that check the student's answers.

Qt-free (an import-linter contract enforces it). The parts:

* :func:`build_walkthrough` — one :class:`Line` per elementary computation of a traced step, with the
  formula, the substituted arithmetic and the engine's value, in the student's :class:`Notation`;
* :mod:`.render` — the walkthrough as text, Markdown or an HTML page (no LaTeX needed);
* :class:`Exercise` (``*.bpx.json``) and :class:`Attempt` — hidden quantities, answer checking with a
  tolerance for hand arithmetic, hints, a score; :mod:`.results` — answers files, results (JSON, CSV),
  the answer key and marking.
"""

from .checking import Attempt, Score, Verdict, accepts, check_answer
from .exercise import (
    EXERCISE,
    EXERCISE_FORMAT,
    EXERCISE_SUFFIX,
    Exercise,
    Tolerance,
    load_exercise,
    peek_format,
    save_exercise,
)
from .model import KINDS, Line, Ref, Walkthrough, matches
from .notation import Notation
from .parse import ParseError, evaluate_text, parse_expression
from .results import (
    ANSWERS,
    ANSWERS_FORMAT,
    ANSWERS_SUFFIX,
    answer_key_csv,
    export_results,
    load_answers,
    save_answers,
)
from .walkthrough import build_walkthrough, walkthrough_steps

__all__ = [
    "ANSWERS",
    "ANSWERS_FORMAT",
    "ANSWERS_SUFFIX",
    "EXERCISE",
    "EXERCISE_FORMAT",
    "EXERCISE_SUFFIX",
    "KINDS",
    "Attempt",
    "Exercise",
    "Line",
    "Notation",
    "ParseError",
    "Ref",
    "Score",
    "Tolerance",
    "Verdict",
    "Walkthrough",
    "accepts",
    "answer_key_csv",
    "build_walkthrough",
    "walkthrough_steps",
    "check_answer",
    "evaluate_text",
    "export_results",
    "load_answers",
    "load_exercise",
    "matches",
    "parse_expression",
    "peek_format",
    "save_answers",
    "save_exercise",
]
