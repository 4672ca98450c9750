"""A reopened project continues training exactly as if it had never been closed.

Each epoch's sample order follows from (seed, epoch number); the project file stores the position inside
the current epoch, a mini-batch begun sample by sample and early stopping's memory. Saving, reopening and
continuing must give bit-identical weights, optimiser state, history and position to an uninterrupted
run, with shuffling on, in every batch mode, through the engine, the files and the CLI.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable

import jsonschema
import numpy as np
import pytest

from bpstudio import resource_path
from bpstudio.cli import main as cli_main
from bpstudio.engine import Trainer, TrainingProgress, epoch_order
from bpstudio.engine import history as history_module
from bpstudio.engine.progress import BestWeights, PendingBatch
from bpstudio.formats import FormatError, load_project, project_from_dict, project_to_dict, save_project
from bpstudio.workspace import load_example, trainer_for, update_project

Segment = Callable[[Trainer], object]


def make_project(mode: str = "minibatch", optimiser: str = "adam", n: int = 30, **settings):
    project = load_example("xor")
    project.dataset = {"builtin": "circle", "params": {"n": n}}
    params = {"adam": {"lr": 0.05}, "momentum": {"lr": 0.5, "momentum": 0.9}, "sgd": {"lr": 0.5}}[optimiser]
    project.training = dataclasses.replace(
        project.training,
        batch_mode=mode,
        batch_size=4,
        optimiser=optimiser,
        optimiser_params=params,
        shuffle=True,
        seed=11,
        **settings,
    )
    project.history = None
    project.optimiser_state = None
    project.progress = None
    return project


def reopened(tmp_path, project, trainer: Trainer, name: str = "p.bps.json"):
    """Save the trainer's project to a file, open it again and prepare a trainer, as a user would."""
    update_project(project, trainer)
    path = tmp_path / name
    save_project(path, project)
    again = load_project(path)
    resumed, _ = trainer_for(again, tmp_path)
    return again, resumed


def state_of(trainer: Trainer) -> dict:
    """Everything that decides the next updates, as comparable values (arrays as bytes)."""
    net = trainer.network
    state = {
        k: ([a.tobytes() for a in v] if isinstance(v, list) else v) for k, v in trainer.opt_state.items()
    }
    return {
        "params": [p.tobytes() for p in net.parameters()],
        "opt_state": state,
        "history": trainer.history.to_dict(),
        "epoch": trainer.epoch,
        "step_count": trainer.step_count,
        "cursor": trainer.cursor,
        "order": trainer.order.tolist(),
        "progress": json.dumps(trainer.progress().to_dict()),
    }


def samples(k: int) -> Segment:
    def go(tr: Trainer) -> None:
        for _ in range(k):
            tr.step_sample()

    return go


def batches(k: int) -> Segment:
    def go(tr: Trainer) -> None:
        for _ in range(k):
            tr.step_batch()

    return go


def epochs(k: int) -> Segment:
    return lambda tr: tr.run(epochs=k)


def straight_and_resumed(tmp_path, project_factory, segments: list[Segment]) -> tuple[Trainer, Trainer]:
    """The segments on one trainer, and on a trainer saved, reopened and prepared after each segment
    (checked against the uninterrupted one at every break)."""
    straight, _ = trainer_for(project_factory())
    project = project_factory()
    resumed, _ = trainer_for(project)
    for i, seg in enumerate(segments):
        seg(straight)
        seg(resumed)
        project, resumed = reopened(tmp_path, project, resumed, f"p{i}.bps.json")
        assert state_of(resumed) == state_of(straight), f"after segment {i}"
    return straight, resumed


# ---------------------------------------------------------------------------------------------- the order
def test_each_epochs_order_is_drawn_from_the_seed_and_the_epoch_number():
    project = make_project("online", n=20)
    trainer, _ = trainer_for(project)
    n = trainer.n_train
    orders = []
    for k in range(1, 5):
        assert trainer.epoch == k - 1
        np.testing.assert_array_equal(trainer.order, np.random.default_rng([11, k]).permutation(n))
        orders.append(trainer.order.tolist())
        trainer.step_epoch()
    assert sorted(orders[0]) == list(range(n))
    assert len({tuple(o) for o in orders}) == 4  # a new order every epoch
    np.testing.assert_array_equal(epoch_order(5, 3, None), np.arange(5))


