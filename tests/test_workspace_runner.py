"""Background training: run, pause, resume, undo, settings changed mid-run, divergence, shutdown."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

from bpstudio.app.changes import Change
from bpstudio.app.session import Session
from bpstudio.app.training.runner import TrainingRunner
from bpstudio.engine import Network, TrainConfig, Trainer
from bpstudio.workspace import load_example, trainer_for

TIMEOUT = 30_000


@pytest.fixture
def rig(qtbot):
    session = Session()
    runner = TrainingRunner(session)
    yield session, runner
    runner.stop(wait=True)


def weights_of(net: Network) -> list[np.ndarray]:
    return [w.copy() for w in net.weights] + [b.copy() for b in net.biases]


def test_a_run_gives_the_same_weights_as_the_headless_trainer(rig, qtbot):
    session, runner = rig
    updates = []
    runner.progress.connect(updates.append)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as blocker:
        assert runner.start(epochs=300)
        assert session.running
    outcome = blocker.args[0]
    assert outcome.reason == "epochs" and outcome.epochs == 300
    assert not session.running and not runner.running
    headless, _ = trainer_for(load_example())
    headless.run(epochs=300)
    for a, b in zip(weights_of(session.network), weights_of(headless.network)):
        np.testing.assert_array_equal(a, b)
    assert session.trainer.history.to_dict() == headless.history.to_dict()
    assert session.trainer.epoch == 300
    # stepping continues exactly where the run stopped
    session.step_batch()
    headless.step_batch()
    for a, b in zip(weights_of(session.network), weights_of(headless.network)):
        np.testing.assert_array_equal(a, b)


def test_pause_resume_and_undo_the_run(rig, qtbot):
    session, runner = rig
    before = weights_of(session.network)
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
        runner.start(epochs=10_000_000)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as blocker:
        runner.toggle()  # pause
    assert blocker.args[0].reason == "cancelled"
    paused_epoch = session.trainer.epoch
    assert 0 < paused_epoch < 10_000_000
    assert session.can_edit()
    assert len(session.trainer.history.epochs) == paused_epoch
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
        runner.toggle()  # resume towards the same goal
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.pause()
    assert session.trainer.epoch > paused_epoch
    assert session.undo_step()  # back to the pause
    assert session.trainer.epoch == paused_epoch
    assert len(session.trainer.history.epochs) == paused_epoch
    assert session.undo_step()  # back to before the first run
    assert session.trainer.epoch == 0 and session.trainer.history.step_loss == []
    for a, b in zip(weights_of(session.network), before):
        np.testing.assert_array_equal(a, b)


def test_edits_and_steps_are_refused_while_running(rig, qtbot):
    session, runner = rig
    errors = []
    session.errorOccurred.connect(lambda t, m: errors.append(t))
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
        runner.start(epochs=10_000_000)
    assert session.step_batch() is None
    assert session.micro_step() is None
    assert not session.undo_step()
    assert not session.set_dataset({"builtin": "xor"})
    assert errors == ["Training is running"]
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.pause()


def test_changing_the_optimiser_mid_run_takes_effect_at_the_next_step(rig, qtbot):
    session, runner = rig
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
        runner.start(epochs=10_000_000)
    steps_before = session.trainer.step_count
    cfg = dataclasses.replace(copy.deepcopy(session.config), optimiser="adam", optimiser_params={"lr": 0.01})
    assert session.set_config(cfg)
    # the worker picks it up between two steps; the next snapshot carries Adam's moment estimates
    qtbot.waitUntil(
        lambda: "m" in session.trainer.opt_state and session.trainer.opt_state["t"] > 0, timeout=TIMEOUT
    )
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.pause()
    tr = session.trainer
    assert tr.config.optimiser == "adam" and tr.hyper["lr"] == 0.01
    assert set(tr.opt_state) == {"t", "m", "v"}
    assert 0 < tr.opt_state["t"] < tr.step_count - steps_before + 1  # Adam started afresh mid-run
    assert session.config.optimiser == "adam"


def test_a_diverging_run_pauses_with_the_last_finite_weights(qtbot):
    project = load_example()
    project.network.activations = ["identity", "identity"]
    project.training.loss = "sse"
    project.training.optimiser_params = {"lr": 50.0}
    session = Session(project)
    runner = TrainingRunner(session)
    errors = []
    session.errorOccurred.connect(lambda t, m: errors.append((t, m)))
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as blocker:
        runner.start(epochs=1000)
    outcome = blocker.args[0]
    assert outcome.reason == "diverged"
    assert errors and errors[0][0] == "Training diverged"
    assert "smaller learning rate" in errors[0][1]
    assert not session.running
    assert all(np.all(np.isfinite(a)) for a in weights_of(session.network))
    # the same weights as a headless trainer that stopped at the same update
    headless = Trainer(copy.deepcopy(project.network), copy.deepcopy(project.training), *_xor())
    with pytest.raises(Exception, match="diverged"):
        headless.run(epochs=1000)
    for a, b in zip(weights_of(session.network), weights_of(headless.network)):
        np.testing.assert_array_equal(a, b)


def _xor():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    T = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X, T


def test_slow_runs_stream_every_step_trace(rig, qtbot):
    session, runner = rig
    traces = []
    session.changed.connect(lambda c: traces.append(session.trace) if c & Change.TRACE else None)
    runner.set_speed(25.0)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.start(epochs=1)  # 4 online steps
    shown = [t for t in traces if t is not None]
    assert len(shown) >= 1 and all(t.applied for t in shown)
    assert session.trace is shown[-1]
    np.testing.assert_array_equal(session.trace.updates[0].W_after, session.network.weights[0])


def test_switching_to_full_speed_mid_run(rig, qtbot):
    session, runner = rig
    runner.set_speed(10.0)
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
        runner.start(epochs=200)
    runner.set_speed(0.0)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as blocker:
        pass
    assert blocker.args[0].reason == "epochs"
    assert session.trainer.epoch == 200
    assert session.trace is None  # the fast loop keeps no trace


def test_the_loss_target_stops_the_run(rig, qtbot):
    session, runner = rig
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as blocker:
        runner.start(epochs=100_000, target_loss=0.01)
    assert blocker.args[0].reason == "target"
    assert session.trainer.history.loss["train"][-1] <= 0.01


def test_opening_another_project_cancels_the_run(rig, qtbot):
    session, runner = rig
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
        runner.start(epochs=10_000_000)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        session.set_project(load_example())
    assert not session.running
    assert session.trainer.epoch == 0  # the new project was not touched by the old run


def test_stop_waits_for_the_worker(rig, qtbot):
    session, runner = rig
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
        runner.start(epochs=10_000_000)
    runner.stop(wait=True)
    assert not runner.running and not session.running
    assert runner.last_outcome.reason == "cancelled"


def test_clone_trainer_shares_nothing_that_training_changes():
    tr, _ = trainer_for(load_example())
    tr.run(epochs=3)
    clone = tr.clone()
    assert clone.network is not tr.network and clone.history is not tr.history
    before = weights_of(tr.network)
    hist = tr.history.to_dict()
    clone.run(epochs=5)
    for a, b in zip(weights_of(tr.network), before):
        np.testing.assert_array_equal(a, b)
    assert tr.history.to_dict() == hist
    assert isinstance(clone.config, TrainConfig)


def _settings(session: Session, **changes) -> None:
    assert session.set_config(dataclasses.replace(copy.deepcopy(session.config), **changes))


def test_a_paused_run_resumes_towards_its_goal(rig, qtbot):
    """Run, pause, Run again: the run goes on to the epoch it was heading for, and no further."""
    session, runner = rig
    _settings(session, epochs=3)
    runner.set_speed(25.0)  # slow enough to pause inside the run
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
        assert runner.start()
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.pause()
    assert session.trainer.epoch < 3
    runner.set_speed(0.0)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as blocker:
        assert runner.start()
    assert blocker.args[0].reason == "epochs"
    assert session.trainer.epoch == 3


def test_after_undo_step_a_run_trains_exactly_epochs_per_run(rig, qtbot):
    """A paused run's goal ends with anything else that changes the training: after Undo Step past the
    run's start, Run trains exactly "Epochs per run" from where the network now stands."""
    session, runner = rig
    session.step_epoch()
    session.step_epoch()
    assert session.trainer.epoch == 2
    _settings(session, epochs=3)
    runner.set_speed(25.0)
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
        assert runner.start()  # heading for epoch 5
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.pause()
    assert session.undo_step()  # back to before the run: epoch 2
    assert session.undo_step()  # back to before the second epoch step: epoch 1
    assert session.trainer.epoch == 1
    runner.set_speed(0.0)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as blocker:
        assert runner.start()
    outcome = blocker.args[0]
    assert outcome.reason == "epochs" and outcome.epochs == 3
    assert session.trainer.epoch == 4


