"""The Lesson dock (issue 16.3): record what the lecturer does as a lesson file, and play a lesson
back step by step (Previous / Next / Play at a pace) from the state it starts in.

Recording listens to ``Session.recorded`` (every operation reports itself as a lesson event, see
:mod:`bpstudio.teaching.lesson`); playing applies each event through the Session's own operations, so
the window shows each one as if the lecturer did it. Previous opens the lesson's start again and
plays the events before the current one (lessons are short: that is quick and always exact).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...engine import EngineError, Network
from ...formats import FormatError, network_from_dict
from ...formats.rules import training_config
from ...teaching.lesson import LESSON_SUFFIX, Lesson, load_lesson, save_lesson, start_lesson
from ..session import NO_SELECTION, Selection

if TYPE_CHECKING:
    from ..main_window import MainWindow
    from ..session import Session

LESSON_FILTER = "Lessons (*.bpl.jsonl);;All files (*)"


def describe(event: dict[str, Any]) -> str:
    """An event in words, for the list."""
    kind = event["do"]
    if kind == "step":
        return {
            "stage": "next stage",
            "sample": "step one sample",
            "batch": "step a batch",
            "epoch": "an epoch",
        }[event["what"]]
    if kind == "train":
        return f"train {event['updates']:,} updates"
    if kind == "settings":
        t = event["training"]
        lr = t.get("optimiser_params", {}).get("lr", "")
        return f"settings: {t.get('optimiser')} η = {lr}, {t.get('batch_mode')}"
    if kind == "network":
        return "edit the network" + (" (layers)" if event["structural"] else "")
    if kind == "reset":
        return "new weights" + ("" if event["seed"] is None else f" (seed {event['seed']})")
    if kind == "select":
        if event["kind"] == "none":
            return "select nothing"
        return f"select {'an' if event['kind'] == 'edge' else 'a'} {event['kind']}"
    if kind == "view":
        return f"show {event['key']} = {event['value']}"
    if kind == "note":
        return f"note: {event['text'][:80]}"
    return kind.replace("_", " ")


def apply_to_session(session: Session, event: dict[str, Any]) -> bool:
    """Do what the event says through the Session's operations; False if the Session refused it (it
    told the user why)."""
    refused: list[str] = []

    def collect(title: str, _text: str) -> None:
        refused.append(title)

    session.errorOccurred.connect(collect)
    try:
        _apply(session, event)
    finally:
        session.errorOccurred.disconnect(collect)
    return not refused


def _apply(session: Session, event: dict[str, Any]) -> None:
    kind = event["do"]
    if kind == "step":
        what = event["what"]
        steps = {
            "stage": session.micro_step,
            "sample": session.step_sample,
            "batch": session.step_batch,
            "epoch": session.step_epoch,
        }
        steps[what]()
    elif kind == "undo_step":
        session.undo_step()
    elif kind == "train":
        session.train_updates(event["updates"])
    elif kind == "settings":
        session.set_config(training_config(event["training"]))
    elif kind == "network":
        new = network_from_dict(event["network"])

        def become(net: Network) -> None:
            net.sizes, net.activations = list(new.sizes), list(new.activations)
            net.weights, net.biases, net.masks = new.weights, new.biases, new.masks

        session.edit_network("Lesson: edit the network", become, bool(event["structural"]))
    elif kind == "reset":
        session.reset_weights(event["seed"])
    elif kind == "dataset":
        session.set_dataset(event["dataset"])
    elif kind == "select":
        frm = -1 if event["from"] is None else event["from"]
        none = event["kind"] == "none"
        session.select(
            NO_SELECTION if none else Selection(event["kind"], event["layer"], event["index"], frm)
        )
    elif kind == "view":
        session.set_view_option(event["key"], event["value"])
    elif kind == "note":
        session.statusMessage.emit(event["text"])


class LessonPanel(QWidget):
    """See the module docstring."""

    def __init__(
        self, session: Session, window: MainWindow | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self.session = session
        self.window_ = window
        self.lesson: Lesson | None = None
        self.position = 0  # events applied so far
        self.recording: Lesson | None = None
        self.record_button = QPushButton("&Record")
        self.record_button.setObjectName("lessonRecord")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip(
            "Record what you do from now on as a lesson (press again to stop and save)"
        )
        self.record_button.toggled.connect(self._record_toggled)
        self.open_button = QPushButton("&Open…")
        self.open_button.clicked.connect(lambda: self.open_lesson())
        self.prev_button = QPushButton("◀ &Previous")
        self.prev_button.clicked.connect(self.previous)
        self.next_button = QPushButton("&Next ▶")
        self.next_button.setObjectName("lessonNext")
        self.next_button.clicked.connect(self.next)
        self.play_button = QPushButton("&Play")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._play_toggled)
        self.pace = QDoubleSpinBox()
        self.pace.setRange(0.1, 60.0)
        self.pace.setValue(1.5)
        self.pace.setSuffix(" s per event")
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.events = QListWidget()
        self.events.setObjectName("lessonEvents")
        self.status = QLabel("Open a lesson to play it, or Record to make one.")
        self.status.setWordWrap(True)
        row = QHBoxLayout()  # two short rows: the dock shares the bottom of a lab screen with others
        for w in (self.record_button, self.open_button):
            row.addWidget(w)
        row.addStretch(1)
        row2 = QHBoxLayout()
        for w in (self.prev_button, self.next_button, self.play_button, self.pace):
            row2.addWidget(w)
        row2.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addLayout(row2)
        layout.addWidget(self.status)
        layout.addWidget(self.events, 1)
        session.recorded.connect(self._recorded)
        self._update()

    # ------------------------------------------------------------------ recording
    def _record_toggled(self, on: bool) -> None:
        if on:
            self.session.sync_project()
            self.recording = start_lesson(self.session.project, self.session.project.name or "Lesson")
            self.status.setText(
                "Recording: everything you do is added to the lesson. Press Record again to save it."
            )
        else:
            self.stop_recording()
        self._update()

    def _recorded(self, event: dict[str, Any]) -> None:
        if self.recording is not None and not self._playing_event:
            self.recording.events.append(event)
            self.status.setText(f"Recording: {len(self.recording.events)} event(s).")

    _playing_event = False

    def stop_recording(self, path: str | None = None) -> bool:
        """Stop recording and save the lesson (asking where when ``path`` is None)."""
        lesson, self.recording = self.recording, None
        self.record_button.blockSignals(True)
        self.record_button.setChecked(False)
        self.record_button.blockSignals(False)
        if lesson is None:
            return False
        if path is None:
            start = str(Path.home() / f"{lesson.title or 'lesson'}{LESSON_SUFFIX}")
            path, _ = QFileDialog.getSaveFileName(self, "Save Lesson", start, LESSON_FILTER)
            if not path:
                self.status.setText("The recording was not saved.")
                return False
        if not path.endswith(".jsonl"):
            path += LESSON_SUFFIX
        try:
            save_lesson(path, lesson)
        except OSError as exc:
            QMessageBox.warning(self, "Cannot save the lesson", f"{path}: {exc}")
            return False
        self.status.setText(f"Saved the lesson ({len(lesson.events)} events) to {Path(path).name}.")
        return True

    # ------------------------------------------------------------------ playing
    def open_lesson(self, path: str | None = None) -> bool:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open Lesson", str(Path.home()), LESSON_FILTER)
            if not path:
                return False
        try:
            lesson = load_lesson(path)
        except (FormatError, EngineError) as exc:
            QMessageBox.warning(self, "Cannot open the lesson", str(exc))
            return False
        if self.window_ is not None and not self.window_.documents.maybe_save():
            return False
        self.lesson = lesson
        self.events.clear()
        for i, e in enumerate(lesson.events, start=1):
            self.events.addItem(f"{i}. {describe(e)}")
        self._restart()
        self.status.setText(f"“{lesson.title}”: {len(lesson.events)} events. Next plays the first.")
        return True

    def _restart(self) -> None:
        assert self.lesson is not None
        self.session.set_project(self.lesson.start_project())
        self.position = 0
        self._update()

    def next(self) -> bool:
        """Play the next event."""
        if self.lesson is None or self.position >= len(self.lesson.events):
            return False
        event = self.lesson.events[self.position]
        self._playing_event = True
        try:
            ok = apply_to_session(self.session, event)
        finally:
            self._playing_event = False
        self.position += 1
        self._update()
        if not ok:
            self.status.setText(f"Event {self.position} ({describe(event)}) was refused: see the message.")
        elif event["do"] == "note":
            self.status.setText(event["text"])
        return ok

    def previous(self) -> None:
        """Back to before the current event: the start again, then every event before it."""
        if self.lesson is None or self.position == 0:
            return
        goal = self.position - 1
        self._restart()
        while self.position < goal:
            self.next()

    def _play_toggled(self, on: bool) -> None:
        if on:
            self.timer.start(int(self.pace.value() * 1000))
        else:
            self.timer.stop()

    def _tick(self) -> None:
        self.timer.setInterval(int(self.pace.value() * 1000))
        if not self.next() or self.lesson is None or self.position >= len(self.lesson.events):
            self.play_button.setChecked(False)

    def _update(self) -> None:
        have = self.lesson is not None
        n = len(self.lesson.events) if self.lesson is not None else 0
        self.prev_button.setEnabled(have and self.position > 0)
        self.next_button.setEnabled(have and self.position < n)
        self.play_button.setEnabled(have and self.position < n)
        if have:
            self.events.setCurrentRow(self.position - 1)


def install(window: MainWindow) -> LessonPanel:
    """The Lesson dock (beside the walkthrough) and Exercises ▸ Lesson."""
    panel = LessonPanel(window.session, window)
    dock = window.add_dock(
        panel, "Lesson", Qt.DockWidgetArea.BottomDockWidgetArea, "lessonDock", visible=False
    )
    window.tabifyDockWidget(window.training.docks["table"], dock)
    window.training.docks["table"].raise_()

    def show() -> None:
        dock.show()
        dock.raise_()

    menu = window.menus["exercises"]
    menu.addSeparator()
    act = menu.addAction("Lesson: &Record or Play…", show)
    act.setObjectName("action_lesson")
    return panel
