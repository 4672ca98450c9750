"""The walkthrough panel and exercise mode in the studio window, used as a student and a teacher would."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QLineEdit, QMessageBox, QToolButton

from bpstudio import resource_path
from bpstudio.formats import read_json
from bpstudio.teaching import load_exercise
from bpstudio.teaching.numbers import format_number

XOR_EXERCISE = resource_path("exercises", "xor-backprop-221.bpx.json")
XNOR_EXERCISE = resource_path("exercises", "xnor-step-forward.bpx.json")


@pytest.fixture
def window(qtbot, monkeypatch):
    from bpstudio.app.main_window import MainWindow

    warnings: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QMessageBox, "warning", lambda _p, title, text, *a, **k: warnings.append((title, text))
    )
    monkeypatch.setattr(
        QMessageBox, "information", lambda _p, title, text, *a, **k: warnings.append((title, text))
    )
    # closing the window at the end of a test discards the trained project and any answers
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    w = MainWindow()
    w.warnings = warnings
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    return w


def answer(qtbot, panel, key: str, text: str) -> None:
    """Type ``text`` into question ``key``'s box and press Return (ASCII: the typed minus is '-')."""
    text = text.replace("−", "-")
    edit = panel.findChild(QLineEdit, f"answer:{key}")
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def open_via_file_menu(window, monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.actions["open"].trigger()


# ---------------------------------------------------------------------------- walkthrough
def test_walkthrough_follows_micro_steps_and_navigates(window, qtbot):
    t, s = window.teaching, window.session
    panel = t.panel
    t.show_walkthrough()
    assert panel.walkthrough is not None  # the forward pass the canvas shows, before any step
    assert {ln.kind for ln in panel.walkthrough.lines} == {"z", "a", "fprime"}
    assert "Forward pass of training sample" in panel.message.text()
    for _ in range(len(s.network.sizes) - 1 + 1):
        s.micro_step()  # forward 1, forward 2, loss
    assert any(ln.kind == "E" for ln in panel.walkthrough.lines)
    while s.micro is not None:
        s.micro_step()
    kinds = {ln.kind for ln in panel.walkthrough.lines}
    assert {"delta", "grad", "dw", "new_w"} <= kinds
    # every line's value is the trace's
    trace = s.trace
    assert panel.walkthrough.line("new_w[1,0,0]").value == trace.updates[1].W_after[0, 0]

    panel.view.setFocus()
    panel.set_row(panel.model.line_rows()[0])
    first = panel.current_line()
    qtbot.keyClick(panel.view, Qt.Key.Key_N)
    qtbot.keyClick(panel.view, Qt.Key.Key_N)
    assert panel.current_line() is panel.walkthrough.lines[2]
    qtbot.keyClick(panel.view, Qt.Key.Key_P)
    assert panel.current_line() is panel.walkthrough.lines[1]
    panel.next_button.click()
    assert panel.current_line() is panel.walkthrough.lines[2]
    # the canvas marks what the line uses: z₁⁽²⁾ uses its neuron, the inputs, the edges and the bias
    panel.select_key("z[1,0]@0")
    assert s.highlighted and {sel.kind for sel in s.highlighted} >= {"neuron", "edge"}
    edges, rings = t.highlighter.marked()
    assert edges == 2 and rings >= 1
    # jump to a layer
    j = panel.jump_box.findText("Backward: layer 2")
    panel.jump_box.setCurrentIndex(j)
    panel.jump_box.activated.emit(j)
    assert panel.current_line().key.startswith("delta[1,")
    assert first.key == "z[1,0]@0"


def test_a_large_network_s_walkthrough_is_written_without_holding_the_window(window, qtbot):
    """A hidden layer of 512 neurons is some 2,500 lines: a step used to lay them all out before it
    returned (4–7 s for a layer of 4,096). Now the step returns at once and the lines follow over
    turns of the event loop; each z line still lists a dozen terms of its sum, not all 512."""
    from bpstudio.app.walkthrough.panel import LARGE_NETWORK
    from bpstudio.engine import edits as ed

    t, s = window.teaching, window.session
    panel = t.panel
    t.show_walkthrough()
    init = ed.Initial("uniform", {"r": 0.5}, 0)
    s.edit_network("wide", lambda n: ed.resize_layer(n, 1, 512, init), structural=True)
    assert sum(s.network.sizes) > LARGE_NETWORK
    qtbot.waitUntil(lambda: panel._job is None and not panel._stale, timeout=20000)
    s.step_sample()
    assert panel._job is not None  # under way, not done before the step returned
    qtbot.waitUntil(lambda: panel._job is None, timeout=60000)
    lines = panel.walkthrough.lines
    assert sum(ln.kind == "delta" for ln in lines) == 512 + 1
    assert panel.model.rowCount() >= len(lines)
    out = panel.walkthrough.line("z[2,0]@0")  # the output's sum over 512 hidden neurons
    assert out.elided and "…" in out.text()
    assert len(out.refs) < 100  # it points at the terms it prints, not at all 512 connections


def wide_network(window, qtbot, width: int) -> None:
    from bpstudio.engine import edits as ed

    s = window.session
    init = ed.Initial("uniform", {"r": 0.5}, 0)
    s.edit_network("wide", lambda n: ed.resize_layer(n, 1, width, init), structural=True)


def test_a_walkthrough_behind_another_tab_waits_until_its_tab_is_chosen(window, qtbot):
    """Behind the δ/Δw table's tab the panel is "visible" to Qt: every step of a network of 4,096
    hidden neurons wrote it out all the same (half a second with the window held each time), at a
    width it did not have, so choosing its tab laid all 19,000 rows out again in one go (2.5 s)."""
    t, s = window.teaching, window.session
    panel = t.panel
    t.show_walkthrough()
    wide_network(window, qtbot, 600)
    qtbot.waitUntil(lambda: panel._job is None, timeout=30000)
    table = window.docks["traceTableDock"]
    table.raise_()
    qtbot.waitUntil(lambda: panel.visibleRegion().isEmpty())
    s.step_sample()
    assert panel._stale and panel._job is None  # not written while out of sight
    t.show_walkthrough()
    assert panel._job is not None  # chosen: written over turns of the event loop, not at once
    qtbot.waitUntil(lambda: panel._job is None and not panel._stale, timeout=60000)
    assert panel.walkthrough.line("delta[1,599]@0").value == s.trace.layers[1].delta[0, 599]


def test_a_long_walkthrough_keeps_every_row_measured_and_is_laid_out_in_batches(window, qtbot):
    """Rows are measured (their rich text laid out) ahead of the view; the cache of sizes held 4,096
    and was cleared when full, so of a long walkthrough's rows (two widths each) the view found few
    and laid the rest out again in one turn. And a long list is laid out in batches: resizing the
    dock then never holds the window for the whole list."""
    from PySide6.QtWidgets import QListView

    from bpstudio.app.walkthrough.panel import BATCHED_ROWS

    t, s = window.teaching, window.session
    panel = t.panel
    t.show_walkthrough()
    assert panel.view.layoutMode() == QListView.LayoutMode.SinglePass  # a small network
    wide_network(window, qtbot, 600)
    qtbot.waitUntil(lambda: panel._job is None, timeout=30000)
    s.step_sample()
    qtbot.waitUntil(lambda: panel._job is None and not panel._stale, timeout=60000)
    rows = panel.model.rows
    assert len(rows) > BATCHED_ROWS and len(rows) * 2 > panel.view.itemDelegate().CACHE
    assert panel.view.layoutMode() == QListView.LayoutMode.Batched
    width = panel.view.viewport().width()
    sizes = panel.view.itemDelegate()._sizes
    assert all((html, width) in sizes for _text, _line, html in rows)
    # the batched view still goes to any line, and shows it once laid out
    panel.select_key("delta[1,590]@0")
    row = panel.current_row()
    assert panel.current_line().key == "delta[1,590]@0"
    panel.view.scrollTo(panel.model.index(row, 0))
    qtbot.waitUntil(
        lambda: panel.view.viewport().rect().intersects(panel.view.visualRect(panel.model.index(row, 0))),
        timeout=30000,
    )


def test_the_walkthrough_lists_a_batch_s_samples_once_per_batch(window, qtbot):
    """The sample box was emptied and refilled on every rebuild: 50,000 items (0.2 s) each time for a
    full batch of that many. Now only when the step's samples change."""
    from dataclasses import replace

    t, s = window.teaching, window.session
    panel = t.panel
    t.show_walkthrough()
    assert s.set_config(replace(s.config, batch_mode="full"))
    s.step_batch()
    box = panel.sample_box
    assert box.count() == s.trace.batch_size == 4 and box.isVisible()
    inserted = []
    box.model().rowsInserted.connect(lambda *_a: inserted.append(1))
    panel.refresh()
    assert not inserted and box.count() == 4
    # sized for its longest name without measuring every item (0.4 s for 50,000), and shows it whole
    longest = max((box.itemText(i) for i in range(box.count())), key=box.fontMetrics().horizontalAdvance)
    assert box.sizeAdjustPolicy() == box.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
    assert box.sizeHint().width() > box.fontMetrics().horizontalAdvance(longest) + 10
    box.setCurrentIndex(2)  # the third sample of the batch
    assert panel.sample == 2
    assert panel.walkthrough.lines[0].key.endswith("@2")


def test_walkthrough_follows_the_notation_and_exports(window, qtbot, monkeypatch, tmp_path):
    t, s = window.teaching, window.session
    panel = t.panel
    s.step_sample()
    assert panel.ensure_current() is panel.walkthrough  # brought up to date although hidden
    t.show_walkthrough()
    assert panel.walkthrough.line("delta[2,0]@0").text().startswith("δ₁⁽³⁾ = (a₁⁽³⁾ − t₁)")
    # the notation menu of the panel sets the project's view options
    for key, group in panel._radio_groups:
        if key == "notation":
            next(a for a in group.actions() if a.data() == "error_signal").trigger()
        if key == "bias_style":
            next(a for a in group.actions() if a.data() == "node").trigger()
    assert s.notation == "error_signal" and s.view_option("bias_style") == "node"
    line = panel.walkthrough.line("delta[2,0]@0")
    assert line.text().startswith("Δ₁⁽³⁾ = (t₁ − a₁⁽³⁾)")
    assert "w₁₀⁽¹⁾·x₀" in panel.walkthrough.line("z[1,0]@0").text()

    panel.act_copy_text.trigger()
    assert "Δ₁⁽³⁾ = (t₁ − a₁⁽³⁾)" in QApplication.clipboard().text()
    panel.act_copy_markdown.trigger()
    assert "## Backward: layer 3" in QApplication.clipboard().text()
    out = tmp_path / "report"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    panel.act_export_html.trigger()
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<sub>" in page and "Δ<sub>1</sub><sup>(3)</sup>" in page


def test_a_course_preset_and_letters_rewrite_every_view(window, qtbot, tmp_path):
    """Issue 14.4/14.7: Walkthrough ▸ Notation ▸ Course Preset sets the notes' letters everywhere; a
    letter chosen alone swaps with the role that had it; the preset is saved with the project."""
    t, s = window.teaching, window.session
    panel = t.panel
    s.step_sample()
    t.show_walkthrough()
    menu = panel.notation_button.menu().findChild(type(panel.notation_button.menu()), "menu_notation_preset")
    rn = next(a for a in menu.actions() if a.data() == "russell_norvig")
    rn.trigger()
    assert s.view_option("letter_net") == "in" and s.view_option("letter_lr") == "α"
    assert panel.walkthrough.line("delta[2,0]@0").text().startswith("Δ₅ = (y₅ − a₅)·σ′(in₅)")
    assert rn.isChecked()
    # the View menu follows
    view_menu = window.findChild(type(panel.notation_button.menu()), "menu_course_notation")
    checked = [a.data() for a in view_menu.actions() if a.isChecked()]
    assert checked == ["russell_norvig"]
    # one letter alone: the learning rate back to η swaps the momentum back to α; the preset is gone
    lr_menu = panel.notation_button.menu().findChild(type(menu), "menu_letter_lr")
    assert lr_menu.title() == "Learning rate"
    next(a for a in lr_menu.actions() if a.data() == "η").trigger()
    assert (s.view_option("letter_lr"), s.view_option("letter_momentum")) == ("η", "α")
    assert [a.data() for a in view_menu.actions() if a.isChecked()] == ["custom"]
    # the View menu's preset; saved with the project and read back by the command line
    next(a for a in view_menu.actions() if a.data() == "nielsen").trigger()
    assert "∂C/∂w" in "\n".join(ln.text() for ln in panel.walkthrough.lines)
    assert s.view_option("walkthrough_weight_index") == "target"
    from bpstudio.formats import load_project, save_project

    s.sync_project()
    save_project(tmp_path / "p.bps.json", s.project)
    from bpstudio.teaching.notation import Notation, preset_of

    assert preset_of(Notation.from_view(load_project(tmp_path / "p.bps.json").view)) == "nielsen"


def test_the_exercise_dialog_writes_the_exercise_in_a_chosen_preset(qtbot):
    from bpstudio.app.exercises.dialog import ExerciseDialog
    from bpstudio.teaching import Notation
    from bpstudio.teaching.notation import preset_of
    from bpstudio.workspace import load_example

    dlg = ExerciseDialog(None, load_example("xor"), Notation(digits=5))
    qtbot.addWidget(dlg)
    assert dlg.chosen_notation() == Notation(digits=5) and "custom" == preset_of(dlg.chosen_notation())
    dlg.notation_box.setCurrentIndex(dlg.notation_box.findData("bmb3015"))
    assert dlg.notation_text.text().startswith("BMB3015; δ = (y − a)·f′(z) = −∂J/∂z")
    ex = dlg.exercise()
    assert preset_of(ex.notation) == "bmb3015" and ex.notation.digits == 5
    key = next(q.key for q in ex.questions() if q.kind == "delta")
    assert ex.walkthrough.line(key).text().startswith("δ")


# ---------------------------------------------------------------------------- exercises
def test_student_does_an_exercise_saves_reopens_and_exports(window, qtbot, monkeypatch, tmp_path):
    t, s = window.teaching, window.session
    open_via_file_menu(window, monkeypatch, XOR_EXERCISE)
    assert t.exercise is not None and t.exercise_dock.isVisible()
    assert s.locked and s.presenter().trace is None
    # the network, settings and steps are locked; the step buttons are greyed out and say why (12.12)
    actions = window.training.actions
    for key in ("micro_step", "step_sample", "step_batch", "step_epoch", "run", "reset_weights"):
        assert not actions[key].isEnabled(), key
        assert "Unavailable now" in actions[key].toolTip() and "exercise" in actions[key].toolTip()
    before = s.network.weights[0].copy()
    s.micro_step()
    assert s.trace is None and window.warnings[-1][0] == "The project is locked"
    assert not s.edit_network("x", lambda n: None)
    assert not s.set_config(s.config) and not s.set_dataset({"builtin": "and", "params": {}})
    assert (s.network.weights[0] == before).all()

    panel = t.exercise_panel
    ex = load_exercise(XOR_EXERCISE)
    keys = [q.key for q in ex.questions()]
    values = {q.key: q.value for q in ex.questions()}
    first = keys[0]
    label = panel.rows[first].label.text()
    assert "?" in label and "0.22" not in label
    answer(qtbot, panel, first, "0.3")
    assert "not right" in panel.rows[first].status.text()
    hint_button = panel.findChild(QToolButton, f"hint:{first}")
    hint_button.click()
    assert (
        panel.rows[first].hint.isVisible() and "b<sub>1</sub><sup>(2)</sup>" in panel.rows[first].hint.text()
    )
    answer(qtbot, panel, first, "0.31 + 0.14 - 0.23")
    assert "right" in panel.rows[first].status.text() and "not" not in panel.rows[first].status.text()
    assert "= <b>0.22</b>" in panel.rows[first].label.text()
    assert QApplication.focusWidget() is panel.findChild(QLineEdit, f"answer:{keys[1]}")
    # a line computed from an unanswered question stays hidden: σ′(z₁⁽²⁾) needs a₁⁽²⁾
    assert "…" in panel.rows["fprime[1,0]@0"].label.text()
    answer(qtbot, panel, keys[1], format_number(values[keys[1]]))
    assert "…" not in panel.rows["fprime[1,0]@0"].label.text()

    panel.student.setText("")
    qtbot.keyClicks(panel.student, "Ana Lee")
    proposed: list[str] = []
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        lambda *a, **k: (proposed.append(a[2]), (str(tmp_path / "ana"), ""))[1],
    )
    panel.save_button.click()
    name = Path(proposed[0]).name  # a name every system accepts (issue 12, item 8)
    assert name.endswith("-ana-lee.bpa.json") and not set(name) & set(':,<>"|?* ')
    saved = tmp_path / "ana.bpa.json"
    doc = read_json(saved)
    assert (
        doc["student"] == "Ana Lee"
        and doc["answers"][first]["attempts"] == 2
        and doc["answers"][first]["hinted"]
    )

    # close the exercise, open the answers again: the work is back, the window locked again
    t.close_exercise()
    assert t.attempt is None and not s.locked and not t.exercise_dock.isVisible()
    open_via_file_menu(window, monkeypatch, saved)
    assert t.attempt is not None and t.attempt.student == "Ana Lee" and s.locked
    assert t.attempt.answers[first].correct and t.attempt.answers[first].hinted
    assert t.exercise_panel.student.text() == "Ana Lee"
    for key in keys[2:]:
        answer(qtbot, t.exercise_panel, key, format_number(values[key]))
    wrong = {k: (a.text, a.verdict.status) for k, a in t.attempt.answers.items() if not a.correct}
    assert not wrong
    assert t.exercise_panel.score.text().startswith("All done! Score: 28 / 28")

    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "res"), "JSON (*.json)")
    )
    t.exercise_panel.export_button.click()
    res = json.loads((tmp_path / "res.json").read_text(encoding="utf-8"))
    assert res["score"]["correct"] == 28 and res["score"]["hints"] == 1
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "res.csv"), ""))
    t.act_export.trigger()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "res.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 28 and all(r["correct"] == "yes" for r in rows) and rows[0]["student"] == "Ana Lee"


