"""The walkthrough and exercise mode in the studio window (:func:`install`, ``window.teaching``).

* a **Walkthrough** panel (bottom, beside the δ/Δw table) and the canvas marks of its current line;
* an **Exercise** panel and the **Exercises** menu: open an exercise or answers file (File ▸ Open
  handles them too), save answers, export results for marking, close the exercise; practise on the
  current step; and, for teachers, create an exercise from the open project.

While a locked exercise is open the session is read-only and shows no computed values.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QMenu,
    QMessageBox,
    QSpinBox,
)

from ...engine import EngineError
from ...formats import FormatError, portable_stem
from ...formats.io import write_bytes_atomic
from ...teaching import (
    ANSWERS_FORMAT,
    ANSWERS_SUFFIX,
    EXERCISE_FORMAT,
    EXERCISE_SUFFIX,
    Attempt,
    Exercise,
    export_results,
    load_answers,
    load_exercise,
    peek_format,
    save_answers,
    save_exercise,
)
from ...teaching.exercise import MAX_QUESTIONS, check_workable
from ...teaching.quiz import MAX_VARIANTS as MAX_QUIZ_VARIANTS
from ...teaching.quiz import moodle_xml, qti_package
from ..changes import Change
from ..dialogs import ok_cancel, run_modal
from ..exercises.dialog import ExerciseDialog
from ..exercises.panel import ExercisePanel
from .highlight import LineHighlighter
from .panel import WalkthroughPanel

if TYPE_CHECKING:
    from ..main_window import MainWindow

EXERCISE_FILTER = "Exercises and answers (*.bpx.json *.bpa.json);;JSON files (*.json);;All files (*)"
ANSWERS_FILTER = "Exercise answers (*.bpa.json);;All files (*)"
EXERCISE_SAVE_FILTER = "Exercises (*.bpx.json);;All files (*)"
RESULTS_FILTER = "CSV for a spreadsheet (*.csv);;JSON (*.json)"
PRACTICE_KINDS = ["z", "a", "fprime", "E", "delta", "grad", "dw", "new_w"]


def _stem(name: str) -> str:
    for suffix in (EXERCISE_SUFFIX, ANSWERS_SUFFIX, ".bps.json", ".json"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(name).stem


class TeachingRoom(QObject):
    """The window's walkthrough panel, exercise panel and Exercises menu (after the training room)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.exercise: Exercise | None = None
        self.attempt: Attempt | None = None
        self.practice = False
        self.answers_path: Path | None = None
        self.unsaved = False
        self._opening = False

        self.panel = WalkthroughPanel(self.session)
        area = Qt.DockWidgetArea
        self.walkthrough_dock = window.add_dock(
            self.panel, "Walkthrough", area.BottomDockWidgetArea, "walkthroughDock"
        )
        table = window.training.docks["table"]
        window.tabifyDockWidget(table, self.walkthrough_dock)
        table.raise_()
        # behind the table's tab the panel is not rebuilt after a run: it catches up when its tab is chosen
        self.walkthrough_dock.visibilityChanged.connect(self._walkthrough_visible)
        self.exercise_panel = ExercisePanel(self.session)
        # beside the training settings, which a locked exercise makes read-only anyway
        self.exercise_dock = window.add_dock(
            self.exercise_panel, "Exercise", area.LeftDockWidgetArea, "exerciseDock", visible=False
        )
        window.tabifyDockWidget(window.training.docks["settings"], self.exercise_dock)
        self.exercise_dock.hide()
        window.restore_hooks.append(self._hide_empty_panel)
        self.exercise_panel.changed.connect(self._answers_changed)
        self.exercise_panel.saveRequested.connect(self.save_answers)
        self.exercise_panel.exportRequested.connect(self.export_results)
        self.exercise_panel.closeRequested.connect(self.close_exercise)
        self.highlighter = LineHighlighter(self.session, window.canvas.network_scene)
        self.session.changed.connect(self._changed)
        window.documents.openers.append(self.open_file)
        window.close_hooks.append(self.maybe_save_answers)
        self._build_menu()
        self._update_actions()

    # ------------------------------------------------------------------ menu
    def _build_menu(self) -> None:
        w = self.window
        menu = QMenu("E&xercises", w)
        menu.setObjectName("menu_exercises")
        w.menuBar().insertMenu(w.menus["help"].menuAction(), menu)
        w.menus["exercises"] = menu
        self.act_open = menu.addAction("&Open Exercise…", self.open_dialog)
        self.act_save = menu.addAction("&Save Answers", self.save_answers)
        self.act_save_as = menu.addAction("Save Answers &As…", lambda: self.save_answers(ask=True))
        self.act_export = menu.addAction("&Export Results…", self.export_results)
        self.act_close = menu.addAction("&Close Exercise", self.close_exercise)
        menu.addSeparator()
        self.practice_menu = menu.addMenu("&Practise on the Current Step")
        self.practice_actions = {}
        for kind, label in (
            ("z", "net inputs z"),
            ("a", "activations a"),
            ("fprime", "derivatives f′(z)"),
            ("E", "errors E"),
            ("delta", "δ (or Δ)"),
            ("grad", "gradients ∂E/∂w"),
            ("dw", "weight changes Δw"),
            ("new_w", "updated weights"),
        ):
            a = self.practice_menu.addAction(f"Hide the {label}")
            a.setCheckable(True)
            a.setChecked(kind in ("z", "a", "delta"))
            self.practice_actions[kind] = a
        self.practice_menu.addSeparator()
        self.act_practise = self.practice_menu.addAction("&Start", self.start_practice)
        menu.addSeparator()
        self.act_create = menu.addAction("Create Exercise from This &Project…", self.create_exercise)
        self.act_quiz = menu.addAction("Export Exercise as &Quiz…", lambda: self.export_quiz())
        self.act_quiz.setToolTip("An exercise file as a Moodle XML or QTI 2.1 quiz, in randomised variants")
        self.act_show_walkthrough = menu.addAction("Show the &Walkthrough", self.show_walkthrough)
        self.menu = menu

    def _update_actions(self) -> None:
        active = self.attempt is not None
        self.act_save.setEnabled(active and not self.practice)
        self.act_save_as.setEnabled(active and not self.practice)
        self.act_export.setEnabled(active)
        self.act_close.setEnabled(active)
        self.act_create.setEnabled(not self.session.locked)

    def _walkthrough_visible(self, visible: bool) -> None:
        if visible:
            self.panel.catch_up()

    def show_walkthrough(self) -> None:
        self.walkthrough_dock.show()
        self.walkthrough_dock.raise_()

    # ------------------------------------------------------------------ opening
    def _start_dir(self) -> str:
        if self.answers_path is not None:
            return str(self.answers_path.parent)
        if self.session.path is not None:
            return str(self.session.path.parent)
        return str(Path.home())

    def open_dialog(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open Exercise", self._start_dir(), EXERCISE_FILTER
        )
        if not path:
            return False
        return bool(self.window.documents.open_path(path))

    def open_file(self, path: Path) -> bool:
        """A File ▸ Open hook: open exercise and answers files, leave anything else to the window."""
        fmt = peek_format(path)
        if fmt == EXERCISE_FORMAT:
            if not self.maybe_save_answers():
                return True
            self.start(load_exercise(path), None, None)
            return True
        if fmt == ANSWERS_FORMAT:
            if not self.maybe_save_answers():
                return True
            exercise, attempt = load_answers(path)
            self.start(exercise, attempt, Path(path))
            return True
        return False

    def start(self, exercise: Exercise, attempt: Attempt | None, answers_path: Path | None) -> None:
        """Open ``exercise`` (with a saved attempt) in the window; EngineError (nothing changed) when it
        asks more than the window can (:func:`~bpstudio.teaching.exercise.check_workable`)."""
        attempt = attempt or Attempt.for_exercise(exercise)
        check_workable(len(attempt.questions))
        self._opening = True
        try:
            self.session.set_project(exercise.student_project())
            self.window.documents.example_name = exercise.title or "Exercise"
            if exercise.locked:
                self.session.set_locked(
                    f"“{exercise.title}” is an exercise: the network, the data and the settings are locked. "
                    "Close the exercise (Exercises ▸ Close Exercise) to change them."
                )
        finally:
            self._opening = False
        self.exercise, self.attempt, self.practice = exercise, attempt, False
        self.answers_path = answers_path
        self.unsaved = False
        self.exercise_panel.set_attempt(attempt, exercise.title, exercise.instructions)
        self._show_panel()
        self.window.update_title()
        n = len(attempt.questions)
        self.session.statusMessage.emit(
            f"Exercise “{exercise.title}”: {n} questions. Type each value and press Return."
        )
        self._update_actions()
        self.exercise_panel.focus_next()

    def _show_panel(self) -> None:
        self.exercise_dock.show()
        self.exercise_dock.raise_()

        def widen() -> None:  # room for the questions, but the canvas keeps more than half the window
            width = min(620, round(self.window.width() * 0.42))
            w = self.window
            w.resizeDocks([self.exercise_dock], [width], Qt.Orientation.Horizontal)
            loss = w.training.docks["loss"]
            if w.dockWidgetArea(loss) == w.dockWidgetArea(self.exercise_dock) and not loss.isHidden():
                # one column of panels (a small screen): the questions take most of its height
                h = w.height()
                w.resizeDocks(
                    [self.exercise_dock, loss], [round(h * 0.6), round(h * 0.25)], Qt.Orientation.Vertical
                )
            self.exercise_dock.raise_()  # in front of the panels tabbed with it (also before the first show)

        widen()
        QTimer.singleShot(0, self, widen)  # again once the dock is laid out

    def _hide_empty_panel(self) -> None:
        """A restored layout shows the Exercise panel exactly when an exercise is open: a saved layout
        may show it empty (it stays hidden, the Training Settings tabbed with it in front)."""
        if self.attempt is None and not self.exercise_dock.isHidden():
            self.exercise_dock.hide()
            self.window.training.docks["settings"].raise_()
        elif self.attempt is not None and self.exercise_dock.isHidden():
            self.exercise_dock.show()

    def _changed(self, change: Change) -> None:
        if change & Change.PROJECT:
            self._project_changed()

    def _project_changed(self) -> None:
        """Another project was opened: the exercise's network is gone, so the exercise closes."""
        if self._opening or self.attempt is None:
            return
        self.maybe_save_answers(cancellable=False)
        self._reset()

    def _answers_changed(self) -> None:
        if not self.practice:
            self.unsaved = True

    # ------------------------------------------------------------------ practice
    def start_practice(self) -> bool:
        """Hide the chosen quantities of the current step's walkthrough and ask for them."""
        w = self.panel.ensure_current()
        if w is None or not len(w):
            QMessageBox.information(self.window, "Nothing to practise", "Step through a sample first.")
            return False
        if not self.maybe_save_answers():
            return False
        kinds = [k for k, a in self.practice_actions.items() if a.isChecked()]
        questions = w.select(kinds)
        if not questions:
            QMessageBox.information(
                self.window, "Nothing to practise", "None of the chosen quantities is in this step."
            )
            return False
        if len(questions) > MAX_QUESTIONS:
            QMessageBox.information(
                self.window,
                "Too much to practise",
                f"This step has {len(questions):,} quantities of the chosen kinds, and a practice asks "
                f"at most {MAX_QUESTIONS:,}. Hide fewer kinds (Exercises ▸ Practise on the Current "
                "Step), or practise on a smaller network.",
            )
            return False
        self.exercise, self.practice = None, True
        self.attempt = Attempt(copy.copy(w), questions)
        self.session.set_locked("Practice in progress: stop practising to step or change the network.")
        self.exercise_panel.set_attempt(
            self.attempt,
            f"Practice: {w.title}",
            "Compute each hidden value by hand and type it in.",
            practice=True,
        )
        self._show_panel()
        self._update_actions()
        self.exercise_panel.focus_next()
        return True

    # ------------------------------------------------------------------ saving and results
    def save_answers(self, ask: bool = False) -> bool:
        if self.attempt is None or self.exercise is None:
            return False
        path = self.answers_path
        if path is None or ask:
            name = portable_stem(_stem(self.exercise.title), "exercise")
            student = portable_stem(self.attempt.student, "")
            start = str(Path(self._start_dir()) / f"{name}{'-' + student if student else ''}{ANSWERS_SUFFIX}")
            chosen, _ = QFileDialog.getSaveFileName(self.window, "Save Answers", start, ANSWERS_FILTER)
            if not chosen:
                return False
            if not chosen.lower().endswith(".json"):
                chosen += ANSWERS_SUFFIX
            path = Path(chosen)
        try:
            save_answers(path, self.attempt, self.exercise)
        except (EngineError, OSError) as exc:
            QMessageBox.warning(self.window, "Cannot save the answers", f"{path}: {exc}")
            return False
        self.answers_path = path
        self.unsaved = False
        self.session.statusMessage.emit(f"Saved your answers to {path.name}")
        return True

    def export_results(self) -> bool:
        if self.attempt is None:
            return False
        title = self.exercise.title if self.exercise is not None else "practice"
        student = portable_stem(self.attempt.student, "")
        start = str(
            Path(self._start_dir())
            / f"{portable_stem(_stem(title), 'exercise')}{'-' + student if student else ''}-results.csv"
        )
        path, chosen_filter = QFileDialog.getSaveFileName(
            self.window, "Export Results", start, RESULTS_FILTER
        )
        if not path:
            return False
        if not path.lower().endswith((".csv", ".json")):
            path += ".json" if "JSON" in chosen_filter else ".csv"
        try:
            export_results(path, self.attempt, self.exercise)
        except (EngineError, OSError) as exc:
            QMessageBox.warning(self.window, "Cannot export the results", f"{path}: {exc}")
            return False
        self.session.statusMessage.emit(f"Exported the results to {Path(path).name}")
        return True

    def maybe_save_answers(self, cancellable: bool = True) -> bool:
        """True when it is fine to drop the current answers (saved, or the student said so).

        ``cancellable`` False: the answers are going anyway (another project was opened), so the
        student can only save or discard them."""
        if self.attempt is None or self.practice or not self.unsaved:
            return True
        B = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.window,
            "Unsaved answers",
            f"Save your answers to “{self.exercise.title if self.exercise else 'the exercise'}”?",
            B.Save | B.Discard | (B.Cancel if cancellable else B.NoButton),
            B.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save_answers()
        return answer == QMessageBox.StandardButton.Discard

    def close_exercise(self) -> bool:
        if not self.maybe_save_answers():
            return False
        self._reset()
        return True

    def _reset(self) -> None:
        self.exercise = self.attempt = None
        self.practice = False
        self.answers_path = None
        self.unsaved = False
        if self.session.locked:
            self.session.set_locked("")
        self.exercise_panel.set_attempt(None)
        self.exercise_dock.hide()
        self._update_actions()

    # ------------------------------------------------------------------ teachers
    def create_exercise(self) -> bool:
        s = self.session
        s.sync_project()
        dlg = ExerciseDialog(self.window, s.project, self.panel.notation())
        if not run_modal(dlg):
            return False
        try:
            exercise = dlg.exercise()
            check_workable(len(exercise.questions()))
        except (EngineError, ValueError) as exc:
            QMessageBox.warning(self.window, "Cannot build the exercise", str(exc))
            return False
        stem = _stem(s.path.name) if s.path is not None else "exercise"
        start = str(Path(self._start_dir()) / f"{stem}{EXERCISE_SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save Exercise", start, EXERCISE_SAVE_FILTER)
        if not path:
            return False
        if not path.lower().endswith(".json"):
            path += EXERCISE_SUFFIX
        try:
            save_exercise(path, exercise)
        except (FormatError, EngineError, OSError) as exc:
            QMessageBox.warning(self.window, "Cannot save the exercise", f"{path}: {exc}")
            return False
        s.statusMessage.emit(
            f"Saved the exercise to {Path(path).name} ({len(exercise.questions())} questions)"
        )
        return True

    def export_quiz(self, exercise_path: str | None = None, out: str | None = None) -> bool:
        """Exercises ▸ Export Exercise as Quiz: an exercise file (asked for), the format and the number
        of variants (a small dialog), then where to write the quiz."""
        if exercise_path is None:
            exercise_path, _ = QFileDialog.getOpenFileName(
                self.window, "Export Exercise as Quiz", self._start_dir(), EXERCISE_SAVE_FILTER
            )
            if not exercise_path:
                return False
        try:
            exercise = load_exercise(exercise_path)
            exercise.questions()
        except (FormatError, EngineError, OSError) as exc:
            QMessageBox.warning(self.window, "Cannot export the quiz", f"{Path(exercise_path).name}: {exc}")
            return False
        dialog = QuizDialog(self.window)
        if not run_modal(dialog):
            return False
        fmt, variants = dialog.choice()
        suffix = ".xml" if fmt == "moodle-xml" else ".zip"
        if out is None:
            start = str(Path(exercise_path).with_name(_stem(Path(exercise_path).name) + "-quiz" + suffix))
            filters = "Moodle XML (*.xml)" if fmt == "moodle-xml" else "QTI 2.1 content packages (*.zip)"
            out, _ = QFileDialog.getSaveFileName(self.window, "Save Quiz", start, filters)
            if not out:
                return False
        if not out.lower().endswith(suffix):
            out += suffix
        try:
            payload = (
                moodle_xml(exercise, variants).encode("utf-8")
                if fmt == "moodle-xml"
                else qti_package(exercise, variants)
            )
            write_bytes_atomic(out, payload)
        except (EngineError, OSError) as exc:
            QMessageBox.warning(self.window, "Cannot export the quiz", f"{Path(out).name}: {exc}")
            return False
        self.session.statusMessage.emit(f"Exported {variants} variant(s) as a quiz to {Path(out).name}")
        return True


class QuizDialog(QDialog):
    """The quiz's format and number of variants."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("quizDialog")
        self.setWindowTitle("Export Exercise as Quiz")
        self.format = QComboBox()
        self.format.addItem("Moodle XML (Cloze questions in a category)", "moodle-xml")
        self.format.addItem("QTI 2.1 content package", "qti")
        self.variants = QSpinBox()
        self.variants.setRange(1, MAX_QUIZ_VARIANTS)
        self.variants.setValue(10)
        self.variants.setToolTip("Each variant draws its own weights; a quiz gives each student one")
        form = QFormLayout(self)
        form.addRow("&Format:", self.format)
        form.addRow("&Variants:", self.variants)
        buttons = ok_cancel(self)
        form.addRow(buttons)

    def choice(self) -> tuple[str, int]:
        return str(self.format.currentData()), int(self.variants.value())


def install(window: MainWindow) -> TeachingRoom:
    """Add the walkthrough panel, the exercise panel and the Exercises menu to ``window``."""
    return TeachingRoom(window)
