"""The per-epoch evaluation of the training split (``TrainConfig.train_eval``, issue 18.2): every sample
of a set of up to 4,096, a fixed evenly spaced subsample of a larger one, every sample with "all"."""

from __future__ import annotations

import numpy as np
import pytest

from bpstudio.engine import EngineError, Network, TrainConfig, Trainer, train_eval_size
from bpstudio.engine.evaluation import LARGE_SET, MAX_STRIDE, SUBSAMPLE, train_eval_stride


@pytest.mark.parametrize(
    ("n", "stride", "size"),
    [(1, 1, 1), (1797, 1, 1797), (4096, 1, 4096), (4097, 4, 1025), (6400, 6, 1067), (60_000, 16, 3750)],
)
def test_the_rule_names_its_samples(n, stride, size):
    assert train_eval_stride(n) == stride and train_eval_size(n) == size
    assert train_eval_stride(n, "all") == 1 and train_eval_size(n, "all") == n


def test_a_subsample_is_never_small_nor_a_small_share():
    for n in [*range(LARGE_SET - 3, LARGE_SET + 3000, 7), 10**5, 10**6 + 3, 7 * 10**6]:
        size = train_eval_size(n)
        assert size == len(range(0, n, train_eval_stride(n)))
        if n > LARGE_SET:
            assert size >= SUBSAMPLE and size * MAX_STRIDE >= n and size < n
        else:
            assert size == n