def test_unsaved_answers_are_offered_for_saving_before_closing(window, qtbot, monkeypatch, tmp_path):
    t = window.teaching
    open_via_file_menu(window, monkeypatch, XNOR_EXERCISE)
    answer(qtbot, t.exercise_panel, "z[1,0]@0", "-0.3")
    asked = []

    def question(*args, **kwargs):
        asked.append(args[1])
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", question)
    assert not t.close_exercise() and t.attempt is not None
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    assert t.close_exercise() and t.attempt is None
    assert asked == ["Unsaved answers"]


def test_xnor_exercise_hides_the_canvas_values(window, qtbot, monkeypatch):
    t, s = window.teaching, window.session
    open_via_file_menu(window, monkeypatch, XNOR_EXERCISE)
    assert s.network.activations == ["step", "step"]
    t.show_walkthrough()
    assert s.presenter().trace is None and t.panel.walkthrough is None  # no values anywhere but the exercise
    assert "exercise" in t.panel.message.text()
    assert len(t.attempt.questions) == 24
    answer(qtbot, t.exercise_panel, "a[2,0]@3", "1")
    assert t.attempt.answers["a[2,0]@3"].correct


def test_an_exercise_too_large_to_work_by_hand_is_refused(window, qtbot, monkeypatch, tmp_path):
    """An exercise file of a hidden layer of 4,096 asked whole (18,789 questions) held the window for
    five minutes while it made a box for each. Now it is refused with the reason, and the project
    that was open stays open; so is a practice of that many quantities."""
    import copy

    from bpstudio.engine import edits as ed
    from bpstudio.teaching import Exercise, save_exercise

    t, s = window.teaching, window.session
    wide_network(window, qtbot, 4096)
    project = copy.copy(s.project)
    project.network = s.network.copy()
    path = tmp_path / "wide.bpx.json"
    save_exercise(path, Exercise(project=project, title="wide"))
    s.edit_network("narrow", lambda n: ed.resize_layer(n, 1, 3, ed.Initial("uniform", {"r": 0.5}, 0)), True)
    open_via_file_menu(window, monkeypatch, path)
    assert window.warnings[-1][0] == "Cannot open the file"
    assert "18,789 questions, and the window asks at most 1,000" in window.warnings[-1][1]
    assert t.attempt is None and not s.locked and s.network.sizes == [2, 3, 1]
    # a practice of every z, a and δ of the wide step: 12,291 boxes
    s.undo_stack.undo()
    s.step_sample()
    for kind, action in t.practice_actions.items():
        action.setChecked(kind in ("z", "a", "delta"))
    assert not t.start_practice()
    assert window.warnings[-1][0] == "Too much to practise"
    assert "12,291 quantities" in window.warnings[-1][1] and not s.locked and t.attempt is None


