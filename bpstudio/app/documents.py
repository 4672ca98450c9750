"""File handling of the studio window: New, Open, Open Example, Save, Save As, recent files,
weights import/export, canvas export, and the unsaved-changes prompt.

File dialogs and message boxes are Qt's static functions, so tests can answer them by monkeypatching.
Errors in files are shown as a message naming the problem; the open project is left untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ..data import SCALING_TITLES
from ..engine import EngineError, Network, TrainConfig
from ..exports.onnx_model import build_model as build_onnx
from ..exports.onnx_model import save_model as save_onnx
from ..exports.pytorch_script import write_export
from ..formats import DatasetSpec, Project, load_weights_file, save_weights
from ..formats.io import write_bytes_atomic
from ..teaching.labels import DEFAULTS
from ..teaching.notation import Notation
from ..teaching.worksheet import exercise_of, latex_document, make_sheets
from ..workspace import list_examples, load_example
from .canvas.export import export_png, export_svg
from .dialogs import ExampleDialog, run_modal
from .worksheet_pdf import WorksheetDialog, write_pdf

if TYPE_CHECKING:
    from .main_window import MainWindow

PROJECT_SUFFIX = ".bps.json"
WEIGHTS_SUFFIX = ".weights.json"
PROJECT_FILTER = "Backprop Studio projects (*.bps.json);;JSON files (*.json);;All files (*)"
WEIGHTS_FILTER = "Weights files (*.weights.json *.json);;All files (*)"


def new_project() -> Project:
    """An untitled project: a single sigmoid neuron with two inputs on the XOR data (ready to grow)."""
    cfg = TrainConfig(optimiser_params={"lr": 0.5}, init_params={"r": 0.5}, epochs=1000)
    net = Network.create([2, 1], "sigmoid", init=cfg.init, init_params=cfg.init_params, seed=cfg.seed)
    return Project(network=net, training=cfg, dataset=DatasetSpec.builtin_named("xor"), name="Untitled")


def with_suffix(path: str, suffix: str) -> str:
    """``path`` ending in ``suffix`` (added when the user typed a bare name)."""
    return path if path.lower().endswith(suffix) or path.lower().endswith(".json") else path + suffix


class Documents(QObject):
    """The window's file operations; ``openers`` may handle other kinds of file before projects."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.settings = window.settings
        #: functions tried in order by open_path: return True if they opened the file
        self.openers: list[Callable[[Path], bool]] = []
        self.example_name = ""

    # ------------------------------------------------------------------ helpers
    def _error(self, title: str, message: str) -> None:
        QMessageBox.warning(self.window, title, message)

    def prepare(self, project: Project) -> Project:
        """Fill the view options the project does not set with the preferences' defaults (first the
        course notation preset's, if one is chosen, then the others)."""
        preset = self.settings.notation_preset()
        if preset:
            for key, value in Notation().with_preset(preset).to_view().items():
                if key != "walkthrough_digits":
                    project.view.setdefault(key, value)
        for key in DEFAULTS:
            try:
                project.view.setdefault(key, self.settings.view_default(key))
            except ValueError:  # a preference stored by hand that is not allowed: the default stays
                pass
        return project

    def _start_dir(self) -> str:
        if self.session.path is not None:
            return str(self.session.path.parent)
        recent = self.settings.recent_files()
        if recent:
            return str(Path(recent[0]).parent)
        return self.settings.default_folder("projects") or str(Path.home())

    def maybe_save(self) -> bool:
        """True when it is fine to discard the open project (saved, or the user said so)."""
        if not self.session.dirty:
            return True
        answer = QMessageBox.question(
            self.window,
            "Unsaved changes",
            f"Save the changes to {self.window.document_name()}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    # ------------------------------------------------------------------ new / open
    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.example_name = ""
        self.session.set_project(self.prepare(new_project()))
        self.session.statusMessage.emit(
            "New project: right-click the canvas or use the Network menu to add layers"
        )
        return True

    def open(self) -> bool:
        if not self.maybe_save():
            return False
        path, _ = QFileDialog.getOpenFileName(self.window, "Open Project", self._start_dir(), PROJECT_FILTER)
        if not path:
            return False
        return self.open_path(path, ask=False)

    def open_path(self, path: str | Path, ask: bool = True, raise_errors: bool = False) -> bool:
        """Open ``path`` (a project, or any file an installed opener handles)."""
        if ask and not self.maybe_save():
            return False
        p = Path(path)
        try:
            for opener in self.openers:
                if opener(p):
                    self.settings.add_recent(p)
                    return True
            from ..formats import load_project

            project = load_project(p)
        except (EngineError, OSError) as exc:
            if raise_errors:
                raise
            self._error("Cannot open the file", str(exc))
            if isinstance(exc, EngineError) and "no such file" in str(exc):
                self.settings.remove_recent(str(p.resolve()))
            return False
        self.example_name = ""
        self.session.set_project(self.prepare(project), p)
        self.settings.add_recent(p)
        self.session.statusMessage.emit(f"Opened {p.name}")
        return True

    def open_example(self, key: str | None = None) -> bool:
        """Open a shipped example (asking which one when ``key`` is None); it opens untitled."""
        if key is None:
            dlg = ExampleDialog(self.window, list_examples())
            if not run_modal(dlg) or dlg.selected is None:
                return False
            key = dlg.selected
        if not self.maybe_save():
            return False
        try:
            project = load_example(key)
        except EngineError as exc:
            self._error("Cannot open the example", str(exc))
            return False
        self.example_name = project.name or key
        self.session.set_project(self.prepare(project))
        self.session.statusMessage.emit(
            f"Opened the example “{self.example_name}”: Save As to keep your changes"
        )
        return True

    # ------------------------------------------------------------------ save
    def save(self) -> bool:
        if self.session.path is None:
            return self.save_as()
        return self._save_to(self.session.path)

    def save_as(self) -> bool:
        start = str(Path(self._start_dir()) / (self.window.document_stem() + PROJECT_SUFFIX))
        path, _ = QFileDialog.getSaveFileName(self.window, "Save Project As", start, PROJECT_FILTER)
        if not path:
            return False
        return self._save_to(Path(with_suffix(path, PROJECT_SUFFIX)))

    def _save_to(self, path: Path) -> bool:
        try:
            self.session.save(path)
        except (EngineError, OSError, ValueError) as exc:
            self._error("Cannot save", f"{path}: {exc}")
            return False
        self.example_name = ""
        self.settings.add_recent(path)
        self.session.statusMessage.emit(f"Saved {path.name}")
        return True

    # ------------------------------------------------------------------ weights
    def export_weights(self) -> bool:
        start = str(Path(self._start_dir()) / (self.window.document_stem() + WEIGHTS_SUFFIX))
        path, _ = QFileDialog.getSaveFileName(self.window, "Export Weights", start, WEIGHTS_FILTER)
        if not path:
            return False
        path = with_suffix(path, WEIGHTS_SUFFIX)
        transform = self.session.project.input_transform
        try:
            save_weights(path, self.session.network, transform)
        except (EngineError, OSError, ValueError) as exc:
            self._error("Cannot export the weights", f"{path}: {exc}")
            return False
        scaling = "" if transform is None else " and the input scaling"
        self.session.statusMessage.emit(f"Exported the weights{scaling} to {Path(path).name}")
        return True

    def export_onnx(self, path: str | None = None) -> bool:
        """File ▸ Export as ONNX: the network and its input scaling as an ONNX model (float32)."""
        if path is None:
            start = str(Path(self._start_dir()) / (self.window.document_stem() + ".onnx"))
            path, _ = QFileDialog.getSaveFileName(
                self.window, "Export as ONNX", start, "ONNX models (*.onnx)"
            )
            if not path:
                return False
        path = with_suffix(path, ".onnx")
        try:
            model = build_onnx(self.session.network, self.session.project.input_transform)
            save_onnx(path, model)
        except (EngineError, OSError, ValueError) as exc:
            self._error("Cannot export as ONNX", f"{Path(path).name}: {exc}")
            return False
        self.session.statusMessage.emit(
            f"Exported the network as ONNX to {Path(path).name}: input 'x', output 'y' (float32)"
        )
        return True

    def export_pytorch(self, path: str | None = None) -> bool:
        """File ▸ Export as PyTorch Script: the script, its notebook beside it, and the training data
        in an .npz beside them when they are too large to write into the script."""
        s = self.session
        if s.trainer is None:
            self._error("Cannot export a PyTorch script", f"No training data: {s.trainer_problem}")
            return False
        if path is None:
            start = str(Path(self._start_dir()) / (self.window.document_stem() + ".py"))
            path, _ = QFileDialog.getSaveFileName(
                self.window, "Export as PyTorch Script", start, "Python scripts (*.py)"
            )
            if not path:
                return False
        out = Path(with_suffix(path, ".py"))
        tr = s.trainer
        try:
            write_export(out, tr, s.project.name or out.stem, with_notebook=True)
        except (EngineError, OSError, ValueError) as exc:
            self._error("Cannot export a PyTorch script", f"{out.name}: {exc}")
            return False
        s.statusMessage.emit(
            f"Exported {out.name} and {out.with_suffix('.ipynb').name}: "
            f"run with python {out.name} (needs torch)"
        )
        return True

    def export_worksheet(self, path: str | None = None) -> bool:
        """File ▸ Export Worksheet: the current step (the samples the table shows, or the first) as a
        problem sheet and its answer key, PDF or LaTeX by the file name, optionally one variant per
        student id (all in the one file, the key beside it as NAME-key.pdf/.tex)."""
        s = self.session
        if s.trainer is None:
            self._error("Cannot make a worksheet", f"No training data: {s.trainer_problem}")
            return False
        dialog = WorksheetDialog(self.window)
        if path is None:
            if not run_modal(dialog):
                return False
            start = str(Path(self._start_dir()) / (self.window.document_stem() + "-worksheet.pdf"))
            path, _ = QFileDialog.getSaveFileName(
                self.window, "Export Worksheet", start, "PDF (*.pdf);;LaTeX source (*.tex)"
            )
            if not path:
                return False
        out = Path(path if path.lower().endswith((".pdf", ".tex")) else path + ".pdf")
        s.sync_project()
        samples = list(s.trace.sample_indices) if s.trace is not None else [0]
        try:
            sheets = make_sheets(exercise_of(copy.copy(s.project), samples), dialog.students() or None)
            key = out.with_name(out.stem + "-key" + out.suffix)
            for target, answers in ((out, False), (key, True)):
                if out.suffix.lower() == ".pdf":
                    write_pdf(target, sheets, answers)
                else:
                    write_bytes_atomic(target, latex_document(sheets, answers).encode("utf-8"))
        except (EngineError, OSError, ValueError) as exc:
            self._error("Cannot make a worksheet", f"{out.name}: {exc}")
            return False
        s.statusMessage.emit(f"Exported {out.name} and its answer key {key.name} ({len(sheets)} sheet(s))")
        return True

    def import_weights(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Import Weights", self._start_dir(), WEIGHTS_FILTER
        )
        if not path:
            return False
        try:
            loaded = load_weights_file(path)
        except (EngineError, OSError) as exc:
            self._error("Cannot import the weights", str(exc))
            return False
        net, transform = loaded.network, loaded.input_transform
        old = self.session.network
        structural = (
            net.sizes != old.sizes
            or net.activations != old.activations
            or any(
                (a is None) != (b is None) or (a is not None and not (a == b).all())
                for a, b in zip(net.masks, old.masks)
            )
        )

        def replace(n: Network) -> None:
            n.sizes, n.activations = list(net.sizes), list(net.activations)
            n.weights = [w.copy() for w in net.weights]
            n.biases = [b.copy() for b in net.biases]
            n.masks = [None if m is None else m.copy() for m in net.masks]

        project = self.session.project
        inputs = None
        if transform is not None and transform != project.input_transform:
            # the file's scaling goes with its weights: the project adopts it (and its scaling choice)
            prep = {"scaling": transform["scaling"]}
            if not transform["per_feature"]:
                prep["per_feature"] = False
            inputs = (project.dataset.replace(preprocessing=prep), transform)
        if not self.session.edit_network(
            f"Import weights from {Path(path).name}", replace, structural=structural, inputs=inputs
        ):
            return False
        if inputs is not None and transform is not None:
            title = SCALING_TITLES.get(transform["scaling"], transform["scaling"])
            self.session.statusMessage.emit(
                f"Imported weights; inputs now scaled with the file's {title} transform"
                if transform["scaling"] != "none"
                else "Imported weights; inputs now used unscaled, as in the file"
            )
        else:
            self.session.statusMessage.emit(f"Imported the weights from {Path(path).name}")
        changed = structural or inputs is not None
        if changed and self.session.trainer is None and self.session.trainer_problem:
            self._error(
                "Weights imported",
                f"The imported network is {'-'.join(map(str, net.sizes))}; it does not fit the dataset yet: "
                f"{self.session.trainer_problem}",
            )
        return True

    # ------------------------------------------------------------------ canvas
    def export_canvas(self, kind: str) -> bool:
        """Export the drawing as ``png`` or ``svg``."""
        flt = "PNG images (*.png)" if kind == "png" else "SVG drawings (*.svg)"
        start = str(Path(self._start_dir()) / f"{self.window.document_stem()}.{kind}")
        path, _ = QFileDialog.getSaveFileName(self.window, f"Export Canvas as {kind.upper()}", start, flt)
        if not path:
            return False
        if not path.lower().endswith("." + kind):
            path += "." + kind
        scene = self.window.canvas.network_scene
        try:
            if kind == "png":
                export_png(scene, path)
            else:
                export_svg(scene, path, title=self.window.document_name())
        except OSError as exc:
            self._error("Cannot export the canvas", str(exc))
            return False
        self.session.statusMessage.emit(f"Exported the canvas to {Path(path).name}")
        return True