def softmax_trainer(n: int, mode: str = "auto", dtype: str = "float64", seed: int = 0) -> Trainer:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)
    T = np.eye(3)[y]
    net = Network.create([3, 5, 3], ["tanh", "softmax"], init="xavier", seed=seed)
    cfg = TrainConfig(
        loss="cce",
        optimiser="adam",
        optimiser_params={"lr": 0.01},
        batch_mode="minibatch",
        batch_size=32,
        train_eval=mode,
        dtype=dtype,
    )
    Xv, Tv = X[: n // 4] + 0.1, T[: n // 4]
    return Trainer(net, cfg, X, T, val=(Xv, Tv))


def test_a_large_set_records_the_exact_loss_and_accuracy_of_its_subsample():
    tr = softmax_trainer(5000)
    assert tr.train_eval_size == 1250  # j = 4: samples 0, 4, 8, …
    tr.run(epochs=3)
    loss, acc = tr.evaluate(tr.X[::4], tr.T[::4])
    assert tr.history.loss["train"][-1] == loss and tr.history.accuracy["train"][-1] == acc
    full, _ = tr.evaluate(tr.X, tr.T)
    assert full != loss and abs(full - loss) < 0.1 * full  # a subsample: close to, not the whole
    # the validation split is evaluated whole
    assert tr.history.loss["val"][-1] == tr.evaluate(*tr.val)[0]


def test_all_evaluates_every_sample_and_the_training_itself_does_not_change():
    auto, every = softmax_trainer(5000), softmax_trainer(5000, "all")
    assert every.train_eval_size == 5000
    auto.run(epochs=2)
    every.run(epochs=2)
    assert every.history.loss["train"][-1] == every.evaluate(every.X, every.T)[0]
    for a, b in zip(auto.network.parameters(), every.network.parameters()):
        np.testing.assert_array_equal(a, b)
    assert auto.history.step_loss == every.history.step_loss
    assert auto.history.loss["val"] == every.history.loss["val"]
    assert auto.history.loss["train"] != every.history.loss["train"]


def test_small_sets_are_evaluated_whole_as_before():
    tr = softmax_trainer(LARGE_SET)
    assert tr.train_eval_size == LARGE_SET
    tr.run(epochs=1)
    assert tr.history.loss["train"][-1] == tr.evaluate(tr.X, tr.T)[0]


def test_a_target_loss_is_judged_on_what_is_recorded():
    tr = softmax_trainer(5000)
    tr.run(epochs=1)
    first = tr.history.loss["train"][-1]
    tr2 = softmax_trainer(5000)
    result = tr2.run(epochs=50, target_loss=first)
    assert result.reason == "target" and tr2.epoch == 1


def test_the_setting_can_change_between_runs():
    tr = softmax_trainer(5000)
    tr.run(epochs=1)
    tr.config.train_eval = "all"
    assert tr.train_eval_size == 5000
    tr.run(epochs=1)
    assert tr.history.loss["train"][-1] == tr.evaluate(tr.X, tr.T)[0]
    tr.config.train_eval = "auto"
    tr.run(epochs=1)
    assert tr.history.loss["train"][-1] == tr.evaluate(tr.X[::4], tr.T[::4])[0]


def test_float32_runs_evaluate_the_same_subsample():
    tr = softmax_trainer(5000, dtype="float32")
    tr.run(epochs=2)
    twin = softmax_trainer(5000, dtype="float32")
    twin.config.train_eval = "all"
    twin.run(epochs=2)
    for a, b in zip(tr.network.parameters(), twin.network.parameters()):
        np.testing.assert_array_equal(a, b)
    sub = tr.history.loss["train"][-1]
    assert sub is not None and sub != twin.history.loss["train"][-1]
    assert sub == pytest.approx(tr.evaluate(tr.X[::4], tr.T[::4])[0], rel=1e-5)  # float32's precision


def test_the_setting_is_saved_only_when_it_is_not_the_default():
    assert "train_eval" not in TrainConfig().to_dict()
    data = TrainConfig(train_eval="all").to_dict()
    assert data["train_eval"] == "all"
    assert TrainConfig.from_dict(data).train_eval == "all"
    assert TrainConfig.from_dict(TrainConfig().to_dict()).train_eval == "auto"
    with pytest.raises(EngineError, match="train_eval: choose one of auto, all, not 'some'"):
        TrainConfig(train_eval="some").validate()


def test_the_train_command_says_when_the_loss_is_on_a_subsample_and_saves_the_setting(tmp_path, capsys):
    from bpstudio import resource_path
    from bpstudio.cli import main
    from bpstudio.formats import load_project

    xor = str(resource_path("examples/xor.bps.json"))
    out = tmp_path / "out.bps.json"
    args = ["train", xor, "--epochs", "1", "--dataset", "moons", "--param", "n=6000", "--out", str(out)]
    assert main([*args, "--quiet"]) == 0
    assert "(on 1,200 of its 6,000 samples)" in capsys.readouterr().err
    assert "train_eval" not in load_project(out).training.to_dict()
    assert main([*args, "--quiet", "--train-eval", "all"]) == 0
    assert "of its" not in capsys.readouterr().err
    assert load_project(out).training.train_eval == "all"
    assert main([*args, "--train-eval", "some"]) == 2
    assert "--train-eval: invalid choice: 'some'" in capsys.readouterr().err


def test_the_history_records_what_each_epochs_training_loss_is_of():
    """``History.train_basis``: (first epoch, K, N) whenever it changes, so that the plots and the
    exported numbers can say which epochs were measured on a subsample; undo and reopening keep it."""
    tr = softmax_trainer(5000)
    tr.run(epochs=2)
    tr.config.train_eval = "all"
    tr.run(epochs=1)
    tr.config.train_eval = "auto"
    mark = tr.history.mark()
    tr.run(epochs=2)
    h = tr.history
    assert h.train_basis == [(1, 1250, 5000), (3, 5000, 5000), (4, 1250, 5000)]
    assert h.train_samples() == [(1250, 5000)] * 2 + [(5000, 5000)] + [(1250, 5000)] * 2
    assert h.subsampled()
    data = h.to_dict()
    assert data["train_basis"] == [[1, 1250, 5000], [3, 5000, 5000], [4, 1250, 5000]]
    back = type(h).from_dict(data)
    assert back.train_basis == h.train_basis and back.train_samples() == h.train_samples()
    copy = h.copy()
    copy.train_basis.append((9, 1, 1))
    assert len(h.train_basis) == 3  # an independent copy
    # a delta carries the record whole (a run's snapshots to the window)
    seen = h.copy()
    seen.truncate(mark.steps, mark.epochs)
    assert seen.train_basis == [(1, 1250, 5000), (3, 5000, 5000)]
    seen.extend(h.since(mark.steps, mark.epochs, mark.generation))
    assert seen.train_basis == h.train_basis and seen.epochs == h.epochs
    h.rewind(mark)  # undo: the record of epochs 4 and 5 goes with them
    assert h.epochs == [1, 2, 3] and h.train_basis == [(1, 1250, 5000), (3, 5000, 5000)]


def test_a_history_measured_on_every_sample_saves_no_record_and_old_files_read_as_unknown():
    tr = softmax_trainer(300)
    tr.run(epochs=2)
    assert tr.history.train_basis == [(1, 300, 300)] and not tr.history.subsampled()
    data = tr.history.to_dict()
    assert "train_basis" not in data  # nothing to say: every epoch on every sample
    back = type(tr.history).from_dict(data)
    assert back.train_basis == [] and back.train_samples() == [None, None]