def test_practice_on_the_current_step(window, qtbot):
    t, s = window.teaching, window.session
    s.step_sample()
    for kind, action in t.practice_actions.items():
        action.setChecked(kind == "delta")
    assert t.start_practice()
    keys = t.attempt.keys()
    assert keys and all(k.startswith("delta[") for k in keys)
    assert s.locked and not t.exercise_panel.save_button.isVisible()
    for key in keys:
        answer(qtbot, t.exercise_panel, key, format_number(t.attempt.question(key).value))
    assert t.attempt.complete()
    t.exercise_panel.close_button.click()
    assert not s.locked and t.attempt is None
    step = window.training.actions["step_batch"]
    assert step.isEnabled() and "Unavailable" not in step.toolTip()


def test_teacher_creates_an_exercise(window, monkeypatch, tmp_path):
    from bpstudio.app.exercises.dialog import ExerciseDialog

    t = window.teaching

    def fill(dialog):
        dialog.title.setText("My exercise")
        dialog.samples.setText("2-3")
        for kind, box in dialog.kind_boxes.items():
            box.setChecked(kind in ("delta", "dw"))
        dialog.relative.setValue(2.0)
        assert dialog.count.text().startswith("15 questions") or dialog.ok_button.isEnabled()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExerciseDialog, "exec", fill)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "mine"), ""))
    t.act_create.trigger()
    ex = load_exercise(tmp_path / "mine.bpx.json")
    assert ex.title == "My exercise" and ex.samples == [1, 2] and ex.tolerance.relative == pytest.approx(0.02)
    assert {q.kind for q in ex.questions()} == {"delta", "dw"}
    assert len(ex.questions()) == 3 * 2 + 9