@pytest.mark.parametrize("seed", [0, 1, 11, 4_000_000_000, 2**32 - 1, 2**32, 2**40 + 3])
def test_the_order_is_numpys_default_rng_of_seed_and_epoch_to_the_word(seed):
    """epoch_order computes SeedSequence's state for a block of epochs at once (below 2³²): the orders
    must be exactly ``default_rng([seed, epoch]).permutation(n)``, across blocks and at the limits."""
    rng = np.random.default_rng(seed % 1000)
    epochs = [1, 2, 255, 256, 257, 511, 512, 1000, 2**31, 2**32 - 1, 2**32, *rng.integers(1, 10**6, 20)]
    for epoch in epochs:
        for n in (1, 4, 50):
            expected = np.random.default_rng([seed, int(epoch)]).permutation(n)
            np.testing.assert_array_equal(epoch_order(n, int(epoch), seed), expected)


def test_shuffle_off_keeps_the_file_order_in_every_epoch():
    project = make_project("online", n=12)
    project.training.shuffle = False
    trainer, _ = trainer_for(project)
    for _ in range(3):
        np.testing.assert_array_equal(trainer.order, np.arange(trainer.n_train))
        trainer.step_epoch()


def test_a_new_seed_orders_an_untouched_epoch_at_once_and_a_begun_one_from_the_next_epoch(tmp_path):
    project = make_project("online", n=16)
    trainer, _ = trainer_for(project)
    n = trainer.n_train
    trainer.set_config(dataclasses.replace(trainer.config, seed=3))
    np.testing.assert_array_equal(trainer.order, epoch_order(n, 1, 3))  # nothing trained yet: at once
    trainer.step_sample()
    begun = trainer.order.copy()
    trainer.set_config(dataclasses.replace(trainer.config, seed=4))
    np.testing.assert_array_equal(trainer.order, begun)  # this epoch keeps its order
    assert trainer.progress().shuffle_seed == 3
    project.training = trainer.config
    again, resumed = reopened(tmp_path, project, trainer)
    np.testing.assert_array_equal(resumed.order, begun)  # ... also after reopening
    assert again.training.seed == 4 and resumed.cursor == 1
    for tr in (trainer, resumed):
        tr.step_epoch()
        np.testing.assert_array_equal(tr.order, epoch_order(n, 2, 4))  # the next epoch: the new seed
    assert state_of(resumed) == state_of(trainer)


# ---------------------------------------------------------------------------------------------- resuming
@pytest.mark.parametrize("mode", ["online", "minibatch", "full"])
def test_save_reopen_continue_is_bit_identical_to_an_uninterrupted_run(tmp_path, mode):
    segments = [epochs(2), samples(3), batches(2), samples(1), epochs(2)]
    straight, resumed = straight_and_resumed(tmp_path, lambda: make_project(mode), segments)
    assert straight.cursor == 0 and straight.epoch >= 4
    assert straight.history.to_dict() == resumed.history.to_dict()


@pytest.mark.parametrize("mode", ["minibatch", "full"])
def test_a_batch_begun_sample_by_sample_is_finished_after_reopening(tmp_path, mode):
    project = make_project(mode, optimiser="momentum")
    straight, _ = trainer_for(make_project(mode, optimiser="momentum"))
    trainer, _ = trainer_for(project)
    for tr in (straight, trainer):
        tr.run(epochs=1)
        tr.step_sample()
        tr.step_sample()
    steps = trainer.step_count
    again, resumed = reopened(tmp_path, project, trainer)
    p = again.progress
    assert p is not None and p.batch is not None
    assert (p.epoch, p.position, p.batch.start) == (1, 2, 0)
    assert p.batch.end == (4 if mode == "minibatch" else resumed.n_train)
    assert resumed.step_count == steps  # no update yet: the two samples' gradients wait in the file
    trace = resumed.step_batch()  # the rest of the batch, then the update
    assert trace.applied and resumed.step_count == steps + 1
    straight.step_batch()
    assert state_of(resumed) == state_of(straight)


