"""Autosave and recovery (app/recovery.py), and unexpected errors shown and logged (app/error_report.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from bpstudio.app import recovery
from bpstudio.app.error_report import ErrorReporter
from bpstudio.app.main_window import MainWindow
from bpstudio.engine import edits as ed
from bpstudio.formats import load_project
from tests.gui_helpers import answer_dialogs, shown_window, when_modal

ROOT = Path(__file__).resolve().parents[1]
XOR_CSV = "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"


@pytest.fixture
def answers(monkeypatch):
    return answer_dialogs(monkeypatch)


@pytest.fixture
def window(qtbot, answers):
    return shown_window(qtbot)


def widen(window, n: int) -> None:
    """Give the hidden layer ``n`` neurons, as the Layer dialog does."""
    init = ed.Initial("uniform", {"r": 0.5}, 0)
    assert window.session.edit_network(
        "resize", lambda net: ed.resize_layer(net, 1, n, init), structural=True
    )


def menu_action(window, text: str):
    for a in window.menus["file"].actions():
        if a.text().replace("&", "") == text:
            assert a.isEnabled() and a.isVisible()
            return a
    raise AssertionError(f"no {text!r} in the File menu")


def test_unsaved_work_is_copied_and_the_copy_goes_once_it_is_saved(window, answers, tmp_path):
    saver = window.autosaver
    saver.timer.timeout.emit()
    saver.wait()
    assert not saver.has_copy()  # nothing unsaved, nothing copied
    widen(window, 5)
    saver.timer.timeout.emit()
    saver.wait()
    assert saver.has_copy() and saver.copies == 1
    assert load_project(saver.file("project")).network.sizes == [2, 5, 1]
    meta = json.loads(saver.meta_file.read_text(encoding="utf-8"))
    assert meta["format"] == "bpstudio-recovery" and meta["original"] == "" and meta["name"]
    answers.files.append(tmp_path / "mine.bps.json")
    menu_action(window, "Save").trigger()
    assert (tmp_path / "mine.bps.json").is_file() and not window.session.dirty
    assert not saver.has_copy() and not saver.meta_file.exists()
    widen(window, 6)
    saver.timer.timeout.emit()
    saver.wait()
    meta = json.loads(saver.meta_file.read_text(encoding="utf-8"))
    assert meta["original"] == str(tmp_path / "mine.bps.json")
    window.session.undo_stack.undo()  # back to the saved state: nothing unsaved to keep
    assert not window.session.dirty and not saver.has_copy()


def test_no_copy_while_a_run_trains_and_none_left_when_the_window_closes(window, qtbot):
    saver = window.autosaver
    widen(window, 3)
    window.session.running = True  # as while a run trains a copy of the network in the background
    saver.timer.timeout.emit()
    saver.wait()
    assert not saver.has_copy()
    window.session.running = False
    saver.timer.timeout.emit()
    saver.wait()
    assert saver.has_copy()
    lock = saver.folder / f"{saver.key}.lock"
    assert lock.exists()
    window.close()  # the unsaved-changes prompt answered Discard (answer_dialogs)
    assert not saver.has_copy() and not lock.exists()
    assert recovery.orphaned_entries() == []


def test_a_copy_slow_to_write_is_made_less_often(window, monkeypatch):
    saver = window.autosaver
    widen(window, 3)
    assert saver.save_now()
    saver.wait()
    assert saver.timer.interval() == recovery.AUTOSAVE_SECONDS * 1000
    clock = iter([100.0, 105.0])  # a network of millions of weights: the copy took 5 s
    monkeypatch.setattr(recovery, "_clock", lambda: next(clock))
    assert saver.save_now()
    saver.wait()
    assert saver.timer.interval() == 250_000  # 5 s is 2 % of 250 s


def test_the_copy_is_written_outside_the_window_and_a_save_meanwhile_wins(
    window, answers, tmp_path, monkeypatch
):
    """save_now returns while the copy is still being written; a save during the write leaves no copy
    behind (the copy, written after the save, holds nothing unsaved)."""
    gate = threading.Event()
    write = recovery.save_project_document

    def slow_write(path, doc):
        assert gate.wait(10)
        write(path, doc)

    monkeypatch.setattr(recovery, "save_project_document", slow_write)
    saver = window.autosaver
    widen(window, 4)
    assert saver.save_now()
    assert not saver.has_copy() and not saver.save_now()  # one copy at a time
    window.session.save(tmp_path / "saved.bps.json")
    gate.set()
    saver.wait()
    assert not saver.has_copy() and not saver.meta_file.exists()


def test_an_open_window_s_copy_is_not_offered_to_another(window):
    widen(window, 3)
    assert window.autosaver.save_now()
    window.autosaver.wait()
    assert window.autosaver.has_copy()
    assert recovery.orphaned_entries() == []  # its process (this one) holds the lock


CRASHING_WINDOW = """
import os, signal, sys
from PySide6.QtCore import QTimer
from bpstudio.app import recovery
from bpstudio.app.launch import build_window, make_app
from bpstudio.engine import edits as ed