def test_exercise_dialog_reports_problems(qtbot):
    from bpstudio.app.exercises.dialog import ExerciseDialog
    from bpstudio.teaching import Notation
    from bpstudio.workspace import load_example

    dlg = ExerciseDialog(None, load_example("xor"), Notation())
    qtbot.addWidget(dlg)
    assert dlg.ok_button.isEnabled() and dlg.count.text().startswith("28 questions")
    dlg.samples.setText("10")
    assert not dlg.ok_button.isEnabled() and "does not exist" in dlg.count.text()
    dlg.samples.setText("1")
    for box in dlg.kind_boxes.values():
        box.setChecked(False)
    assert not dlg.ok_button.isEnabled()


def test_exercise_dialog_refuses_more_questions_than_the_window_asks(qtbot):
    from bpstudio.app.exercises.dialog import ExerciseDialog
    from bpstudio.engine import edits as ed
    from bpstudio.teaching import Notation
    from bpstudio.workspace import load_example

    project = load_example("xor")
    ed.resize_layer(project.network, 1, 400, ed.Initial("uniform", {"r": 0.5}, 0))
    dlg = ExerciseDialog(None, project, Notation())
    qtbot.addWidget(dlg)
    assert not dlg.ok_button.isEnabled() and "the window asks at most 1,000" in dlg.count.text()
    for kind, box in dlg.kind_boxes.items():
        box.setChecked(kind == "delta")
    assert dlg.ok_button.isEnabled() and dlg.count.text().startswith("401 questions")


def test_answered_fields_stay_readable_after_switching_to_dark(window, qtbot):
    """Issue 12.13: answered exercise fields kept light text on a light field after the theme changed."""
    from PySide6.QtGui import QPalette

    from bpstudio.app.theme import apply_theme

    t, s = window.teaching, window.session
    s.step_sample()
    assert t.start_practice()
    key = t.attempt.keys()[0]
    answer(qtbot, t.exercise_panel, key, format_number(t.attempt.question(key).value))
    edit = t.exercise_panel.rows[key].edit
    app = QApplication.instance()
    try:
        apply_theme(app, "dark")
        dark = app.palette()

        def restyled() -> bool:
            sheet = edit.styleSheet()
            return (
                dark.color(QPalette.ColorRole.Text).name() in sheet
                and dark.color(QPalette.ColorRole.Base).name() in sheet
            )

        qtbot.waitUntil(restyled)
    finally:
        apply_theme(app, "system")  # the tests' theme
    t.exercise_panel.close_button.click()