def test_training_resumes_bit_identically_with_a_thinned_history(tmp_path, monkeypatch):
    monkeypatch.setattr(history_module, "MAX_STORED_STEPS", 40)
    project = make_project("online", optimiser="sgd")
    straight, _ = trainer_for(make_project("online", optimiser="sgd"))
    trainer, _ = trainer_for(project)
    for tr in (straight, trainer):
        tr.run(epochs=3)
        for _ in range(5):
            tr.step_sample()
    again, resumed = reopened(tmp_path, project, trainer)
    assert again.history.thinned is not None and again.history.thinned.step_every == 3  # 95 updates
    assert (resumed.epoch, resumed.cursor, resumed.step_count) == (3, 5, 95)
    for tr in (straight, resumed):
        tr.run(epochs=2)
    assert [p.tobytes() for p in resumed.network.parameters()] == [
        p.tobytes() for p in straight.network.parameters()
    ]
    assert state_of(resumed)["opt_state"] == state_of(straight)["opt_state"]
    h, raw = resumed.history, straight.history
    assert (h.step_count, h.epochs, h.loss, h.accuracy) == (
        raw.step_count,
        raw.epochs,
        raw.loss,
        raw.accuracy,
    )
    n_prefix = h.thinned.points
    assert h.step_loss[n_prefix:] == raw.step_loss[95:]  # every update after reopening, bit for bit
    assert h.grad_norms[n_prefix:] == raw.grad_norms[95:]
    np.testing.assert_array_equal(resumed.order, straight.order)


def test_early_stopping_remembers_its_best_weights_across_a_reopening(tmp_path):
    def factory():
        p = make_project("online", optimiser="sgd", n=40, early_stopping=True, patience=10)
        p.training.optimiser_params = {"lr": 0.5}
        p.dataset = p.dataset.replace(split={"val": 0.4, "test": 0.0, "seed": 2, "stratify": True})
        return p

    straight, _ = trainer_for(factory())
    straight.run(epochs=6)
    assert straight.stop_reason is None and straight.state.best.wait > 0  # the best epoch lies behind
    straight, resumed = straight_and_resumed(tmp_path, factory, [epochs(6), epochs(200)])
    assert straight.stop_reason == "early_stopping" and resumed.epoch == straight.epoch < 206

    # without the stored memory the continued run would stop elsewhere or keep other weights
    project = factory()
    forgetful, _ = trainer_for(project)
    forgetful.run(epochs=6)
    update_project(project, forgetful)
    project.progress.early_stopping = None
    forgetful, _ = trainer_for(project_from_dict(project_to_dict(project)))
    forgetful.run(epochs=200)
    assert state_of(forgetful)["params"] != state_of(straight)["params"] or forgetful.epoch != straight.epoch


def test_undo_step_after_reopening_goes_back_exactly(tmp_path):
    project = make_project("minibatch")
    straight, _ = trainer_for(make_project("minibatch"))
    trainer, _ = trainer_for(project)
    for tr in (straight, trainer):
        tr.run(epochs=1)
        tr.step_sample()
    _, resumed = reopened(tmp_path, project, trainer)
    before = state_of(resumed)
    snap = resumed.snapshot()
    for _ in range(12):  # finishes the begun batch, more batches, past the end of the epoch
        resumed.step_sample()
    assert resumed.epoch == 1 and resumed.cursor == 13
    resumed.restore(snap)
    assert state_of(resumed) == before
    resumed.run(epochs=2)
    straight.run(epochs=2)
    assert state_of(resumed) == state_of(straight)


def test_undo_across_an_epoch_boundary_restores_the_epochs_order():
    trainer, _ = trainer_for(make_project("online", n=10))
    trainer.run(epochs=1)
    for _ in range(trainer.n_train - 1):
        trainer.step_sample()
    snap = trainer.snapshot()
    order = trainer.order.copy()
    trainer.set_config(dataclasses.replace(trainer.config, seed=99))
    trainer.step_sample()  # the epoch ends: the next one is drawn with seed 99
    np.testing.assert_array_equal(trainer.order, epoch_order(trainer.n_train, 3, 99))
    trainer.restore(snap)
    np.testing.assert_array_equal(trainer.order, order)
    assert trainer.progress().shuffle_seed == 11


