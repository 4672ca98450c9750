"""Lessons (issue 16.3): what a lecturer does in the window, recorded as a readable file and replayed
step by step, in the window or headless.

A lesson file (``*.bpl.jsonl``) is JSON Lines, data only. Line 1 is the header: ``{"format":
"bpstudio-lesson", "version": 1, "created_with": …, "title": …, "project": {a project document}}``,
the state the lesson starts from (so it opens the same on any machine). Every further line is one
event, ``{"do": …}``:

==============  ==========================================================================
``do``          members and meaning
==============  ==========================================================================
``step``        ``what``: ``stage`` (the next stage of a step), ``sample``, ``batch``, ``epoch``
``undo_step``   go back to before the last step
``train``       ``updates``: train that many updates (whole epochs with the fast loop, the rest
                batch by batch): a run of the window, as far as it went
``settings``    ``training``: the whole training settings object of a project file
``network``     ``network``: the network after an edit (a project file's network object),
                ``structural``: whether the layers changed (training then starts afresh)
``reset``       ``seed`` (or null: the settings' seed): new weights, training afresh
``dataset``     ``dataset``: a project file's dataset object
``select``      ``kind`` (``neuron``, ``edge``, ``bias``, ``layer`` or ``none``), ``layer``,
                ``index``, ``from``: what the lecturer points at
``view``        ``key``, ``value``: a view option (e.g. the notation)
``note``        ``text``: a remark shown while the lesson plays
==============  ==========================================================================

:func:`replay` plays a lesson headless and returns the numbers after every event (epoch, update
count, the last batch loss, the training loss of the last epoch, a fingerprint of the parameters),
the same on any machine; ``bpstudio lesson`` prints them.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import __version__
from ..engine import EngineError, Network, Trainer
from ..engine.state import Snapshot
from ..engine.stepper import MicroStep
from ..formats import PROJECT, FormatError, Project, network_from_dict, project_from_dict, project_to_dict
from ..formats.io import dumps, parse_json, write_bytes_atomic
from ..formats.rules import check_training, training_config
from ..workspace import trainer_for, update_project

LESSON_FORMAT = "bpstudio-lesson"
LESSON_VERSION = 1
LESSON_SUFFIX = ".bpl.jsonl"
#: at most this many events, and this many bytes, in a lesson file
MAX_EVENTS = 100_000
MAX_BYTES = 64 * 1024 * 1024
STEPS = ("stage", "sample", "batch", "epoch")
SELECT_KINDS = ("neuron", "edge", "bias", "layer", "none")
#: each event's members and the Python types they take (besides ``do``)
EVENTS: dict[str, dict[str, tuple[type, ...]]] = {
    "step": {"what": (str,)},
    "undo_step": {},
    "train": {"updates": (int,)},
    "settings": {"training": (dict,)},
    "network": {"network": (dict,), "structural": (bool,)},
    "reset": {"seed": (int, type(None))},
    "dataset": {"dataset": (dict,)},
    "select": {"kind": (str,), "layer": (int,), "index": (int,), "from": (int, type(None))},
    "view": {"key": (str,), "value": (str, int, float, bool, type(None))},
    "note": {"text": (str,)},
}
#: at most this many updates in one ``train`` event
MAX_TRAIN_UPDATES = 100_000_000


@dataclass
class Lesson:
    """A lesson: its title, the project it starts from (a project document) and its events."""

    title: str
    project: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)

    def start_project(self) -> Project:
        """The project the lesson starts from (a new object each time)."""
        return project_from_dict(json.loads(json.dumps(self.project)))

    def to_jsonl(self) -> str:
        header = {
            "format": LESSON_FORMAT,
            "version": LESSON_VERSION,
            "created_with": f"bpstudio {__version__}",
            "title": self.title,
            "project": self.project,
        }
        lines = [json.dumps(header, ensure_ascii=False, separators=(",", ":"))]
        lines += [json.dumps(e, ensure_ascii=False) for e in self.events]
        return "\n".join(lines) + "\n"


def check_event(event: Any, where: str) -> dict[str, Any]:
    """The event, checked: a known ``do`` with exactly its members, of their types (FormatError)."""
    if not isinstance(event, dict):
        raise FormatError("an event is a JSON object", where)
    kind = event.get("do")
    if not isinstance(kind, str) or kind not in EVENTS:
        raise FormatError(f"unknown event {str(kind)[:24]!r} (one of {', '.join(EVENTS)})", where)
    members = EVENTS[kind]
    extra = set(event) - set(members) - {"do"}
    if extra:
        raise FormatError(f"a {kind} event has no member {sorted(extra)[0][:24]!r}", where)
    for name, types in members.items():
        if name not in event:
            raise FormatError(f"a {kind} event needs {name!r}", where)
        value = event[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise FormatError(f"{kind}.{name}: not the right kind of value", where)
    if kind == "step" and event["what"] not in STEPS:
        raise FormatError(f"step.what: one of {', '.join(STEPS)}", where)
    if kind == "train" and not 0 <= event["updates"] <= MAX_TRAIN_UPDATES:
        raise FormatError(f"train.updates: 0 to {MAX_TRAIN_UPDATES:,}", where)
    if kind == "select" and event["kind"] not in SELECT_KINDS:
        raise FormatError(f"select.kind: one of {', '.join(SELECT_KINDS)}", where)
    if kind == "settings":
        PROJECT.schema.validate(event["training"], f"{where}.training", ref="#/$defs/training")
        check_training(event["training"], f"{where}.training")
        try:
            training_config(event["training"]).validate()
        except EngineError as exc:
            raise FormatError(str(exc), f"{where}.training") from None
    if kind == "dataset":
        PROJECT.schema.validate(event["dataset"], f"{where}.dataset", ref="#/$defs/dataset")
    if kind == "network":
        network_from_dict(event["network"], f"{where}.network")
    if kind == "note" and len(event["text"]) > 2_000:
        raise FormatError("note.text: at most 2,000 characters", where)
    return event


def parse_lesson(text: str, source: str = "lesson") -> Lesson:
    """A lesson from its file's text; FormatError naming the line of the first problem."""
    if len(text) > MAX_BYTES:
        raise FormatError(f"larger than {MAX_BYTES // 1_048_576} MB")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise FormatError("empty: not a lesson file")
    if len(lines) - 1 > MAX_EVENTS:
        raise FormatError(f"more than {MAX_EVENTS:,} events")
    header = parse_json(lines[0], "line 1")
    if not isinstance(header, dict) or header.get("format") != LESSON_FORMAT:
        raise FormatError("not a bpstudio lesson (line 1 is its header)", "line 1")
    if header.get("version") != LESSON_VERSION:
        raise FormatError(
            f"lesson format version {str(header.get('version'))[:12]}: this bpstudio reads 1", "line 1"
        )
    title = header.get("title", "")
    if not isinstance(title, str) or not isinstance(header.get("project"), dict):
        raise FormatError("the header needs a title and a project", "line 1")
    try:
        project_from_dict(json.loads(json.dumps(header["project"])))
    except FormatError as exc:
        raise FormatError(exc.problem, "line 1: project" + ("." + exc.field if exc.field else "")) from None
    events = []
    for n, line in enumerate(lines[1:], start=2):
        events.append(check_event(parse_json(line, f"line {n}"), f"line {n}"))
    return Lesson(title[:200], header["project"], events)


