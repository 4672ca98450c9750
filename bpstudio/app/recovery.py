"""Autosave and recovery: unsaved work survives a crash, a power cut or a lab PC switched off.

While the open project has unsaved changes, or an exercise has answers the student has not saved,
the window writes a copy of them every :data:`AUTOSAVE_SECONDS` (a project not while a run is
training) into the recovery folder, ``<data folder>/bpstudio/recovery``
(``~/.local/share/bpstudio/recovery`` on Linux, ``%LOCALAPPDATA%\\bpstudio\\recovery`` on Windows).
Each window's copy is three files named by a key of its own::

    KEY.bps.json    the project as it stood (an ordinary project file; data files named for this folder)
    KEY.bpa.json    or the exercise's answers (an ordinary answers file, the exercise in it)
    KEY.meta.json   what it is: {"format": "bpstudio-recovery", "version": 1, "kind", "name",
                    "original", "saved"}
    KEY.lock        a QLockFile the window's process holds while it runs

Saving the project (or the answers), opening or starting another one, undoing back to the saved
state and closing the window remove the copy: it only ever holds work that is not saved anywhere
else. At the next start, copies whose process is gone (its lock is stale) are offered in *Recover
Unsaved Work*; File ▸ Recover Unsaved Work… offers them later. A recovered project (or exercise)
opens with unsaved changes and saves to the file it came from (or asks for a name if it never had
one).

This module only moves files and asks the user: :meth:`Session.copy_document` gives the project as a
document (in the GUI thread), a thread of the autosaver writes it with the formats package, and
:meth:`Session.restore` opens a recovered one; answers go through ``teaching.results`` and the
teaching room alike.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLockFile, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from ..data.files import rebase_data_paths
from ..engine import EngineError
from ..formats import load_project, save_document, save_project_document
from ..formats.io import read_json, write_json_atomic
from ..teaching import ANSWERS, ANSWERS_SUFFIX, load_answers
from ..teaching.results import answers_to_dict
from . import gui_gc
from .dialogs import run_modal
from .screen_fit import fit_dialog
from .settings import data_folder

if TYPE_CHECKING:
    from .main_window import MainWindow

#: how often a project with unsaved changes is copied (seconds); longer when a copy is slow to write
AUTOSAVE_SECONDS = 60
#: a copy may take at most this share of the time between copies (a network of millions of weights
#: takes seconds to write: it is then copied less often, so the window stays responsive)
AUTOSAVE_SHARE = 0.02
META_FORMAT = "bpstudio-recovery"
META_VERSION = 1
#: the largest meta file read (it holds a name, a path and a time)
MAX_META_BYTES = 64 * 1024
PROJECT_SUFFIX = ".bps.json"
#: the file of each kind of copy: a project, or an exercise's answers
SUFFIXES = {"project": PROJECT_SUFFIX, "answers": ANSWERS_SUFFIX}
META_SUFFIX = ".meta.json"
LOCK_SUFFIX = ".lock"

_windows = itertools.count(1)
_clock = time.perf_counter


def recovery_folder() -> Path:
    """``<data folder>/bpstudio/recovery`` (:func:`~bpstudio.app.settings.data_folder`)."""
    return data_folder() / "recovery"


def _lock(path: Path) -> QLockFile:
    lock = QLockFile(str(path))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however old it is
    return lock


def _remove(*paths: Path) -> None:
    for p in paths:
        try:
            p.unlink()
        except FileNotFoundError:
            pass


@dataclass(frozen=True)
class Entry:
    """One autosaved copy left by a window whose process is gone."""

    folder: Path
    key: str
    name: str
    #: the project's (or the answers') file when the copy was made ("" if it had never been saved)
    original: str
    #: when the copy was made (seconds since the epoch)
    saved: float
    #: "project" or "answers"
    kind: str = "project"

    @property
    def file(self) -> Path:
        return self.folder / f"{self.key}{SUFFIXES[self.kind]}"

    @property
    def meta_file(self) -> Path:
        return self.folder / f"{self.key}{META_SUFFIX}"

    def label(self, now: float | None = None) -> str:
        """``NAME — autosaved today at 14:32`` and on a second line ``from /path/file.bps.json`` (or
        "never saved")."""
        when = datetime.fromtimestamp(self.saved)
        today = datetime.fromtimestamp(time.time() if now is None else now).date()
        day = "today" if when.date() == today else when.strftime("%d %b %Y").lstrip("0")
        origin = f"from {self.original}" if self.original else "never saved"
        return f"{self.name} — autosaved {day} at {when:%H:%M}\n{origin}"

    def remove(self) -> None:
        """Delete the copy (of either kind) and its meta file."""
        _remove(*(self.folder / f"{self.key}{suffix}" for suffix in SUFFIXES.values()), self.meta_file)


def _read_meta(path: Path, copy_file: Path) -> tuple[str, str, float]:
    """(name, original, saved) from a meta file; what it lacks, or all of it when it cannot be read,
    from the copy's file and time."""
    meta: Any = None
    try:
        meta = read_json(path, "recovery file", max_bytes=MAX_META_BYTES)
    except (EngineError, OSError, ValueError):
        pass
    meta = meta if isinstance(meta, dict) and meta.get("format") == META_FORMAT else {}
    name, original, saved = meta.get("name"), meta.get("original"), meta.get("saved")
    if not isinstance(saved, (int, float)) or isinstance(saved, bool) or not 0 < saved < 1e11:
        saved = copy_file.stat().st_mtime
    name = "".join(ch for ch in name if ch.isprintable()).strip()[:200] if isinstance(name, str) else ""
    name = name or "Unnamed project"
    original = original if isinstance(original, str) and "\0" not in original else ""
    return name, original[:4096], float(saved)