def test_the_fast_loop_and_traced_steps_agree_after_reopening(tmp_path):
    project = make_project("minibatch")
    trainer, _ = trainer_for(project)
    trainer.run(epochs=1)
    trainer.step_sample()
    _, fast = reopened(tmp_path, project, trainer, "a.bps.json")
    _, traced = reopened(tmp_path, project, trainer, "b.bps.json")
    fast.run(epochs=2)
    while traced.epoch < 3:
        traced.step_batch()
    assert state_of(fast)["params"] == state_of(traced)["params"]
    assert fast.history.step_loss == traced.history.step_loss


# ---------------------------------------------------------------------------------------------- not fitting
def test_a_progress_that_does_not_fit_is_ignored_and_training_starts_the_epoch():
    trainer, _ = trainer_for(make_project("minibatch", n=20))
    trainer.run(epochs=2)
    n = trainer.n_train
    shapes = [p.shape for p in trainer.network.parameters()]
    grads = [np.zeros(s) for s in shapes]
    cases = [
        (TrainingProgress(1, 3, 11), "recorded after epoch 1, the history has 2 epochs"),
        (TrainingProgress(2, n, 11), f"position {n} is not a sample of the {n} training samples"),
        (TrainingProgress(2, 3, 11, PendingBatch(0, 3, 0.1, grads)), "does not fit position 3"),
        (TrainingProgress(2, 3, 11, PendingBatch(0, 4, 0.1, grads[:2])), "gradients do not fit"),
        (
            TrainingProgress(2, 3, 11, None, BestWeights(0.1, 1, [np.zeros((2, 2))], [np.zeros(2)])),
            "best weights do not fit",
        ),
    ]
    for progress, why in cases:
        trainer.set_config(dataclasses.replace(trainer.config, seed=5))
        reason = trainer.resume(progress)
        assert reason is not None and why in reason
        assert trainer.cursor == 0 and trainer.progress().batch is None
        np.testing.assert_array_equal(trainer.order, epoch_order(n, 3, 5))  # the settings' order
    assert trainer.resume(TrainingProgress(2, 3, 11, PendingBatch(1, 4, 0.1, grads))) is None
    assert (trainer.cursor, trainer.progress().batch.start) == (3, 1)
    np.testing.assert_array_equal(trainer.order, epoch_order(n, 3, 11))


def test_a_version_2_project_continues_at_the_start_of_its_next_epoch(tmp_path):
    project = make_project("online")
    trainer, _ = trainer_for(project)
    trainer.run(epochs=2)
    trainer.step_sample()
    update_project(project, trainer)
    doc = project_to_dict(project)
    doc["version"] = 2
    for key in ("input_transform", "progress"):
        del doc[key]
    for key in ("step_count", "step_every"):
        del doc["history"][key]
    path = tmp_path / "v2.bps.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    old = load_project(path)
    assert old.progress is None
    resumed, _ = trainer_for(old, tmp_path)
    assert (resumed.epoch, resumed.cursor, resumed.step_count) == (2, 0, trainer.step_count)
    np.testing.assert_array_equal(resumed.order, epoch_order(resumed.n_train, 3, 11))


# ---------------------------------------------------------------------------------------------- the file
def _trained_doc() -> dict:
    """A project document saved in the middle of a begun batch, with early stopping's memory."""
    project = make_project("minibatch", optimiser="momentum", early_stopping=True, patience=50)
    project.dataset = project.dataset.replace(split={"val": 0.3, "test": 0.0, "seed": 1, "stratify": True})
    trainer, _ = trainer_for(project)
    trainer.run(epochs=2)
    trainer.step_sample()
    update_project(project, trainer)
    return project_to_dict(project)


