"""The live history's memory is bounded however long training runs (issue 13.10).

The per-update series are thinned in place to bucket means when they exceed ``max_live_steps``
entries, the per-epoch series keep only epochs that are multiples of ``epoch_every`` (and the latest)
beyond ``max_live_epochs``. Training itself is unchanged, the thinned points are exact means of the
per-update values, and undo, a background run's deltas, saving and resuming work across compactions.
Small limits stand in for the defaults (20,000 entries each) so that the tests run fast; the
10-million-update figure is in docs/benchmarks.md (``benchmarks/history_memory.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from bpstudio.engine import History
from bpstudio.engine.history import MAX_LIVE_EPOCHS, MAX_LIVE_STEPS, MAX_STORED_STEPS, ThinnedPrefix
from bpstudio.formats import load_project, save_project
from bpstudio.workspace import load_example, trainer_for, update_project

STEPS, EPOCHS = 60, 24  # live limits for the tests


def circle(n_samples: int = 20, batch_mode: str = "online"):
    project = load_example("xor")
    project.dataset = {"builtin": "circle", "params": {"n": n_samples}}
    project.training.batch_mode = batch_mode
    project.training.shuffle = True
    project.training.optimiser_params = {"lr": 0.3}
    project.history = None
    project.optimiser_state = None
    return project


def bounded_trainer(project=None):
    trainer, _ = trainer_for(project or circle())
    trainer.history.max_live_steps, trainer.history.max_live_epochs = STEPS, EPOCHS
    return trainer


def per_update(trainer_or_history) -> tuple[np.ndarray, np.ndarray]:
    h = getattr(trainer_or_history, "history", trainer_or_history)
    return np.asarray(h.step_loss), np.asarray(h.grad_norms)


def assert_exact_means(h: History, raw_loss: np.ndarray, raw_norms: np.ndarray) -> None:
    """Each entry of ``h`` is the mean of the per-update values of the updates it stands for."""
    ends = h.step_indices()
    starts = np.concatenate([[0], ends[:-1]])
    assert ends[-1] == raw_loss.size == h.step_count
    for i, (a, b) in enumerate(zip(starts, ends)):
        assert h.step_loss[i] == pytest.approx(raw_loss[a:b].mean(), rel=1e-12, abs=1e-15)
        np.testing.assert_allclose(h.grad_norms[i], raw_norms[a:b].mean(axis=0), rtol=1e-12, atol=1e-15)


def test_the_defaults_match_what_a_save_stores():
    h = History()
    assert (h.max_live_steps, h.max_live_epochs) == (MAX_LIVE_STEPS, MAX_LIVE_EPOCHS)
    assert MAX_LIVE_STEPS == 2 * MAX_STORED_STEPS  # one compaction leaves what a save would store


def test_long_training_keeps_the_series_bounded_with_exact_means_and_the_same_weights():
    reference, _ = trainer_for(circle())  # default limits: nothing is thinned in 30 epochs (600 updates)
    bounded = bounded_trainer()
    longest = [0, 0]

    def watch(_progress) -> bool:
        longest[0] = max(longest[0], len(bounded.history.step_loss))
        longest[1] = max(longest[1], len(bounded.history.epochs))
        return True

    reference.run(epochs=30)
    bounded.run(epochs=30, callback=watch, interval=0.0)
    h = bounded.history
    assert longest[0] <= STEPS + 1 and longest[1] <= EPOCHS and len(h.step_loss) <= STEPS
    assert h.generation >= 10 and h.thinned is not None
    # buckets grow with the run, not with the number of compactions: at most twice what fits
    assert h.thinned.step_every <= 2 * 600 / (STEPS // 2) and len(h.step_loss) >= STEPS // 4
    for w, v in zip(bounded.network.weights, reference.network.weights):
        np.testing.assert_array_equal(w, v)  # thinning the record never changes training
    assert bounded.step_count == h.step_count == 600
    assert_exact_means(h, *per_update(reference))
    # per epoch: fewer epochs, the latest among them, with the values recorded at those epochs
    assert h.epochs[-1] == 30 and h.epoch_every > 1 and len(h.epochs) <= EPOCHS
    assert h.epochs == sorted(set(h.epochs))
    ref = reference.history
    for split in ("train", "val", "test"):
        assert h.loss[split] == [ref.loss[split][e - 1] for e in h.epochs]
        assert h.accuracy[split] == [ref.accuracy[split][e - 1] for e in h.epochs]


def test_the_traced_step_thins_too():
    reference, _ = trainer_for(circle())
    bounded = bounded_trainer()
    for _ in range(150):
        reference.step_batch()
        bounded.step_batch()
    assert len(bounded.history.step_loss) <= STEPS and bounded.history.step_count == 150
    assert_exact_means(bounded.history, *per_update(reference))


def test_undo_across_a_compaction_goes_back_to_the_update_and_epoch_of_the_snapshot():
    reference, _ = trainer_for(circle())
    bounded = bounded_trainer()
    for tr in (reference, bounded):
        tr.run(epochs=3)
        for _ in range(7):  # into the middle of epoch 4: the mark is not on a bucket boundary
            tr.step_batch()
    snap = bounded.snapshot()
    kept = bounded.history.copy()
    reference.run(epochs=10)
    bounded.run(epochs=10)
    assert bounded.history.generation > snap.history.generation
    bounded.restore(snap)
    h = bounded.history
    assert bounded.step_count == h.step_count == 67 and bounded.epoch == 3 and h.epochs[-1] == 3
    # entries that end at or before update 67 are the very ones recorded then, or exact means of them
    ends = h.step_indices()
    assert ends[-1] == 67
    raw = np.asarray(reference.history.step_loss)
    starts = np.concatenate([[0], ends[:-1]])
    for i, (a, b) in enumerate(zip(starts[:-1], ends[:-1])):
        assert h.step_loss[i] == pytest.approx(raw[a:b].mean(), rel=1e-12)
    assert len(h.epochs) == len(h.loss["train"]) == len(h.accuracy["val"])
    assert h.loss["train"] == kept.loss["train"][: len(h.epochs)]
    # and training on from there gives the same numbers again
    again, _ = trainer_for(circle())
    again.run(epochs=3)
    for _ in range(7):
        again.step_batch()
    again.run(epochs=2)
    bounded.run(epochs=2)
    for w, v in zip(bounded.network.weights, again.network.weights):
        np.testing.assert_array_equal(w, v)


def test_undo_without_a_compaction_is_exact():
    bounded = bounded_trainer()
    bounded.run(epochs=2)
    before = bounded.history.copy()
    snap = bounded.snapshot()
    bounded.step_batch()
    bounded.restore(snap)
    assert bounded.history == before


def test_deltas_across_compactions_rebuild_the_receivers_history():
    """A background run sends the window what was added since its last update; after a compaction it
    sends the whole (bounded) history instead."""
    worker = bounded_trainer()
    window = worker.history.copy()
    sent = worker.history.mark()
    replaced = 0
    for _ in range(40):
        for _ in range(9):
            worker.step_batch()
        delta = worker.history.since(sent.steps, sent.epochs, sent.generation)
        if not delta.replaces:
            assert (len(window.step_loss), len(window.epochs)) == (
                delta.n_steps_before,
                delta.n_epochs_before,
            )
        replaced += delta.replaces
        window.extend(delta)
        sent = worker.history.mark()
        assert window == worker.history and window.generation == worker.history.generation
    assert replaced >= 3
    assert len(window.step_loss) <= STEPS


def test_a_bounded_history_saves_and_resumes_at_the_true_update_and_epoch(tmp_path):
    project = circle()
    trainer = bounded_trainer(project)
    trainer.run(epochs=40)
    h = trainer.history
    assert h.epoch_every > 1 and h.epochs[-1] == 40
    update_project(project, trainer)
    path = tmp_path / "long.bps.json"
    save_project(path, project)
    again = load_project(path)
    resumed, _ = trainer_for(again, tmp_path)
    assert (resumed.step_count, resumed.epoch) == (800, 40)
    assert resumed.history.epochs == h.epochs
    straight, _ = trainer_for(circle())
    straight.run(epochs=42)
    resumed.run(epochs=2)  # the saved progress fits: training continues bit for bit
    for w, v in zip(resumed.network.weights, straight.network.weights):
        np.testing.assert_array_equal(w, v)


def test_compaction_rules_on_a_synthetic_history():
    h = History(max_live_steps=10, max_live_epochs=10)
    h.step_loss = [float(i) for i in range(1, 12)]
    h.grad_norms = [[float(i)] for i in range(1, 12)]
    assert h.compact_steps()  # 11 updates into buckets of 3: 2, 5, 8, 10.5
    assert h.thinned == ThinnedPrefix(3, 4, 11) and h.step_loss == [2.0, 5.0, 8.0, 10.5]
    h.step_loss.append(12.0)
    h.grad_norms.append([12.0])
    assert h.step_count == 12 and list(h.step_indices()) == [3, 6, 9, 11, 12]
    assert not h.compact_steps()  # 5 entries: within half the limit
    h.epochs = list(range(1, 10))
    for split in ("train", "val", "test"):
        h.loss[split] = [float(e) for e in h.epochs]
        h.accuracy[split] = [None] * 9
    assert h.compact_epochs()
    assert h.epochs == [2, 4, 6, 8, 9] and h.epoch_every == 2 and h.loss["val"] == [2.0, 4.0, 6.0, 8.0, 9.0]
    h.epochs += [10, 11, 12, 13]
    for split in ("train", "val", "test"):
        h.loss[split] += [10.0, 11.0, 12.0, 13.0]
        h.accuracy[split] += [None] * 4
    assert h.compact_epochs() and h.epochs == [4, 8, 12, 13] and h.epoch_every == 4
