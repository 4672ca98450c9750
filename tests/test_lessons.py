"""Lessons (issue 16.3): what the lecturer does, recorded as a readable JSON-lines file, replayed
headless to the same numbers, and played back in the window step by step (Next, Previous, Play)."""

from __future__ import annotations

import json

import pytest

from bpstudio import resources_dir
from bpstudio.cli import main
from bpstudio.formats import FormatError
from bpstudio.teaching.lesson import Lesson, load_lesson, parse_lesson, replay, start_lesson
from bpstudio.workspace import load_example
from tests.gui_helpers import answer_dialogs, shown_window

LESSONS = sorted((resources_dir() / "lessons").glob("*.bpl.jsonl"))


@pytest.fixture
def window(qtbot, monkeypatch):
    answer_dialogs(monkeypatch)
    w = shown_window(qtbot)
    yield w
    w.training.shutdown()
    w.session.undo_stack.setClean()
    w.session._trained_since_save = False


def fingerprint(session) -> str:
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    for p in session.network.parameters():
        digest.update(np.ascontiguousarray(p, dtype=np.float64).tobytes())
    return digest.hexdigest()[:16]


def test_a_recorded_lesson_replays_to_the_same_numbers_headless_and_in_the_window(window, qtbot, tmp_path):
    from bpstudio.app.session import Selection

    s, panel = window.session, window.lesson
    panel.record_button.click()
    assert panel.recording is not None
    for _ in range(3):
        s.micro_step()
    s.select(Selection("edge", 0, 1, 0))
    s.set_view_option("notation", "error_signal")
    s.step_batch()
    s.step_sample()
    cfg = s.config
    from dataclasses import replace

    s.set_config(replace(cfg, optimiser="momentum", optimiser_params={"lr": 0.5, "momentum": 0.9}))
    before_run = s.trainer.step_count
    with qtbot.waitSignal(window.training.runner.finished, timeout=30_000):
        window.training.runner.start(epochs=30)
    run_updates = s.trainer.step_count - before_run
    s.undo_step()
    s.step_epoch()
    s.reset_weights(seed=3)
    s.step_batch()
    lesson_path = tmp_path / "l.bpl.jsonl"
    assert panel.stop_recording(str(lesson_path))
    expected = fingerprint(s)
    updates = s.trainer.step_count
    lesson = load_lesson(lesson_path)
    kinds = [e["do"] for e in lesson.events]
    assert kinds == [
        "step",
        "step",
        "step",
        "select",
        "view",
        "step",
        "step",
        "settings",
        "train",
        "undo_step",
        "step",
        "reset",
        "step",
    ]
    assert next(e for e in lesson.events if e["do"] == "train")["updates"] == run_updates == 30 * 4 - 2
    # every line is readable JSON; the first holds the start
    lines = lesson_path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["format"] == "bpstudio-lesson" and json.loads(lines[5]) == {
        "do": "view",
        "key": "notation",
        "value": "error_signal",
    }
    numbers = replay(lesson)
    assert numbers[-1]["parameters"] == expected and numbers[-1]["updates"] == updates
    # in the window: from the start, event by event
    assert panel.open_lesson(str(lesson_path))
    assert s.trainer.step_count == 0 and panel.position == 0
    for i in range(len(lesson.events)):
        assert panel.next(), f"event {i + 1}"
    assert fingerprint(s) == expected and s.notation == "error_signal"
    assert not panel.next_button.isEnabled()
    panel.previous()  # back to before the last step: the reset weights, no step yet
    assert panel.position == len(lesson.events) - 1
    assert fingerprint(s) == numbers[-2]["parameters"]


def test_shipped_lessons_replay(tmp_path, capsys):
    assert len(LESSONS) == 2
    for path in LESSONS:
        lesson = load_lesson(path)
        assert lesson.title and lesson.events
        numbers = replay(lesson)
        assert len(numbers) == len(lesson.events) and numbers[-1]["updates"] > 0
        out = tmp_path / "n.jsonl"
        assert main(["lesson", str(path), "--out", str(out)]) == 0
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert rows == numbers


@pytest.mark.parametrize(
    "line,message",
    [
        ('{"do": "explode"}', "unknown event 'explode'"),
        ('{"do": "step", "what": "leap"}', "step.what: one of"),
        ('{"do": "train", "updates": -1}', "train.updates: 0 to"),
        ('{"do": "train", "updates": 1, "extra": 2}', "no member 'extra'"),
        ('{"do": "note"}', "a note event needs 'text'"),
        ('{"do": "settings", "training": {"loss": "nope"}}', "line 2"),
        ("[1, 2]", "an event is a JSON object"),
        ('{"do": "view", "key": "notation", "value": [1]}', "view.value: not the right kind"),
        ('{"do": "train", "updates": true}', "train.updates: not the right kind"),
    ],
)
def test_bad_lessons_are_refused_naming_the_line(line, message):
    head = start_lesson(load_example("xor"), "t").to_jsonl()
    with pytest.raises(FormatError, match=message) as info:
        parse_lesson(head + line + "\n")
    assert "line 2" in str(info.value)


def test_a_file_that_is_not_a_lesson_is_refused():
    with pytest.raises(FormatError, match="not a bpstudio lesson"):
        parse_lesson('{"format": "bpstudio-project"}\n')
    with pytest.raises(FormatError, match="empty"):
        parse_lesson("\n")
    lesson = Lesson("t", {"format": "bpstudio-project", "version": 4}, [])
    with pytest.raises(FormatError, match="line 1: project"):
        parse_lesson(lesson.to_jsonl())