recovery.AUTOSAVE_SECONDS = 0.05
app = make_app()
window = build_window(sys.argv[1])
window.show()
init = ed.Initial("uniform", {"r": 0.5}, 0)
window.session.edit_network("wide", lambda net: ed.resize_layer(net, 1, 7, init), structural=True)

def crash_once_copied():
    if window.autosaver.meta_file.exists():
        os.kill(os.getpid(), signal.SIGKILL)  # no closeEvent, no clean-up: as a power cut

poll = QTimer()
poll.timeout.connect(crash_once_copied)
poll.start(10)
QTimer.singleShot(30000, lambda: sys.exit(3))
app.exec()
"""


def test_work_left_by_a_killed_window_is_recovered_with_its_data(qtbot, answers, tmp_path, monkeypatch):
    """A window is killed after its autosave; the next window offers the copy, which opens unsaved,
    saves to the project's own file and still finds the data file named relative to that file."""
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "xor.csv").write_text(XOR_CSV, encoding="utf-8")
    monkeypatch.chdir(folder)
    first = MainWindow()
    qtbot.addWidget(first)
    assert first.session.set_dataset({"file": "xor.csv"})  # relative to the current folder…
    first.session.save(folder / "net.bps.json")  # …and then to the project's
    first.close()
    spec = json.loads((folder / "net.bps.json").read_text(encoding="utf-8"))["dataset"]
    assert spec["file"] == "xor.csv"

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASHING_WINDOW), str(folder / "net.bps.json")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr[-2000:]
    entries = recovery.orphaned_entries()
    assert len(entries) == 1 and entries[0].original == str(folder / "net.bps.json")
    assert "net.bps.json" in entries[0].label() and "autosaved today at" in entries[0].label()

    monkeypatch.chdir(ROOT)  # the data file must be found from the project's folder, not the current one
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    opened = []
    when_modal("recoveryDialog", lambda dlg: (opened.append(dlg.list.count()), dlg.open_button.click()))
    menu_action(w, "Recover Unsaved Work…").trigger()
    assert opened == [1]
    s = w.session
    assert s.network.sizes == [2, 7, 1] and s.dirty and s.path == folder / "net.bps.json"
    assert s.trainer is not None, s.trainer_problem
    assert s.project.dataset["file"] == "xor.csv"
    assert w.windowTitle().startswith("net.bps.json[*]") and w.isWindowModified()
    assert recovery.orphaned_entries() == []  # the old copy is gone, this window's own one replaces it
    assert w.autosaver.has_copy()
    w.documents.save()
    assert load_project(folder / "net.bps.json").network.sizes == [2, 7, 1]
    assert not w.autosaver.has_copy()