def orphaned_entries(folder: Path | None = None) -> list[Entry]:
    """The copies in ``folder`` (the recovery folder) whose window's process is gone, newest first.

    A copy whose lock another running process holds (another window of bpstudio) is left out.
    """
    folder = recovery_folder() if folder is None else folder
    try:
        copies = sorted((p, kind) for kind, suffix in SUFFIXES.items() for p in folder.glob(f"*{suffix}"))
    except OSError:
        return []
    # per key the newer copy (a crash between writing one kind of copy and removing the other kind's
    # may leave both)
    newest: dict[str, tuple[float, Path, str]] = {}
    for copy_file, kind in copies:
        key = copy_file.name[: -len(SUFFIXES[kind])]
        try:
            mtime = copy_file.stat().st_mtime
        except OSError:
            continue
        if key not in newest or mtime > newest[key][0]:
            newest[key] = (mtime, copy_file, kind)
    entries = []
    for key, (_mtime, copy_file, kind) in sorted(newest.items()):
        lock = _lock(folder / f"{key}{LOCK_SUFFIX}")
        if not lock.tryLock(0):
            continue  # its window is still open
        try:
            if not copy_file.is_file():
                continue
            name, original, saved = _read_meta(folder / f"{key}{META_SUFFIX}", copy_file)
            entries.append(Entry(folder, key, name, original, saved, kind))
        except OSError:
            continue
        finally:
            lock.unlock()
    return sorted(entries, key=lambda e: e.saved, reverse=True)


class _Writer(threading.Thread):
    """Writes one copy (the document and its meta file) outside the GUI thread."""

    def __init__(
        self, saver: Autosaver, kind: str, doc: dict[str, Any], meta: dict[str, Any], started: float
    ):
        super().__init__(name="autosave", daemon=True)
        self.saver, self.kind, self.doc, self.meta = saver, kind, doc, meta
        self.file, self.meta_file = saver.file(kind), saver.meta_file
        self.generation = saver.generation
        self.started = started
        self.error = ""
        self.duration = 0.0

    def run(self) -> None:
        try:
            if self.kind == "answers":  # (checked without parsing the text back: see save_document)
                save_document(self.file, self.doc, ANSWERS, reparse=False)
            else:
                save_project_document(self.file, self.doc, reparse=False)
            write_json_atomic(self.meta_file, self.meta)
        except (EngineError, OSError) as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 (said in the status bar, not lost in a thread)
            self.error = f"{type(exc).__name__}: {exc}"
        self.duration = _clock() - self.started
        try:
            self.saver.written.emit(self)
        except RuntimeError:  # the window is gone (its closing waits for the copy, so not normally)
            pass