def test_the_progress_round_trips_bit_for_bit(tmp_path):
    doc = _trained_doc()
    p = doc["progress"]
    assert p["batch"] is not None and p["early_stopping"] is not None
    assert (p["epoch"], p["position"], p["shuffle_seed"]) == (2, 1, 11)
    path = tmp_path / "r.bps.json"
    save_project(path, project_from_dict(doc))
    again = load_project(path)
    assert again.progress.to_dict() == p
    for a, b in zip(again.progress.batch.gradients, project_from_dict(doc).progress.batch.gradients):
        assert a.tobytes() == b.tobytes()
    schema = json.loads(resource_path("schema", "project.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(json.loads(path.read_text(encoding="utf-8")))


BAD_PROGRESS = [
    (("batch", "start"), 1, r"^progress\.batch\.start: must be less than progress\.position = 1 "),
    (("batch", "end"), 1, r"^progress\.batch\.end: must be more than progress\.position = 1 "),
    (
        ("batch", "gradients", 1),
        [0.0, 0.0, 0.0],
        r"^progress\.batch\.gradients\[1\]: expected 2 \(the shape ",
    ),
    (("early_stopping", "weights", 1), [[0.0]], r"^progress\.early_stopping\.weights\[1\]: expected 1×2 "),
    (("early_stopping", "biases"), [], r"^progress\.early_stopping\.biases: expected 2 arrays "),
    (("position",), -1, r"^progress\.position: must be ≥ 0"),
    (("shuffle_seed",), "7", r"^progress\.shuffle_seed: "),
    (("epoch",), None, r"^progress\.epoch: "),
]


@pytest.mark.parametrize(("where", "value", "message"), BAD_PROGRESS)
def test_a_bad_progress_is_refused_with_the_field_named(where, value, message):
    doc = _trained_doc()
    target = doc["progress"]
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(FormatError, match=message):
        project_from_dict(doc)


def test_a_project_without_progress_is_refused_but_null_is_fine():
    doc = _trained_doc()
    doc["progress"] = None
    assert project_from_dict(doc).progress is None
    del doc["progress"]
    with pytest.raises(FormatError, match=r"^progress: missing"):
        project_from_dict(doc)


# ---------------------------------------------------------------------------------------------- CLI
def _cli_train(src, dst, n_epochs: int) -> None:
    assert cli_main(["train", str(src), "--epochs", str(n_epochs), "--out", str(dst), "--quiet"]) == 0


@pytest.mark.parametrize("mode", ["online", "minibatch", "full"])
def test_bpstudio_train_twice_equals_training_once(tmp_path, mode):
    start = tmp_path / "start.bps.json"
    save_project(start, make_project(mode))
    _cli_train(start, tmp_path / "half.bps.json", 3)
    _cli_train(tmp_path / "half.bps.json", tmp_path / "twice.bps.json", 2)
    _cli_train(start, tmp_path / "once.bps.json", 5)
    twice = json.loads((tmp_path / "twice.bps.json").read_text(encoding="utf-8"))
    once = json.loads((tmp_path / "once.bps.json").read_text(encoding="utf-8"))
    assert twice["history"]["epochs"] == [1, 2, 3, 4, 5]
    assert twice == once


def test_bpstudio_train_finishes_an_epoch_the_window_left_half_done(tmp_path):
    project = make_project("minibatch")
    straight, _ = trainer_for(make_project("minibatch"))
    trainer, _ = trainer_for(project)
    for tr in (straight, trainer):
        tr.run(epochs=1)
        for _ in range(6):
            tr.step_sample()
    update_project(project, trainer)
    save_project(tmp_path / "half.bps.json", project)
    _cli_train(tmp_path / "half.bps.json", tmp_path / "done.bps.json", 2)
    straight.run(epochs=2)
    done = load_project(tmp_path / "done.bps.json")
    expected = copy.deepcopy(project)
    update_project(expected, straight)
    assert project_to_dict(done)["network"] == project_to_dict(expected)["network"]
    assert project_to_dict(done)["optimiser_state"] == project_to_dict(expected)["optimiser_state"]
    assert project_to_dict(done)["history"] == project_to_dict(expected)["history"]
    assert done.progress.to_dict() == straight.progress().to_dict()
    assert (done.progress.epoch, done.progress.position) == (3, 0)