def test_an_exercise_s_unsaved_answers_are_copied_and_recovered(qtbot, answers, monkeypatch, tmp_path):
    """While an exercise is open, the copy is the student's answers (the project is the exercise's,
    locked); a window that dies leaves them to the next, which reopens the exercise with them."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit

    from bpstudio import resource_path
    from bpstudio.teaching import load_answers

    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    assert first.documents.open_path(resource_path("exercises", "xor-backprop-221.bpx.json"), ask=False)
    room, saver = first.teaching, first.autosaver
    saver.timer.timeout.emit()
    saver.wait()
    assert not saver.has_copy()  # nothing typed yet
    key = room.exercise.questions()[0].key
    edit = room.exercise_panel.findChild(QLineEdit, f"answer:{key}")
    edit.setFocus()
    qtbot.keyClicks(edit, "0.3")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert room.unsaved
    saver.timer.timeout.emit()
    saver.wait()
    assert saver.has_copy("answers") and not saver.has_copy("project")
    _exercise, attempt = load_answers(saver.file("answers"))
    assert attempt.answers[key].text == "0.3"

    saver._lock.unlock()  # as if its process had died: the lock is stale, the copy stays
    saver._lock = None
    (entry,) = recovery.orphaned_entries()
    assert entry.kind == "answers" and entry.name.startswith("Answers to ") and "never saved" in entry.label()

    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    when_modal("recoveryDialog", lambda dlg: dlg.open_button.click())
    assert recovery.offer_recovery(second) is True
    room2 = second.teaching
    assert room2.exercise is not None and room2.exercise.title == room.exercise.title
    assert room2.attempt.answers[key].text == "0.3" and room2.unsaved and second.session.locked
    assert second.autosaver.has_copy("answers") and not entry.file.exists()
    answers.files.append(tmp_path / "ana.bpa.json")
    room2.save_answers()
    assert not room2.unsaved
    second.autosaver.timer.timeout.emit()  # nothing unsaved any more: the copy goes
    assert not second.autosaver.has_copy()


def orphan(folder: Path, key: str, project_text: str, meta_text: str) -> recovery.Entry:
    """The files a window that died would have left (no lock file: it was never released)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{key}.bps.json").write_text(project_text, encoding="utf-8")
    (folder / f"{key}.meta.json").write_text(meta_text, encoding="utf-8")
    (entry,) = [e for e in recovery.orphaned_entries() if e.key == key]
    return entry


def test_a_damaged_copy_is_refused_with_a_message_and_can_be_deleted(window, answers):
    folder = recovery.recovery_folder()
    entry = orphan(folder, "123-1-1", '{"format": "bpstudio-project", "versi', "not json at all \x00")
    assert entry.name == "Unnamed project" and entry.original == ""  # what the meta file could not say
    before = window.session.project
    answers.question = QMessageBox.StandardButton.Yes

    def act(dlg):
        dlg.open_button.click()
        assert dlg.isVisible() and answers.warnings and "Cannot recover" in answers.warnings[-1][0]
        assert str(folder) in answers.warnings[-1][1]
        dlg.delete_button.click()  # asked first (answered Yes): then the dialog has nothing left

    when_modal("recoveryDialog", act)
    assert not recovery.offer_recovery(window)
    assert window.session.project is before
    assert not entry.file.exists() and not entry.meta_file.exists()
    assert recovery.orphaned_entries() == []


def test_recover_with_nothing_to_recover_says_so(window, monkeypatch):
    said = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, title, text: said.append(text))
    menu_action(window, "Recover Unsaved Work…").trigger()
    assert said == ["There is no unsaved work to recover."]


def test_not_now_keeps_the_copies_for_later(window):
    meta = json.dumps(
        {"format": "bpstudio-recovery", "version": 1, "name": "Lab 3", "original": "", "saved": 1e9}
    )
    text = (ROOT / "resources" / "examples").glob("*.bps.json")
    entry = orphan(recovery.recovery_folder(), "9-9-9", next(iter(sorted(text))).read_text("utf-8"), meta)
    assert entry.name == "Lab 3" and entry.saved == 1e9 and "never saved" in entry.label()
    when_modal("recoveryDialog", lambda dlg: dlg.later_button.click())
    assert not recovery.offer_recovery(window)
    assert [e.key for e in recovery.orphaned_entries()] == ["9-9-9"]


# ---------------------------------------------------------------------------------------------- errors
@pytest.fixture
def reporter(window, tmp_path):
    r = ErrorReporter(lambda: window, folder=tmp_path / "logs")
    r.install()
    yield r
    r.uninstall()
    if r.box is not None:
        r.box.close()