def test_a_step_after_pausing_ends_the_paused_run(rig, qtbot):
    session, runner = rig
    _settings(session, epochs=3)
    runner.set_speed(25.0)
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
        assert runner.start()
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.pause()
    session.step_epoch()
    start = session.trainer.epoch
    runner.set_speed(0.0)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as blocker:
        assert runner.start()
    assert blocker.args[0].epochs == 3 and session.trainer.epoch == start + 3


def test_a_long_run_keeps_the_windows_history_bounded_and_undo_still_works(rig, qtbot):
    """Issue 13.10: the run's history is thinned as it grows; the window follows through the deltas
    that replace its history after a compaction, and undoing the run goes back to where it began."""
    session, runner = rig
    session.step_batch()
    limits = (40, 16)
    session.trainer.history.max_live_steps, session.trainer.history.max_live_epochs = limits
    before = weights_of(session.network)
    longest = [0, 0]

    def watch(_update) -> None:
        h = session.trainer.history
        longest[0], longest[1] = max(longest[0], len(h.step_loss)), max(longest[1], len(h.epochs))

    runner.progress.connect(watch)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        assert runner.start(epochs=400)
    h = session.trainer.history
    assert longest[0] <= limits[0] + 4 and longest[1] <= limits[1] + 1  # (+ what one snapshot adds)
    headless, _ = trainer_for(load_example())
    headless.step_batch()
    headless.run(epochs=400)
    assert h.generation > 5 and h.step_count == session.trainer.step_count == headless.step_count > 1_000
    for a, b in zip(weights_of(session.network), weights_of(headless.network)):
        np.testing.assert_array_equal(a, b)
    assert h.epochs[-1] == session.trainer.epoch == 400
    assert h.thinned.step_every <= 2 * h.step_count / (limits[0] // 2) and h.epoch_every <= 2 * 400 / 8
    assert h.loss["train"][-1] == headless.history.loss["train"][-1]
    session.undo_step()
    assert session.trainer.step_count == session.trainer.history.step_count == 1
    for a, b in zip(weights_of(session.network), before):
        np.testing.assert_array_equal(a, b)