class Autosaver(QObject):
    """Copies the window's unsaved work to the recovery folder: the project, or while an exercise is
    open the student's answers.

    The work is turned into a document in the GUI thread (tens of milliseconds for a million
    weights); encoding, checking and writing it (about a second for a million weights) happen in a
    thread of its own, one copy at a time.
    """

    #: a copy was written, or failed (the _Writer): handled in the GUI thread
    written = Signal(object)

    def __init__(self, window: MainWindow, interval_s: float | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.folder = recovery_folder()
        self.key = f"{os.getpid()}-{next(_windows)}-{int(time.time())}"
        self.interval_s = AUTOSAVE_SECONDS if interval_s is None else interval_s
        self._lock: QLockFile | None = None
        #: something changed since the last copy
        self._pending = False
        self._failed = False
        self._closed = False
        #: counts discards: a copy begun before the last discard is removed once written
        self.generation = 0
        self._writer: _Writer | None = None
        #: how long the last copy took, from the snapshot to the file written (seconds)
        self.last_duration = 0.0
        #: copies written so far
        self.copies = 0
        self.written.connect(self._written, Qt.ConnectionType.QueuedConnection)
        self.timer = QTimer(self)
        self.timer.setInterval(round(self.interval_s * 1000))
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        s = self.session
        s.changed.connect(self._touch)
        s.dirtyChanged.connect(self._dirty_changed)
        s.runningChanged.connect(lambda running: None if running else self._touch())
        window.teaching.exercise_panel.changed.connect(self._touch)

    def file(self, kind: str) -> Path:
        """This window's copy of that kind (``project`` or ``answers``)."""
        return self.folder / f"{self.key}{SUFFIXES[kind]}"

    @property
    def meta_file(self) -> Path:
        return self.folder / f"{self.key}{META_SUFFIX}"

    def has_copy(self, kind: str | None = None) -> bool:
        return any(self.file(k).is_file() for k in ([kind] if kind else SUFFIXES))

    def unsaved(self) -> str | None:
        """What has unsaved changes: ``answers`` (an open exercise's), ``project``, or None."""
        room = self.window.teaching
        if room.attempt is not None and room.exercise is not None and not room.practice:
            return "answers" if room.unsaved else None
        return "project" if self.session.dirty else None

    def _touch(self, *_args) -> None:
        self._pending = True

    def _dirty_changed(self, dirty: bool) -> None:
        if dirty:
            self._pending = True
        elif self.unsaved() is None:  # saved, another project opened, or undone back to the saved state
            self.discard(keep_lock=True)

    def tick(self) -> None:
        """The timer: copy the unsaved work if it changed since the last copy; remove the copy once
        nothing is unsaved (answers saved, an exercise closed)."""
        kind = self.unsaved()
        if kind is None:
            if self.has_copy():
                self.discard(keep_lock=True)
        elif self._pending and not (kind == "project" and (self.session.running or self.session.locked)):
            self.save_now()

    def save_now(self) -> bool:
        """Begin a copy (written in a thread: :meth:`wait` for it); False if there is nothing unsaved,
        one is still being written (this one follows at the next tick) or the work cannot be copied
        (said once in the status bar until a copy succeeds)."""
        kind = self.unsaved()
        if self._closed or kind is None:
            return False
        if self._writer is not None:
            self._pending = True
            return False
        room, started = self.window.teaching, _clock()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self._lock is None:
                lock = _lock(self.folder / f"{self.key}{LOCK_SUFFIX}")
                if not lock.tryLock(0):
                    raise OSError(f"cannot lock {lock.fileName()}")
                self._lock = lock
            if kind == "answers" and room.attempt is not None and room.exercise is not None:
                doc = answers_to_dict(room.attempt, room.exercise)
                name, original = f"Answers to {room.exercise.title or 'an exercise'}", room.answers_path
            else:
                doc = self.session.copy_document(self.folder)
                name, original = self.window.document_name(), self.session.path
        except (EngineError, OSError) as exc:
            self._fail(str(exc))
            return False
        meta = {
            "format": META_FORMAT,
            "version": META_VERSION,
            "kind": kind,
            "name": name,
            "original": str(original or ""),
            "saved": time.time(),
        }
        self._pending = False
        self._writer = _Writer(self, kind, doc, meta, started)
        gui_gc.hold()  # no collection in the writer's thread (released in _written)
        self._writer.start()
        return True

    def wait(self) -> None:
        """Wait for the copy being written (if any) and take its outcome."""
        if self._writer is not None:
            self._written(self._writer)

    def _written(self, writer: _Writer) -> None:
        if writer is not self._writer:  # already taken by wait()
            return
        writer.join()
        gui_gc.release()
        self._writer = None
        if writer.generation != self.generation:  # discarded while it was being written
            _remove(writer.file, writer.meta_file)
            return
        if writer.error:
            self._pending = True
            self._fail(writer.error)
            return
        for kind in SUFFIXES:  # a copy of the other kind is older (the exercise was opened or closed)
            if kind != writer.kind:
                _remove(self.file(kind))
        self._failed = False
        self.copies += 1
        self.last_duration = writer.duration
        interval = max(self.interval_s, self.last_duration / AUTOSAVE_SHARE)
        self.timer.setInterval(round(interval * 1000))

    def _fail(self, problem: str) -> None:
        if not self._failed:
            self._failed = True
            self.session.statusMessage.emit(f"Autosave failed: {problem}")

    def discard(self, keep_lock: bool = False) -> None:
        """Remove this window's copy (and, unless ``keep_lock``, give up its lock)."""
        self.generation += 1
        _remove(*(self.file(kind) for kind in SUFFIXES), self.meta_file)
        self._pending = False
        if not keep_lock and self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def closed(self) -> None:
        """The window closed (its unsaved work saved or discarded by the user): no copy is left."""
        self.timer.stop()
        self.wait()
        self._closed = True
        self.discard()

    def recover(self, entry: Entry) -> bool:
        """Open ``entry`` in the window (after the unsaved-changes prompts); its files are removed once
        this window's own copy of it is written."""
        docs, room = self.window.documents, self.window.teaching
        if not docs.maybe_save() or not room.maybe_save_answers():
            return False
        original = Path(entry.original) if entry.original else None
        try:
            if entry.kind == "answers":
                exercise, attempt = load_answers(entry.file)
                room.start(exercise, attempt, original)
                room.unsaved = True
            else:
                project = load_project(entry.file)
        except (EngineError, OSError) as exc:
            QMessageBox.warning(
                self.window,
                "Cannot recover the work",
                f"{exc}\n\nThe autosaved copy stays in {entry.folder}.",
            )
            return False
        if entry.kind != "answers":
            new_dir = original.parent if original is not None else Path.cwd()
            project.dataset = rebase_data_paths(project.dataset, entry.folder, new_dir)
            docs.example_name = ""
            self.session.restore(docs.prepare(project), original)
        self.wait()  # (a copy of the work before)
        if self.save_now():
            self.wait()
            if self.has_copy(entry.kind):
                entry.remove()
        self.session.statusMessage.emit(
            f"Recovered {entry.name} as autosaved at {datetime.fromtimestamp(entry.saved):%H:%M}: "
            "save it to keep it"
        )
        return True


class RecoveryDialog(QDialog):
    """The autosaved copies left by windows that did not close: open one, delete one, or not now."""

    def __init__(self, window: MainWindow, entries: list[Entry]) -> None:
        super().__init__(window)
        self.setObjectName("recoveryDialog")
        self.setWindowTitle("Recover Unsaved Work")
        self.window_ = window
        self.entries = list(entries)
        intro = QLabel(
            "Backprop Studio did not close properly, and the projects below had changes that were "
            "not saved. Their autosaved copies can be opened now (they open unsaved: save them to "
            "keep them)."
        )
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("recoveryList")
        # a long path loses its middle rather than pushing the list wider (the whole one in the tooltip)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSpacing(3)
        for entry in self.entries:
            item = QListWidgetItem(entry.label())
            item.setToolTip(f"{entry.original or 'never saved'}\n(the copy: {entry.file})")
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _item: self.open_selected())
        buttons = QDialogButtonBox()
        self.open_button = QPushButton("&Open")
        self.open_button.setObjectName("recoveryOpen")
        self.open_button.setDefault(True)
        self.delete_button = QPushButton("&Delete…")
        self.delete_button.setObjectName("recoveryDelete")
        self.later_button = QPushButton("&Not Now")
        self.later_button.setObjectName("recoveryLater")
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.later_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.later_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        fit_dialog(self, 640, 300)

    def _selected(self) -> Entry | None:
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def open_selected(self) -> None:
        entry = self._selected()
        if entry is not None and self.window_.autosaver.recover(entry):
            self.accept()

    def delete_selected(self) -> None:
        entry = self._selected()
        if entry is None:
            return
        answer = QMessageBox.question(
            self,
            "Delete the autosaved copy",
            f"Delete the autosaved copy of {entry.name}? The changes it holds are lost.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            entry.remove()
        except OSError as exc:
            QMessageBox.warning(self, "Cannot delete the copy", str(exc))
            return
        row = self.list.currentRow()
        del self.entries[row]
        self.list.takeItem(row)
        if not self.entries:
            self.accept()


def offer_recovery(window: MainWindow, say_if_none: bool = False) -> bool:
    """Show :class:`RecoveryDialog` if windows that did not close left copies; True if one was opened.
    ``say_if_none``: tell the user when there is nothing to recover (the menu item)."""
    entries = orphaned_entries()
    if not entries:
        if say_if_none:
            QMessageBox.information(window, "Recover Unsaved Work", "There is no unsaved work to recover.")
        return False
    before = window.session.project
    run_modal(RecoveryDialog(window, entries))
    return window.session.project is not before


def install(window: MainWindow) -> Autosaver:
    """The window's autosaver (``window.autosaver``), and File ▸ Recover Unsaved Work…"""
    from PySide6.QtGui import QAction

    saver = Autosaver(window)
    action = QAction("Recover &Unsaved Work…", window)
    action.setObjectName("action_recover")
    action.setStatusTip("Open the autosaved copy of a project that was not saved when bpstudio closed")
    action.triggered.connect(lambda: offer_recovery(window, say_if_none=True))
    window.actions["recover"] = action
    menu = window.menus.get("file")
    if menu is not None:
        recent = window.menus["recent"].menuAction()
        actions = menu.actions()
        after = actions.index(recent) + 1 if recent in actions else len(actions)
        if after < len(actions):
            menu.insertAction(actions[after], action)
        else:
            menu.addAction(action)
    return saver