def test_an_unhandled_error_in_a_slot_is_shown_and_logged(reporter, qtbot, capsys):
    def broken_slot():
        raise ZeroDivisionError("division by zero in a slot")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: reporter.box is not None and reporter.box.isVisible())
    box = reporter.box
    assert "ZeroDivisionError: division by zero in a slot" in box.text()
    assert str(reporter.log_file) in box.text() and "Save As" in box.text()
    assert "broken_slot" in box.detailedText()
    assert "broken_slot" in reporter.log_file.read_text(encoding="utf-8")
    assert "ZeroDivisionError" in capsys.readouterr().err  # still on the console too

    QTimer.singleShot(0, broken_slot)  # another while the message is open: counted, not a new box
    qtbot.waitUntil(lambda: reporter.more == 1)
    assert reporter.box is box and "1 more error followed" in box.text()
    copy = [b for b in box.buttons() if b.objectName() == "errorReportCopy"][0]
    copy.click()
    assert "broken_slot" in QApplication.clipboard().text()
    assert box.isVisible()  # copying does not close it
    box.button(QMessageBox.StandardButton.Close).click()
    qtbot.waitUntil(lambda: reporter.box is None)


def test_an_error_in_a_thread_is_shown_in_the_window(reporter, qtbot):
    def work():
        raise ValueError("bad value in a worker")

    thread = threading.Thread(target=work, name="worker")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: reporter.box is not None)
    assert "ValueError: bad value in a worker" in reporter.box.text()
    assert "in thread worker" in reporter.log_file.read_text(encoding="utf-8")


def test_the_error_log_keeps_its_newer_half(reporter):
    from bpstudio.app import error_report

    reporter.log_file.parent.mkdir(parents=True, exist_ok=True)
    reporter.log_file.write_bytes(b"old line\n" * (error_report.MAX_LOG_BYTES // 9 + 10))
    try:
        raise RuntimeError("the newest")
    except RuntimeError as exc:
        reporter.report(RuntimeError, exc, exc.__traceback__)
    text = reporter.log_file.read_text(encoding="utf-8")
    assert len(text) <= error_report.MAX_LOG_BYTES // 2 + 2000 and text.rstrip().endswith(
        "RuntimeError: the newest"
    )
    assert text.startswith("old line\n")  # cut at a line's start


def test_the_message_names_the_error_without_pyside_s_wrapping():
    from bpstudio.app.error_report import MAX_SUMMARY, summary_of

    wrapped = KeyError("Error calling Python override of QObject::eventFilter(): " * 3 + "layer 3")
    assert summary_of(KeyError, wrapped) == "KeyError: 'layer 3'"
    assert len(summary_of(ValueError, ValueError("x" * 5000))) == MAX_SUMMARY


def test_any_meta_file_gives_an_entry_with_a_name_and_a_time():
    """The meta file is read like every other file a user's folder may hold damaged: whatever it holds,
    the copy is still listed, with what could be read and the project file's time for the rest."""
    import random

    good = json.dumps(
        {
            "format": "bpstudio-recovery",
            "version": 1,
            "name": "Lab",
            "original": "/a/b.bps.json",
            "saved": 1.7e9,
        }
    ).encode()
    variants = [
        b"",
        b"\x00" * 10,
        b"{",
        b"[]",
        b"\xff\xfe{}",
        b'{"format": "bpstudio-recovery", "name": 5, "saved": "x", "original": ["a"]}',
        b'{"format": "bpstudio-recovery", "saved": 1e400}',
        b'{"format": "bpstudio-recovery", "saved": true, "name": "   "}',
        b'{"format": "bpstudio-recovery", "saved": -1e300}',
        b'{"format": "bpstudio-recovery", "name": "a\\u0000b", "original": "x\\u0000y"}',
        b'{"format": "bpstudio-recovery", "name": "' + b"n" * 100_000 + b'"}',
        b" " * (recovery.MAX_META_BYTES + 1),
    ]
    rng = random.Random(5)
    for _ in range(150):
        raw = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(raw))
            raw[i] = rng.randrange(256)
        variants.append(bytes(raw[: rng.randint(0, len(raw))]) if rng.random() < 0.3 else bytes(raw))
    folder = recovery.recovery_folder()
    folder.mkdir(parents=True)
    for i, raw in enumerate(variants):
        (folder / f"{i}.bps.json").write_text("{}", encoding="utf-8")
        (folder / f"{i}.meta.json").write_bytes(raw)
        (entry,) = recovery.orphaned_entries()
        assert isinstance(entry.name, str) and 0 < len(entry.name) <= 200 and entry.name.isprintable()
        assert "\0" not in entry.original
        assert isinstance(entry.saved, float) and entry.saved > 0 and isinstance(entry.label(), str)
        entry.remove()


