"""The exercise panel: the step's computations in order, the asked values hidden, an answer box for each.

A question starts as ``z₁⁽²⁾ = ?``. Typing a number (or arithmetic such as ``(0.5)(1 − 0.5)``) and
pressing Return checks it at once; a hint shows the formula without the numbers; a right answer shows
the whole line. Lines the student is not asked are shown as given, except those computed from a
question not yet answered (they would give it away). The score is kept as the student goes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...teaching import Attempt, Line
from ...teaching.checking import CORRECT, EMPTY, INVALID, WRONG
from ...teaching.expr import HtmlRenderer
from ..flow_layout import FlowBar, FlowLayout
from ..session import Session
from ..ui_scale import follow_font
from ..walkthrough.panel import selections

GOOD, BAD, WARN = "#1b7f3b", "#b3261e", "#9a6700"


class _Row:
    """The widgets of one line."""

    def __init__(self, line: Line, question: bool) -> None:
        self.line = line
        self.question = question
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.edit: QLineEdit | None = None
        self.hint_button: QToolButton | None = None
        self.status = QLabel()
        self.hint = QLabel()
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self.hint.setWordWrap(True)
        self.hint.setVisible(False)
        self.last_text = ""


class ExercisePanel(QWidget):
    """Shows an :class:`~bpstudio.teaching.Attempt`; the window's controller saves and exports it."""

    changed = Signal()
    saveRequested = Signal()
    exportRequested = Signal()
    closeRequested = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exercisePanel")
        self.session = session
        self.attempt: Attempt | None = None
        self.rows: dict[str, _Row] = {}

        self.title = QLabel()
        self.title.setObjectName("exerciseTitle")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self._title_font()
        follow_font(self, self._title_font)  # larger with the window's text size
        self.instructions = QLabel()
        self.instructions.setObjectName("exerciseInstructions")
        self.instructions.setWordWrap(True)
        self.instructions.setTextFormat(Qt.TextFormat.PlainText)
        self.student = QLineEdit()
        self.student.setObjectName("exerciseStudent")
        self.student.setPlaceholderText("Your name (saved with your answers)")
        self.student.textEdited.connect(self._student_changed)
        self.score = QLabel()
        self.score.setObjectName("exerciseScore")
        self.save_button = QPushButton("Save Answers…")
        self.save_button.setObjectName("exerciseSave")
        self.save_button.clicked.connect(self.saveRequested)
        self.export_button = QPushButton("Export Results…")
        self.export_button.setObjectName("exerciseExport")
        self.export_button.clicked.connect(self.exportRequested)
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("exerciseClose")
        self.close_button.clicked.connect(self.closeRequested)

        self.body = QWidget()
        body_lay = QVBoxLayout(self.body)
        body_lay.setContentsMargins(0, 0, 0, 0)
        body_lay.addWidget(self.instructions)
        grid_host = QWidget()
        body_lay.addWidget(grid_host, 1)
        self.grid = QGridLayout(grid_host)
        self.grid.setContentsMargins(0, 6, 0, 0)
        self.grid.setColumnStretch(0, 1)
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(4)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.body)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)

        name_row = QHBoxLayout()
        name_row.addWidget(QLabel("Student:"))
        name_row.addWidget(self.student, 1)
        # the score on a line of its own; the buttons wrap onto a second line in a narrow panel
        buttons = FlowLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.title)
        lay.addLayout(name_row)
        lay.addWidget(self.score)
        lay.addWidget(FlowBar(buttons))
        lay.addWidget(self.scroll, 1)

    # ------------------------------------------------------------------ content
    def set_attempt(
        self, attempt: Attempt | None, title: str = "", instructions: str = "", practice: bool = False
    ) -> None:
        """Show ``attempt`` (None: empty the panel)."""
        self.attempt = attempt
        self.title.setText(title)
        self.instructions.setText(instructions)
        self.instructions.setVisible(bool(instructions))
        self.save_button.setVisible(not practice)
        self.student.setVisible(not practice)
        self.close_button.setText("Stop Practising" if practice else "Close Exercise")
        self.student.setText(attempt.student if attempt is not None else "")
        self._build()
        self.update_rows()

    def _build(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            w = item.widget()
            if w is not None:
                w.hide()
                w.setParent(None)  # gone from the panel at once, not at the next event loop turn
                w.deleteLater()
        self.rows = {}
        a = self.attempt
        if a is None:
            return
        asked = set(a.keys())
        row = 0
        number = 0
        for group, lines in a.walkthrough.by_group():
            head = QLabel(f"<b>{HtmlRenderer().escape(group)}</b>")
            head.setTextFormat(Qt.TextFormat.RichText)
            self.grid.addWidget(head, row, 0, 1, 4)
            row += 1
            for line in lines:
                r = _Row(line, line.key in asked)
                self.rows[line.key] = r
                self.grid.addWidget(r.label, row, 0)
                if r.question:
                    number += 1
                    r.edit = QLineEdit()
                    r.edit.setObjectName(f"answer:{line.key}")
                    r.edit.setPlaceholderText(f"answer {number}")
                    r.edit.setMaximumWidth(150)
                    r.edit.setToolTip(
                        "A number, or the arithmetic, e.g. (0.5)(1 − 0.5); press Return to check"
                    )
                    r.edit.returnPressed.connect(lambda k=line.key: self.check(k, advance=True))
                    r.edit.editingFinished.connect(lambda k=line.key: self.check(k, advance=False))
                    r.edit.installEventFilter(self)
                    self.grid.addWidget(r.edit, row, 1)
                    if a.allow_hints:
                        r.hint_button = QToolButton()
                        r.hint_button.setText("Hint")
                        r.hint_button.setObjectName(f"hint:{line.key}")
                        r.hint_button.setToolTip("Show the formula (without the numbers)")
                        r.hint_button.clicked.connect(lambda _c=False, k=line.key: self.show_hint(k))
                        self.grid.addWidget(r.hint_button, row, 2)
                    self.grid.addWidget(r.status, row, 3)
                    row += 1
                    self.grid.addWidget(r.hint, row, 0, 1, 4)
                row += 1
        self.grid.setRowStretch(row, 1)

    def update_rows(self) -> None:
        """Re-render every line: hidden values stay hidden, answered ones appear."""
        a = self.attempt
        if a is None:
            self.score.setText("")
            return
        hidden = a.hidden()
        r = HtmlRenderer(a.digits, hidden)
        for key, row in self.rows.items():
            ans = a.answers.get(key)
            if row.question and ans is not None:
                if ans.correct:
                    html = row.line.render(r)
                elif ans.hinted:
                    html = row.line.render(r, hide_value=True, show_substitution=False)
                else:
                    html = f"{row.line.lhs.render(r)} = ?"
                self._style(row, ans.verdict.status, ans.verdict.message, ans.attempts)
                if ans.hinted:
                    row.hint.setText(
                        f'<span style="color:{WARN}">Hint: {row.line.hint(HtmlRenderer(a.digits))}</span>'
                    )
                    row.hint.setVisible(not ans.correct)
                    if row.hint_button is not None:
                        row.hint_button.setEnabled(False)
                if ans.correct and row.edit is not None:
                    row.edit.setReadOnly(True)
                if row.edit is not None and row.edit.text() != ans.text and not row.edit.hasFocus():
                    row.edit.setText(ans.text)
                    row.last_text = ans.text
            elif key in hidden:
                html = row.line.render(r, hide_value=True, placeholder="…")
            else:
                html = row.line.render(r)
            row.label.setText(html)
        s = a.score()
        prefix = "All done! " if a.complete() else ""
        self.score.setText(f"{prefix}Score: {s.text()}")

    def _title_font(self) -> None:
        f = QApplication.font()
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() * 1.15)
        self.title.setFont(f)

    def changeEvent(self, event: QEvent) -> None:
        # a style sheet fixes the colours it was made with: after a theme change the answered fields
        # are styled again from the new palette (else light text stays on a light field)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            QTimer.singleShot(0, self, self.update_rows)
        super().changeEvent(event)

    def _field_style(self, colour: str) -> str:
        """A coloured frame, with the field's text and background of the current palette."""
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text).name()
        base = pal.color(QPalette.ColorRole.Base).name()
        return f"QLineEdit {{ border: 2px solid {colour}; color: {text}; background: {base}; }}"

    def _style(self, row: _Row, status: str, message: str, attempts: int) -> None:
        if row.edit is None:
            return
        if status == CORRECT:
            row.status.setText(f'<span style="color:{GOOD}">✓ right</span>')
            row.edit.setStyleSheet(self._field_style(GOOD))
        elif status == WRONG:
            tries = f"{attempts} tr{'y' if attempts == 1 else 'ies'}"
            row.status.setText(f'<span style="color:{BAD}">✗ not right ({tries})</span>')
            row.edit.setStyleSheet(self._field_style(BAD))
        elif status == INVALID:
            row.status.setText(f'<span style="color:{WARN}">not a number</span>')
            row.status.setToolTip(message)
            row.edit.setStyleSheet(self._field_style(WARN))
        elif status == EMPTY:
            row.status.setText("")
            row.edit.setStyleSheet("")

    # ------------------------------------------------------------------ student actions
    def check(self, key: str, advance: bool) -> str | None:
        """Check the typed answer of question ``key`` (once per new text); return its status."""
        a = self.attempt
        row = self.rows.get(key)
        if a is None or row is None or row.edit is None or row.edit.isReadOnly():
            return None
        text = row.edit.text()
        if text == row.last_text and not advance:
            return None
        if text == row.last_text and a.answers[key].verdict.status != EMPTY:
            status = a.answers[key].verdict.status
        else:
            row.last_text = text
            status = a.submit(key, text).status
            self.changed.emit()
        self.update_rows()
        if advance and status == CORRECT:
            self.focus_next(key)
        return status

    def show_hint(self, key: str) -> str:
        if self.attempt is None:
            return ""
        text = self.attempt.hint(key)
        self.changed.emit()
        self.update_rows()
        return text

    def focus_next(self, after: str | None = None) -> None:
        keys = list(self.rows)
        start = keys.index(after) + 1 if after in keys else 0
        for key in keys[start:] + keys[:start]:
            row = self.rows[key]
            if row.edit is not None and not row.edit.isReadOnly():
                row.edit.setFocus()
                self.scroll.ensureWidgetVisible(row.edit)
                return

    def _student_changed(self, text: str) -> None:
        if self.attempt is not None:
            self.attempt.student = text.strip()
            self.changed.emit()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and isinstance(obj, QLineEdit):
            key = obj.objectName().partition(":")[2]
            row = self.rows.get(key)
            if row is not None and hasattr(self.session, "highlight"):
                self.session.highlight(selections(row.line.refs))
        return super().eventFilter(obj, event)
