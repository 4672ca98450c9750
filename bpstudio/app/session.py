"""The session: one open project, its trainer, the undo stacks, the selection, and the signals widgets follow.

State flows one way: a widget calls a Session method → the session changes the project/engine →
the session emits a signal → every widget that shows that state refreshes itself. Widgets never
change the engine directly and never hold maths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..compare import MAX_RUNS, new_run, run_project
from ..data.files import rebase_data_paths
from ..engine import (
    DivergenceError,
    EngineError,
    Network,
    StepTrace,
    TrainConfig,
    Trainer,
    TrainingRefused,
)
from ..engine.stepper import MicroStep
from ..formats import (
    DatasetSpec,
    Project,
    RunRecord,
    load_project,
    network_to_dict,
    project_to_dict,
    save_project_document,
)
from ..teaching.labels import Names
from ..teaching.lesson import train_updates as lesson_train_updates
from ..teaching.notation import Notation
from ..teaching.presenter import TracePresenter, notation_from_view
from ..workspace import load_example, trainer_for, update_project
from .changes import Change

#: byte budget for the "undo step" history (weights + optimiser state snapshots)
STEP_UNDO_BYTES = 200 * 1024 * 1024
#: network edits Edit ▸ Undo can take back (each keeps the network before and after it); older ones go
EDIT_UNDO_LIMIT = 200


@dataclass(frozen=True)
class Selection:
    """What is selected, shared by the canvas, the inspector and the δ/Δw table.

    kind ``neuron``: neuron ``index`` of neuron layer ``layer`` (0 = input).
    kind ``edge``: the weight from neuron ``frm`` of layer ``layer`` to neuron ``index`` of
    layer ``layer + 1``.
    kind ``bias``: the bias of neuron ``index`` of layer ``layer + 1`` (weight layer ``layer``).
    kind ``layer``: neuron layer ``layer`` as a whole (a layer's title or collapsed block was clicked).
    """

    kind: str = "none"
    layer: int = -1
    index: int = -1
    frm: int = -1


NO_SELECTION = Selection()


#: a project's dataset specification and input transform, changed with the network by a weights import
Inputs = tuple[Mapping[str, Any], dict[str, Any] | None]


class NetworkEdit(QUndoCommand):
    """An undoable change of the network: the whole network before and after (cheap and exact).

    ``inputs`` (before, after): the dataset specification and input transform change with it (a weights
    file's transform adopted); the data are then prepared again, as after a structural change.
    """

    def __init__(
        self,
        session: Session,
        text: str,
        before: Network,
        after: Network,
        structural: bool,
        inputs: tuple[Inputs, Inputs] | None = None,
    ):
        super().__init__(text)
        self.session = session
        self.before = before
        self.after = after
        self.structural = structural or inputs is not None
        self.inputs = inputs

    def redo(self) -> None:
        self._apply(self.after, 1)

    def undo(self) -> None:
        self._apply(self.before, 0)

    def _apply(self, net: Network, side: int) -> None:
        project = self.session.project
        # the inputs change back and forth only while the dataset is the one the other side left
        swap = self.inputs is not None and project.dataset is self.inputs[1 - side][0]
        if swap:
            project.dataset, project.input_transform = self.inputs[side]  # type: ignore[index]
        self.session._set_network(net.copy(), self.structural, Change.DATASET if swap else Change.NONE)


class Session(QObject):
    """Holds the open project and tells widgets when any part of it changes."""

    changed = Signal(object)  # Change: the parts one operation changed (see bpstudio.app.changes)
    selectionChanged = Signal(object)  # Selection
    hoverChanged = Signal(object)  # what the pointer rests on (a Selection: a neuron, a table row) or None
    viewChanged = Signal(str)  # a view option (notation, labels, bias style...) changed: its key
    dirtyChanged = Signal(bool)
    fileChanged = Signal(str)  # the project's file path ("" for untitled)
    runningChanged = Signal(bool)
    stepUndoAvailable = Signal(bool)
    statusMessage = Signal(str)
    errorOccurred = Signal(str, str)  # title, message
    highlightRequested = Signal(object)  # tuple of Selection a walkthrough line uses (empty: none)
    #: what the user just did, as a lesson event (bpstudio.teaching.lesson): a lesson records these
    recorded = Signal(object)

    def __init__(self, project: Project | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(EDIT_UNDO_LIMIT)  # (Qt allows it only while the stack is empty)
        # a bound method, not a lambda: Qt drops the connection when the session is destroyed, before the
        # undo stack (its child) is, whose destructor would otherwise emit into a dead session
        self.undo_stack.cleanChanged.connect(self._emit_dirty)
        self.project: Project = project if project is not None else load_example()
        self.path: Path | None = None
        self.trainer: Trainer | None = None
        self.data = None
        self.trainer_problem = ""
        self.micro: MicroStep | None = None
        self.trace: StepTrace | None = None
        self.selection: Selection = NO_SELECTION
        self.hovered: Selection | None = None
        self.running = False
        self._trained_since_save = False
        self._step_undo: list = []
        #: non-empty while the project is read-only (an exercise): no edits, settings, data or steps
        self.locked = ""
        self.highlighted: tuple[Selection, ...] = ()
        self._preview: StepTrace | None = None
        #: the trainer a background run is training a copy of (None when no run is going on)
        self._run_trainer: Trainer | None = None
        #: the epoch a paused run was heading for: the next run resumes towards it, unless anything
        #: else changed the training state meanwhile (a step, Undo Step, an edit, other data)
        self._paused_goal: int | None = None
        #: the micro-stage just computed ("" when no step is in progress)
        self.stage = ""
        #: per run side by side, its parameters (flattened) after each epoch trained in this session,
        #: the start first: the paths the loss landscape draws (not saved; bounded by the runs panel)
        self.run_paths: dict[str, list[np.ndarray]] = {}
        #: True while the runs side by side are being trained (their list cannot change meanwhile)
        self.runs_busy = False
        #: updates done when the current run began (for the lesson event that records the run)
        self._run_start_updates = 0
        self._quiet_network_event = False
        #: runs put aside by an edit that changed the layer sizes, by those sizes: an undo back to
        #: them brings the runs back
        self._stashed_runs: dict[tuple[int, ...], tuple[list[RunRecord], dict[str, list[np.ndarray]]]] = {}
        self._rebuild_trainer()

    # ------------------------------------------------------------------ project and files
    @property
    def network(self) -> Network:
        return self.project.network

    @property
    def config(self) -> TrainConfig:
        return self.project.training

    @property
    def dirty(self) -> bool:
        return self._trained_since_save or not self.undo_stack.isClean()

    def _emit_dirty(self, *_args) -> None:
        try:
            dirty = self.dirty
        except RuntimeError:  # the undo stack is being destroyed with the session
            return
        self.dirtyChanged.emit(dirty)

    def set_project(self, project: Project, path: str | Path | None = None) -> None:
        """Replace the open project (after New, Open or Open Example)."""
        if self.locked:
            self.set_locked("")
        self.project = project
        self.path = Path(path) if path else None
        self.undo_stack.clear()
        self._trained_since_save = False
        self._step_undo.clear()
        self.micro = None
        self.trace = None
        self._paused_goal = None
        self.selection = NO_SELECTION
        self.hovered = None
        self.stage = ""
        self.run_paths = {}
        self._stashed_runs = {}
        self._rebuild_trainer()
        everything = Change.PROJECT | Change.STRUCTURE | Change.VALUES | Change.CONFIG | Change.DATASET
        self._notify(everything | Change.TRACE | Change.STAGE | Change.HISTORY)
        self.selectionChanged.emit(self.selection)
        self.fileChanged.emit(str(self.path or ""))
        self.stepUndoAvailable.emit(False)
        self._emit_dirty()
        notes, project.view.notes = project.view.notes, []
        if notes:  # said once: values the file's view options may not have were left out
            more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
            self.statusMessage.emit(f"{notes[0]}{more}")

    def open(self, path: str | Path) -> None:
        """Load a project file; raises EngineError (FormatError) with a clear message on bad input."""
        project = load_project(path)
        self.set_project(project, path)

    def save(self, path: str | Path | None = None) -> Path:
        """Save atomically to ``path`` (or the current file)."""
        target = Path(path) if path else self.path
        if target is None:
            raise EngineError("this project has no file yet: choose Save As")
        doc, dataset = self._document(target.parent)
        save_project_document(target, doc)
        self.project.dataset = dataset
        self.path = target
        self._trained_since_save = False
        self.undo_stack.setClean()
        self.fileChanged.emit(str(target))
        self._emit_dirty()
        return target

    def copy_document(self, folder: str | Path) -> dict[str, Any]:
        """The project as it stands, as a document for a file in ``folder`` (an autosaved copy, see
        ``recovery.py``; it shares nothing with the project, so another thread may write it). The
        session's file, data paths and unsaved state stay as they are."""
        return self._document(Path(folder))[0]

    def _document(self, folder: Path) -> tuple[dict[str, Any], DatasetSpec]:
        """The project, brought up to date with the trainer, as a document for a file in ``folder``, and
        the dataset specification it holds: a data file named relative to the current folder is named
        for ``folder``; an absolute name of a file in (or next to) it becomes relative, so the folder
        can be copied whole."""
        self.sync_project()
        dataset = self.project.dataset
        old_dir = self.path.parent if self.path is not None else Path.cwd()
        rebased = rebase_data_paths(dataset, old_dir, folder)
        spec = rebased if isinstance(rebased, DatasetSpec) else DatasetSpec(rebased)
        doc = project_to_dict(self.project)
        if spec is not dataset:
            doc["dataset"] = spec.to_dict()
        return doc, spec

    def restore(self, project: Project, path: str | Path | None) -> None:
        """Open a recovered copy of a project (see ``recovery.py``): as :meth:`set_project`, but with
        unsaved changes, since it holds work done after ``path`` was last saved (None: never saved)."""
        self.set_project(project, path)
        self._mark_trained()

    def sync_project(self) -> None:
        """Bring the project's training state (settings, optimiser state, history, progress) up to
        date with the trainer's; the network stays the one object both share, which training changes
        and every view shows (a copy would leave the views behind after a save)."""
        if self.trainer is not None:
            update_project(self.project, self.trainer)
            self.project.network = self.trainer.network

    def _notify(self, change: Change) -> None:
        """Tell the views, once, which parts of the session an operation changed."""
        if change & (Change.PROJECT | Change.STRUCTURE | Change.VALUES | Change.DATASET):
            self._preview = None  # the forward pass shown before a step is no longer the network's
        if change:
            self.changed.emit(change)

    def _mark_trained(self) -> None:
        if not self._trained_since_save:
            self._trained_since_save = True
            self._emit_dirty()

    def _rebuild_trainer(self) -> None:
        """A fresh trainer for the current network, settings and dataset (or a reason why not)."""
        try:
            base = self.path.parent if self.path is not None else None
            self.trainer, self.data = trainer_for(self.project, base)
            self.trainer_problem = ""
        except EngineError as exc:
            self.trainer, self.data = None, None
            self.trainer_problem = str(exc)
            self.statusMessage.emit(f"Cannot train yet: {exc}")
        self.micro = None

    # ------------------------------------------------------------------ runs side by side
    @property
    def runs(self) -> list[RunRecord]:
        return self.project.runs

    def _runs_editable(self) -> bool:
        if self.locked:
            self.errorOccurred.emit("The project is locked", self.locked)
            return False
        if self.runs_busy:
            self.errorOccurred.emit("The runs are training", "Stop training the runs before changing them.")
            return False
        return True

    def add_run(self, name: str, changes: dict[str, Any]) -> RunRecord | None:
        """A new run side by side from the network and settings as they are now (None, with the reason
        in errorOccurred, if it cannot be made)."""
        if not self._runs_editable():
            return None
        if len(self.runs) >= MAX_RUNS:
            self.errorOccurred.emit("No room for another run", f"At most {MAX_RUNS} runs can be compared.")
            return None
        if any(r.name == name.strip() for r in self.runs):
            self.errorOccurred.emit("Cannot add the run", f"There is already a run named {name.strip()!r}.")
            return None
        self.sync_project()  # the settings and weights as they are now
        try:
            run = new_run(self.project, name, changes)
        except EngineError as exc:
            self.errorOccurred.emit("Cannot add the run", str(exc))
            return None
        self.runs.append(run)
        self.run_paths[run.name] = [np.concatenate([p.ravel() for p in run.network.parameters()])]
        self._runs_changed()
        return run

    def remove_run(self, index: int) -> bool:
        if not self._runs_editable() or not 0 <= index < len(self.runs):
            return False
        run = self.runs.pop(index)
        self.run_paths.pop(run.name, None)
        self._runs_changed()
        return True

    def update_runs(
        self, runs: list[RunRecord], paths: dict[str, list[np.ndarray]], max_points: int = 500
    ) -> None:
        """The runs (and their new path points) after training them (from the runs' background task);
        a path longer than ``max_points`` loses every other point (its start and latest stay)."""
        by_name = {r.name: r for r in runs}
        self.project.runs = [by_name.get(r.name, r) for r in self.runs]
        for name, points in paths.items():
            path = self.run_paths.get(name)
            if path is None:
                continue
            path.extend(points)
            while len(path) > max(max_points, 2):
                del path[1:-1:2]
        self._runs_changed()

    def set_runs_busy(self, busy: bool) -> None:
        self.runs_busy = busy

    def run_as_project(self, index: int) -> Project:
        """Run ``index`` as a project of its own (to open it)."""
        return run_project(self.project, self.runs[index])

    def _runs_follow_shape(self, net: Network) -> bool:
        """Runs are trained on the project's data, so they have its layer sizes: an edit that changes
        them puts the runs aside (by the old sizes) and brings back those put aside for the new ones
        (after Undo). True if the runs changed."""
        sizes = tuple(net.sizes)
        runs = self.project.runs
        before = runs
        if runs and tuple(runs[0].network.sizes) != sizes:
            self._stashed_runs[tuple(runs[0].network.sizes)] = (runs, self.run_paths)
            self.project.runs, self.run_paths = [], {}
            self.statusMessage.emit(
                "The runs side by side are put aside while the layers differ (Undo brings them back)"
            )
        if not self.project.runs and sizes in self._stashed_runs:
            self.project.runs, self.run_paths = self._stashed_runs.pop(sizes)
        return self.project.runs is not before

    def _runs_changed(self) -> None:
        self._mark_trained()
        self._notify(Change.RUNS)

    # ------------------------------------------------------------------ editing the network
    def can_edit(self) -> bool:
        if self.locked:
            self.errorOccurred.emit("The project is locked", self.locked)
            return False
        if self.running:
            self.errorOccurred.emit(
                "Training is running", "Pause training (Space) before editing the network."
            )
            return False
        return True

    def edit_network(
        self,
        text: str,
        change: Callable[[Network], None],
        structural: bool = False,
        inputs: Inputs | None = None,
    ) -> bool:
        """Apply ``change`` to a copy of the network as one undoable command; False if refused.

        ``inputs``: a new (dataset specification, input transform) that goes with the new network.
        """
        if not self.can_edit():
            return False
        before = self.network.copy()
        after = self.network.copy()
        try:
            change(after)
            after.validate()
        except EngineError as exc:
            self.errorOccurred.emit("Cannot change the network", str(exc))
            return False
        old = (self.project.dataset, self.project.input_transform)
        if inputs is not None and not isinstance(inputs[0], DatasetSpec):
            inputs = (DatasetSpec(inputs[0]), inputs[1])
        pair = None if inputs is None else (old, inputs)
        self.undo_stack.push(NetworkEdit(self, text, before, after, structural, pair))
        return True

    def _set_network(self, net: Network, structural: bool, also: Change = Change.NONE) -> None:
        self.project.network = net
        self.trace = None
        self.micro = None
        self.stage = ""
        self._paused_goal = None
        change = also | Change.VALUES | Change.TRACE | Change.STAGE
        if structural or self.trainer is None:
            if self._runs_follow_shape(net):
                change |= Change.RUNS
            self.project.optimiser_state = None
            self.project.history = None
            self.project.progress = None
            self._step_undo.clear()
            self.stepUndoAvailable.emit(False)
            self._rebuild_trainer()
            if self.selection != NO_SELECTION:
                self.selection = NO_SELECTION
                self.selectionChanged.emit(self.selection)
            change |= Change.STRUCTURE | Change.HISTORY
        else:
            self.trainer.network = net
        self._notify(change)
        if not self._quiet_network_event:
            self.recorded.emit(
                {"do": "network", "network": network_to_dict(net), "structural": bool(structural)}
            )

    # ------------------------------------------------------------------ settings, data, view
    def set_config(self, config: TrainConfig) -> bool:
        """New training settings; they take effect at the next step, even during a run."""
        if self.locked:
            self.errorOccurred.emit("The project is locked", self.locked)
            self._notify(Change.CONFIG)  # widgets showing the refused value go back to the project's
            return False
        try:
            config.validate()
            if self.trainer is not None:
                self.trainer.set_config(config)
        except EngineError as exc:
            self.errorOccurred.emit("Invalid setting", str(exc))
            return False
        self.project.training = config
        self._mark_trained()
        self._notify(Change.CONFIG)
        self.recorded.emit({"do": "settings", "training": config.to_dict()})
        return True

    def set_dataset(self, spec: Mapping[str, Any]) -> bool:
        """Train on the data ``spec`` describes (a :class:`DatasetSpec` or its JSON object)."""
        if not self.can_edit():
            return False
        spec = spec if isinstance(spec, DatasetSpec) else DatasetSpec(spec)
        old, old_transform = self.project.dataset, self.project.input_transform
        self.project.dataset = spec
        if spec != old:  # the stored input transform belongs to the old data, scaling or split: refit
            self.project.input_transform = None
        self._rebuild_trainer()
        if self.trainer is None and self.trainer_problem:
            problem = self.trainer_problem  # (the rebuild on the old data clears it)
            self.project.dataset, self.project.input_transform = old, old_transform
            self._rebuild_trainer()
            self.errorOccurred.emit("Dataset does not fit", problem)
            return False
        self.project.optimiser_state = None
        self.project.history = None
        self.project.progress = None
        self._rebuild_trainer()
        self._paused_goal = None
        self._step_undo.clear()
        self.stepUndoAvailable.emit(False)
        self._mark_trained()
        self.trace, self.micro, self.stage = None, None, ""
        self._notify(Change.DATASET | Change.HISTORY | Change.TRACE | Change.STAGE)
        self.recorded.emit({"do": "dataset", "dataset": spec.to_dict()})
        return True

    def view_option(self, key: str, default: Any = None) -> Any:
        return self.project.view.get(key, default)

    def set_view_option(self, key: str, value: Any) -> None:
        """Set a view option (``bpstudio.formats.view``); a value it does not allow is refused."""
        if self.project.view.get(key) == value:
            return
        try:
            self.project.view.set(key, value)
        except ValueError as exc:
            self.errorOccurred.emit("Invalid view option", f"{key}: {value!r} is not {exc}")
            return
        self.viewChanged.emit(key)
        if isinstance(value, (str, int, float, bool)) or value is None:
            self.recorded.emit({"do": "view", "key": key, "value": value})

    def set_notation(self, notation: Notation) -> None:
        """Show every quantity in ``notation`` (e.g. a course's preset): sets each of its view options."""
        for key, value in notation.to_view().items():
            self.set_view_option(key, value)

    @property
    def notation(self) -> str:
        """``gradient`` (δ = ∂E/∂z) or ``error_signal`` (Δ = −∂E/∂z)."""
        return self.project.view.notation

    # ------------------------------------------------------------------ what the canvas shows
    @property
    def names(self) -> Names:
        """How the project's notation names neurons, weights and biases."""
        return notation_from_view(self.project.view).names_for(self.network.sizes)

    def presenter(self) -> TracePresenter:
        """What every view shows of a step: the current step's trace, else a forward pass of the first
        training sample (none without data, or in an exercise), in the project's notation.

        The forward pass changes nothing: it is the engine's micro-step run to its last forward stage
        on sample 0, without moving the trainer through its epoch.
        """
        notation = notation_from_view(self.project.view)
        if self.locked:  # an exercise shows no computed values
            return TracePresenter(self.network, None, notation)
        if self.trace is not None:
            return TracePresenter(self.network, self.trace, notation, "step")
        return TracePresenter(self.network, self._preview_trace(), notation, "preview")

    def _preview_trace(self) -> StepTrace | None:
        if self.trainer is None:
            return None
        if self._preview is None or self._preview.layers[0].size != self.network.sizes[0]:
            try:
                micro = MicroStep(self.trainer, [0], 1.0, advance_position=False)
                self._preview = micro.run_until(f"forward {self.network.n_layers}")
            except EngineError:
                return None
        return self._preview

    # ------------------------------------------------------------------ selection
    def set_locked(self, reason: str) -> None:
        """Make the project read-only (``reason`` says why, e.g. "This is an exercise") or editable ("")."""
        if reason != self.locked:
            self.locked = reason
            self._notify(Change.LOCKED)

    def highlight(self, selections: tuple[Selection, ...]) -> None:
        """Ask the canvas to mark the neurons and edges a computation uses (empty tuple: none)."""
        self.highlighted = tuple(selections)
        self.highlightRequested.emit(self.highlighted)

    def select(self, selection: Selection) -> None:
        if selection != self.selection:
            self.selection = selection
            self.selectionChanged.emit(selection)
            self.recorded.emit(
                {
                    "do": "select",
                    "kind": selection.kind or "none",
                    "layer": int(selection.layer),
                    "index": int(selection.index),
                    "from": None if selection.frm is None else int(selection.frm),
                }
            )

    def hover(self, selection: Selection | None) -> None:
        """What the pointer rests on (None: nothing); plots may preview it, e.g. a hovered neuron's map."""
        if selection != self.hovered:
            self.hovered = selection
            self.hoverChanged.emit(selection)

    # ------------------------------------------------------------------ stepping
    def _require_trainer(self) -> Trainer | None:
        if self.locked:
            self.errorOccurred.emit("The project is locked", self.locked)
            return None
        if self.running:
            self.statusMessage.emit("Training is running: pause it first")
            return None
        if self.trainer is None:
            self.errorOccurred.emit("Cannot train", self.trainer_problem or "no dataset")
        return self.trainer

    def _push_step_undo(self) -> None:
        assert self.trainer is not None
        snap = self.trainer.snapshot()
        self._step_undo.append(snap)
        self._paused_goal = None  # a step or a new run: a paused run is over
        size = snap.nbytes * 4 + 1
        limit = max(5, STEP_UNDO_BYTES // size)
        if len(self._step_undo) > limit:
            del self._step_undo[: len(self._step_undo) - limit]
        self.stepUndoAvailable.emit(True)

    def _step(
        self, what: str, fn: Callable[[], StepTrace | None], event: dict[str, Any] | None = None
    ) -> StepTrace | None:
        tr = self._require_trainer()
        if tr is None:
            return None
        self._push_step_undo()
        try:
            trace = fn()
        except (DivergenceError, TrainingRefused) as exc:
            self._discard_step_undo()
            title = "Training diverged" if isinstance(exc, DivergenceError) else "Cannot train"
            self.errorOccurred.emit(title, str(exc))
            return None
        except EngineError as exc:
            self._discard_step_undo()
            self.errorOccurred.emit(f"Cannot {what}", str(exc))
            return None
        self.micro = None
        self.stage = ""
        if trace is not None:
            self.trace = trace
        self._notify(self._after_update() | Change.TRACE | Change.STAGE)
        if event is not None:
            self.recorded.emit(event)
        return trace

    def _discard_step_undo(self) -> None:
        if self._step_undo:
            self.trainer.restore(self._step_undo.pop())  # type: ignore[union-attr]
        self.stepUndoAvailable.emit(bool(self._step_undo))

    def _after_update(self) -> Change:
        """The project has trained: what that changed."""
        self._mark_trained()
        return Change.VALUES | Change.HISTORY

    def step_batch(self) -> StepTrace | None:
        """One update on the next batch (finishing a micro-step in progress)."""
        batch = {"do": "step", "what": "batch"}
        if self.micro is not None:
            return self._step("step", self._finish_micro, batch)
        return self._step("step", lambda: self.trainer.step_batch(), batch)  # type: ignore[union-attr]

    def _finish_micro(self) -> StepTrace:
        assert self.micro is not None
        self._step_undo.pop()  # the micro-step pushed its own snapshot when it began
        return self.micro.finish()

    def step_sample(self) -> StepTrace | None:
        return self._step(
            "step",
            lambda: self.trainer.step_sample(),  # type: ignore[union-attr]
            {"do": "step", "what": "sample"},
        )

    def step_epoch(self) -> StepTrace | None:
        def run() -> None:
            self.trainer.step_epoch()  # type: ignore[union-attr]
            return None

        return self._step("run an epoch", run, {"do": "step", "what": "epoch"})

    def micro_step(self) -> str | None:
        """Compute the next stage of the current step (starting a step if none is in progress)."""
        tr = self._require_trainer()
        if tr is None:
            return None
        try:
            if self.micro is None:
                self._push_step_undo()
                self.micro = tr.begin_step()
                self.trace = self.micro.trace
            stage = self.micro.advance()
        except (DivergenceError, TrainingRefused, EngineError) as exc:
            if self.micro is not None and self.micro.position == 0:
                self.micro = None
                self._discard_step_undo()
            elif isinstance(exc, DivergenceError):
                self.micro = None
                self._discard_step_undo()
            title = "Training diverged" if isinstance(exc, DivergenceError) else "Cannot continue the step"
            self.errorOccurred.emit(title, str(exc))
            return None
        change = Change.TRACE | Change.STAGE
        if self.micro.done:
            self.micro = None
            change |= self._after_update()
        self.stage = stage
        self._notify(change)
        self.recorded.emit({"do": "step", "what": "stage"})
        return stage

    def undo_step(self) -> bool:
        """Restore the weights, optimiser state and position from before the last step."""
        if self.running or self.trainer is None or not self._step_undo:
            return False
        self.trainer.restore(self._step_undo.pop())
        self.micro = None
        self.trace = None
        self.stage = ""
        self._paused_goal = None
        self._notify(self._after_update() | Change.TRACE | Change.STAGE)
        self.stepUndoAvailable.emit(bool(self._step_undo))
        self.recorded.emit({"do": "undo_step"})
        return True

    def train_updates(self, updates: int) -> bool:
        """Train ``updates`` more updates at once, as a lesson's recorded run did (an undoable step);
        False if training refused or diverged (the user is told why)."""
        trained: list[bool] = []

        def run() -> None:
            lesson_train_updates(self.trainer, int(updates))  # type: ignore[arg-type]
            trained.append(True)
            return None

        self._step("train", run, {"do": "train", "updates": int(updates)})
        return bool(trained)

    def reset_weights(
        self, seed: int | None = None, init: str | None = None, init_params: dict[str, float] | None = None
    ) -> None:
        """Redraw the weights with the settings' initialiser, or ``init`` (undoable as a network edit)."""
        cfg = self.config
        name = cfg.init if init is None else init
        params = cfg.init_params if init is None else (init_params or {})

        def redraw(net: Network) -> None:
            net.initialise(name, params, seed=cfg.seed if seed is None else seed)

        self._quiet_network_event = True  # recorded as the reset itself
        try:
            done = self.edit_network("Randomise weights", redraw, structural=False)
        finally:
            self._quiet_network_event = False
        if done:
            if self.trainer is not None:
                drawn = ([w.copy() for w in self.network.weights], [b.copy() for b in self.network.biases])
                self.trainer.reset(seed)  # fresh optimiser state, history and epoch order
                self.trainer.network.weights, self.trainer.network.biases = drawn
            self._step_undo.clear()
            self.stepUndoAvailable.emit(False)
            self._notify(Change.HISTORY)
            self.recorded.emit({"do": "reset", "seed": seed})

    def set_running(self, running: bool) -> None:
        if running != self.running:
            self.running = running
            self.runningChanged.emit(running)

    # ------------------------------------------------------------------ background runs
    def begin_run(self, epochs: int | None = None) -> tuple[Trainer, int | None] | None:
        """Start a background run: a trainer to train (a copy of the session's) and the epoch to stop at
        (None: the settings' epoch count from here), or None (refused, the user is told why).

        ``epochs``: how many epochs to train; by default a paused run resumes towards its goal, and
        otherwise the settings' count applies. A micro-step in progress is finished first. "Undo step"
        after the run goes back to before it. While the run lasts only :meth:`apply_run_update` and
        :meth:`end_run` change the training state.
        """
        if self.running:
            return None
        if self.locked:
            self.errorOccurred.emit("The project is locked", self.locked)
            return None
        tr = self.trainer
        if tr is None:
            self.errorOccurred.emit("Cannot train", self.trainer_problem or "there is no dataset")
            return None
        paused_goal = self._paused_goal
        if self.micro is not None:  # finish the micro-step in progress (a step of its own)
            if self.step_batch() is None:
                return None
            paused_goal = None
        try:
            tr.check_trainable()
        except TrainingRefused as exc:
            self.errorOccurred.emit("Cannot train", str(exc))
            return None
        goal = None
        if epochs is not None:
            goal = tr.epoch + int(epochs)
        elif paused_goal is not None and tr.epoch < paused_goal:
            goal = paused_goal
        self._push_step_undo()
        self._run_start_updates = tr.step_count
        if self.trace is not None:  # the last step's numbers no longer describe the network
            self.trace = None
            self.stage = ""
            self._notify(Change.TRACE | Change.STAGE)
        self._run_trainer = tr
        self.set_running(True)
        self.statusMessage.emit("Training…")
        return tr.clone(), goal

    def _adopt(self, update: Any) -> bool:
        """Make the trainer a copy of a run's state (a ``runner.RunUpdate``); False if it is not ours."""
        tr = self.trainer
        if tr is None or tr is not self._run_trainer:
            return False
        h, delta = tr.history, update.history
        if delta.replaces or (len(h.step_loss), len(h.epochs)) == (
            delta.n_steps_before,
            delta.n_epochs_before,
        ):
            h.extend(delta)
            # saving during a run writes matching weights, optimiser state and history
            tr.restore(update.snapshot, update.config)
            if update.config != self.project.training:  # settings the run has not taken up yet
                tr.set_config(self.project.training)
        return True

    def apply_run_update(self, update: Any) -> None:
        """A background run's state at one moment (a ``runner.RunUpdate``): show it."""
        if not self.running or not self._adopt(update):
            return
        change = self._after_update()
        if update.trace is not None:
            self.trace = update.trace
            change |= Change.TRACE
        self._notify(change)

    def end_run(self, outcome: Any, message: str) -> None:
        """A background run has ended (a ``runner.RunOutcome``): take its final state; a paused run
        remembers its goal. ``message`` goes to the status bar."""
        ours = outcome.final is not None and self._adopt(outcome.final)
        self._run_trainer = None
        if ours:
            self.trace = outcome.trace  # the last traced step, or None after the fast loop
            self._paused_goal = outcome.goal if outcome.reason == "cancelled" else None
            # emitted while the session still says "running", so that the panels refresh one per turn
            # of the event loop (FrameScheduler) instead of all at once: no long stall at the end
            self.stage = ""
            self._notify(self._after_update() | Change.TRACE | Change.STAGE)
            if self.trainer is not None and self.trainer.step_count > self._run_start_updates:
                self.recorded.emit(
                    {"do": "train", "updates": self.trainer.step_count - self._run_start_updates}
                )
        self.set_running(False)
        self.statusMessage.emit(message)
        if outcome.reason == "diverged":
            self.errorOccurred.emit("Training diverged", outcome.message)
        elif outcome.reason in ("refused", "error"):
            self.errorOccurred.emit("Training stopped", outcome.message)