def load_lesson(path: str | os.PathLike[str]) -> Lesson:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read(MAX_BYTES + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read it: {exc}") from None
    try:
        return parse_lesson(text)
    except FormatError as exc:
        raise exc.with_source(os.fspath(path)) from None


def save_lesson(path: str | os.PathLike[str], lesson: Lesson) -> None:
    write_bytes_atomic(path, lesson.to_jsonl().encode("utf-8"))


def start_lesson(project: Project, title: str) -> Lesson:
    """A new lesson starting from ``project`` as it is (a copy of its document)."""
    return Lesson(title, json.loads(dumps(project_to_dict(project))))


# ---------------------------------------------------------------------------------------------- headless
def train_updates(trainer: Trainer, updates: int) -> None:
    """``updates`` more updates: a begun batch finished, whole epochs with the fast loop, the rest
    batch by batch (what a run of the window that trained that many updates did)."""
    goal = trainer.step_count + updates
    if trainer.state.batch is not None and trainer.step_count < goal:
        trainer.step_batch()
    per_epoch = -(-trainer.n_train // trainer.config.effective_batch_size(trainer.n_train))
    while trainer.step_count < goal:
        left = goal - trainer.step_count
        if trainer.cursor == 0 and left >= per_epoch:
            trainer.run(epochs=left // per_epoch)
            if trainer.state.stop_reason is not None:
                return  # early stopping or the target loss ended it, as it ended the run
        else:
            trainer.step_batch()


@dataclass
class Replay:
    """A lesson played headless: the project, its trainer and the step in progress."""

    project: Project
    trainer: Trainer
    micro: MicroStep | None = None
    undo: list[Snapshot] = field(default_factory=list)

    @classmethod
    def start(cls, lesson: Lesson) -> Replay:
        project = lesson.start_project()
        trainer, _ = trainer_for(project)
        return cls(project, trainer)

    def apply(self, event: dict[str, Any]) -> None:
        """Do what the event says (see the module docstring)."""
        kind, tr = event["do"], self.trainer
        if kind == "step":
            what = event["what"]
            if what == "stage":
                if self.micro is None:
                    self.undo.append(tr.snapshot())
                    self.micro = tr.begin_step()
                self.micro.advance()
                if self.micro.done:
                    self.micro = None
                return
            self.undo.append(tr.snapshot())
            if what == "batch" and self.micro is not None:
                self.undo.pop()
                self.micro.finish()
            elif what == "batch":
                tr.step_batch()
            elif what == "sample":
                tr.step_sample()
            else:
                tr.step_epoch()
            self.micro = None
        elif kind == "undo_step":
            if self.undo:
                tr.restore(self.undo.pop())
            self.micro = None
        elif kind == "train":
            self.undo.append(tr.snapshot())
            self.micro = None
            train_updates(tr, event["updates"])
        elif kind == "settings":
            cfg = training_config(event["training"])
            tr.set_config(cfg)
            self.project.training = cfg
        elif kind == "network":
            net = network_from_dict(event["network"])
            self._new_network(net, bool(event["structural"]))
        elif kind == "reset":
            cfg = tr.config
            seed = cfg.seed if event["seed"] is None else event["seed"]
            net = tr.network.copy()
            net.initialise(cfg.init, cfg.init_params, seed=seed)
            tr.reset(event["seed"])
            tr.network.weights, tr.network.biases = net.weights, net.biases
            self.undo.clear()
            self.micro = None
        elif kind == "dataset":
            update_project(self.project, tr)
            self.project.dataset = event["dataset"]
            self.project.input_transform = None
            self.project.history = self.project.optimiser_state = self.project.progress = None
            self._rebuild()
        elif kind == "view":
            try:
                self.project.view.set(event["key"], event["value"])
            except ValueError:
                pass  # a view option this bpstudio does not know changes no number
        # select and note change no number

    def _new_network(self, net: Network, structural: bool) -> None:
        self.micro = None
        if structural:
            update_project(self.project, self.trainer)
            self.project.network = net
            self.project.history = self.project.optimiser_state = self.project.progress = None
            self._rebuild()
        else:
            self.trainer.network.weights = [w.copy() for w in net.weights]
            self.trainer.network.biases = [b.copy() for b in net.biases]
            self.trainer.network.masks = [None if m is None else m.copy() for m in net.masks]

    def _rebuild(self) -> None:
        self.trainer, _ = trainer_for(self.project)
        self.undo.clear()

    def numbers(self) -> dict[str, Any]:
        """Where training stands: epoch, updates, the last batch loss, the last epoch's training loss
        and a fingerprint of the parameters (SHA-256 of their float64 bytes, first 16 hex digits)."""
        tr = self.trainer
        h = tr.history
        digest = hashlib.sha256()
        for p in tr.network.parameters():
            digest.update(np.ascontiguousarray(p, dtype=np.float64).tobytes())
        return {
            "epoch": tr.epoch,
            "updates": tr.step_count,
            "batch_loss": h.step_loss[-1] if h.step_loss else None,
            "train_loss": h.loss["train"][-1] if h.loss["train"] else None,
            "parameters": digest.hexdigest()[:16],
        }


def replay(lesson: Lesson) -> list[dict[str, Any]]:
    """Play the lesson headless: after every event, its number, what it did and :meth:`Replay.numbers`."""
    r = Replay.start(lesson)
    out = []
    for i, event in enumerate(lesson.events, start=1):
        try:
            r.apply(event)
        except EngineError as exc:
            raise EngineError(f"event {i} ({event['do']}): {exc}") from None
        out.append({"event": i, "do": event["do"], **r.numbers()})
    return out