def test_the_launched_window_reports_errors_and_offers_what_a_crash_left(window, qtbot):
    """bpstudio's own start (launch.look_after): the error hooks are in place, and a copy left by a
    window that died is offered once the event loop runs."""
    import sys

    from bpstudio.app.launch import look_after

    text = (ROOT / "resources" / "examples").glob("*.bps.json")
    orphan(recovery.recovery_folder(), "77-1-1", next(iter(sorted(text))).read_text("utf-8"), "{}")
    seen = []
    when_modal("recoveryDialog", lambda dlg: (seen.append(dlg.list.count()), dlg.later_button.click()))
    reporter = look_after(window)
    try:
        assert sys.excepthook == reporter.excepthook and threading.excepthook == reporter.thread_excepthook
        qtbot.waitUntil(lambda: seen == [1])
    finally:
        reporter.uninstall()
    assert sys.excepthook != reporter.excepthook


def test_a_key_with_copies_of_both_kinds_is_one_entry_the_newer():
    """A crash between writing the answers' copy and removing the project's leaves both: one entry,
    the newer, and removing it removes both."""
    folder = recovery.recovery_folder()
    folder.mkdir(parents=True)
    (folder / "5-1-1.bps.json").write_text("{}", encoding="utf-8")
    (folder / "5-1-1.bpa.json").write_text("{}", encoding="utf-8")
    os.utime(folder / "5-1-1.bps.json", (1.6e9, 1.6e9))
    (entry,) = recovery.orphaned_entries()
    assert entry.kind == "answers"
    entry.remove()
    assert list(folder.glob("5-1-1*")) == []


def test_a_box_that_cannot_be_shown_does_not_ask_for_itself_again(reporter, qtbot, monkeypatch):
    """Showing the message failing (the window gone) must not report an error that asks for the
    message again, for ever."""
    calls = []

    def broken(*_a):
        calls.append(1)
        raise RuntimeError("Internal C++ object already deleted")

    monkeypatch.setattr(reporter, "_show_box", broken)
    reporter.reported.emit("ValueError: x", "details")
    qtbot.waitUntil(lambda: calls == [1])
    QApplication.processEvents()
    QApplication.processEvents()
    assert calls == [1] and reporter.box is None


def test_a_recovery_folder_that_cannot_be_written_is_said_once(window, tmp_path):
    """(Root ignores file permissions, so the folder is a file here.)"""
    said = []
    window.session.statusMessage.connect(said.append)
    saver = window.autosaver
    saver.folder = tmp_path / "a-file"
    saver.folder.write_text("not a folder", encoding="utf-8")
    widen(window, 3)
    for _ in range(3):
        saver.timer.timeout.emit()
        saver.wait()
    failures = [m for m in said if m.startswith("Autosave failed")]
    assert len(failures) == 1 and "a-file" in failures[0]
    saver.folder = tmp_path / "folder"  # writable again: the next tick copies, and says nothing
    saver.timer.timeout.emit()
    saver.wait()
    assert saver.has_copy() and len([m for m in said if m.startswith("Autosave failed")]) == 1


CRASHING_PROCESS = """
import ctypes, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from bpstudio.app.error_report import ErrorReporter

app = QApplication([])
ErrorReporter(lambda: None, folder=Path(sys.argv[1])).install()

def deep_inside_bpstudio():
    ctypes.string_at(0)  # a fault in native code, as a crash in Qt would be

deep_inside_bpstudio()
"""


def test_a_crash_of_the_process_leaves_its_python_stack_in_crash_log(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", CRASHING_PROCESS, str(tmp_path)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode < 0  # killed by the signal
    log = (tmp_path / "crash.log").read_text(encoding="utf-8")
    assert "Fatal Python error" in log and "deep_inside_bpstudio" in log
