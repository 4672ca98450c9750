"""Per-layer distributions of weights, |∂E/∂w| and |Δw| over the epochs (issue 15.5): the quantiles
against NumPy's, the records against the update they describe, thinning, undo and files."""

from __future__ import annotations

import numpy as np
import pytest

from bpstudio.engine import Network, TrainConfig
from bpstudio.engine.distributions import (
    KINDS,
    QUANTILES,
    DistributionLog,
    Recorder,
    quantiles,
    record,
    record_every,
)
from bpstudio.engine.history import History
from bpstudio.engine.training import Trainer
from bpstudio.formats import Project, project_from_dict, project_to_dict

#: XOR's table 64 times over: epochs long enough that every epoch is recorded (record_every is 1)
XOR_X = np.tile(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float), (64, 1))
XOR_T = np.tile(np.array([[0], [1], [1], [0]], float), (64, 1))


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20, 101])
def test_quantiles_are_numpys_linear_quantiles(n):
    v = np.random.default_rng(n).normal(size=(3, n))
    np.testing.assert_allclose(quantiles(v), np.quantile(v, QUANTILES, axis=1).T, rtol=0, atol=1e-15)
    assert np.isnan(quantiles(np.zeros((2, 0)))).all()


def test_the_recorder_gives_the_same_numbers_as_record_with_removed_connections():
    rng = np.random.default_rng(1)
    net = Network.create([3, 4, 2, 1], ["tanh", "relu", "sigmoid"], seed=2)
    net.set_connection(0, 1, 2, False)
    for k in range(2):  # a layer whose every connection is removed: NaN rows
        net.set_connection(2, 0, k, False)
    shapes = [p.shape for p in net.parameters()]
    PGD = rng.normal(size=(3, sum(int(np.prod(s)) for s in shapes)))
    views = []
    offset = 0
    for s in shapes:
        size = int(np.prod(s))
        views.append([PGD[r, offset : offset + size].reshape(s) for r in range(3)])
        offset += size
    W = [views[i][0] for i in range(0, 6, 2)]
    G = [views[i][1] for i in range(0, 6, 2)]
    D = [views[i][2] for i in range(0, 6, 2)]
    expected = record(W, G, D, net.masks)
    got = Recorder(shapes, net.masks)(PGD)
    np.testing.assert_array_equal(got, expected)
    assert got.shape == (3, 3, len(QUANTILES))
    # the first layer without its removed weight (to 2, from 3), magnitudes for gradients and changes
    present = np.delete(W[0].ravel(), 1 * 3 + 2)
    np.testing.assert_allclose(got[0, 0], np.quantile(present, QUANTILES), atol=1e-15)
    np.testing.assert_allclose(got[1, 1], np.quantile(np.abs(G[1].ravel()), QUANTILES), atol=1e-15)
    assert np.isnan(got[:, 2]).all()


@pytest.mark.parametrize("optimiser", ["sgd", "momentum", "adam"])
def test_each_epoch_records_its_last_updates_gradients_and_changes(optimiser):
    """Stepped update by update (the traced path): the record of each epoch is the quantiles of the
    traced last update's ∂E/∂w (with L2) and Δw, and of the weights after it."""
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=4)
    cfg = TrainConfig(loss="bce", optimiser=optimiser, batch_mode="minibatch", batch_size=3, l2=0.01)
    tr = Trainer(net, cfg, XOR_X, XOR_T)
    for epoch in (1, 2):
        while True:
            trace = tr.step_batch()
            if tr.epoch == epoch:
                break
        log = tr.history.dists
        assert log.epochs == list(range(1, epoch + 1))
        rec = log.records[-1]
        for l, up in enumerate(trace.updates):
            np.testing.assert_allclose(rec[0, l], np.quantile(net.weights[l], QUANTILES), atol=1e-15)
            np.testing.assert_allclose(rec[1, l], np.quantile(np.abs(up.grad_W), QUANTILES), atol=1e-15)
            np.testing.assert_allclose(rec[2, l], np.quantile(np.abs(up.delta_W), QUANTILES), atol=1e-15)


def test_the_fast_loop_and_stepping_record_the_same_numbers():
    def trained(fast: bool) -> History:
        net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)
        tr = Trainer(net, TrainConfig(optimiser="momentum"), XOR_X, XOR_T)
        if fast:
            tr.run(epochs=5)
        else:
            while tr.epoch < 5:
                tr.step_batch()
        return tr.history

    a, b = trained(True), trained(False)
    assert a.dists.epochs == b.dists.epochs == [1, 2, 3, 4, 5]
    for x, y in zip(a.dists.records, b.dists.records):
        np.testing.assert_array_equal(x, y)


def test_a_long_run_keeps_at_most_max_records_spread_evenly():
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)
    tr = Trainer(net, TrainConfig(), XOR_X, XOR_T)
    tr.history.dists.max_records = 8
    tr.run(epochs=37)
    log = tr.history.dists
    assert log.every == 8 and log.epochs == [8, 16, 24, 32]
    tr.run(epochs=27)  # epochs 38 … 64
    assert log.epochs == [8, 16, 24, 32, 40, 48, 56, 64]
    tr.run(epochs=8)
    assert log.every == 16 and log.epochs == [16, 32, 48, 64]
    assert all(r.shape == (len(KINDS), 2, len(QUANTILES)) for r in log.records)


def test_undo_forgets_the_records_of_the_epochs_it_takes_back_and_copies_are_independent():
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)
    tr = Trainer(net, TrainConfig(), XOR_X, XOR_T)
    tr.run(epochs=3)
    snap = tr.snapshot()
    copy = tr.history.copy()
    tr.run(epochs=2)
    assert tr.history.dists.epochs == [1, 2, 3, 4, 5] and copy.dists.epochs == [1, 2, 3]
    tr.restore(snap)
    assert tr.history.dists.epochs == [1, 2, 3]
    tr.history.clear()
    assert tr.history.dists.epochs == [] and tr.history.dists.every == 1


def test_a_background_runs_delta_carries_the_records():
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)
    tr = Trainer(net, TrainConfig(), XOR_X, XOR_T)
    tr.run(epochs=2)
    ours = tr.history.copy()
    worker = tr.clone()
    mark = (len(worker.history.step_loss), len(worker.history.epochs), worker.history.generation)
    worker.run(epochs=3)
    ours.extend(worker.history.since(*mark))
    assert ours.dists.epochs == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal(ours.dists.records[-1], worker.history.dists.records[-1])


def test_records_survive_a_save_and_a_version_3_history_has_none():
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=1)
    net.set_connection(0, 0, 0, False)
    tr = Trainer(net, TrainConfig(), XOR_X, XOR_T)
    tr.run(epochs=4)
    project = Project(net, TrainConfig(), {"builtin": "xor"}, history=tr.history)
    doc = project_to_dict(project)
    stored = doc["history"]["distributions"]
    assert stored["epochs"] == [1, 2, 3, 4] and stored["every"] == 1
    back = project_from_dict(doc).history
    assert back.dists.epochs == [1, 2, 3, 4]
    for x, y in zip(back.dists.records, tr.history.dists.records):
        np.testing.assert_array_equal(x, y)  # bit for bit (repr of float64)
    doc["version"] = 3
    del doc["history"]["distributions"]
    old = project_from_dict(doc).history
    assert old.dists.epochs == [] and old.epochs == [1, 2, 3, 4]
    assert History().to_dict()["distributions"] is None


def test_a_layer_without_connections_is_stored_as_null_and_read_back_as_nan():
    log = DistributionLog()
    log.add(1, lambda: np.full((3, 1, len(QUANTILES)), np.nan))
    data = log.to_dict()
    assert data is not None and data["weights"] == [[[None] * len(QUANTILES)]]
    assert np.isnan(DistributionLog.from_dict(data).records[0]).all()


def test_a_history_of_another_network_is_not_taken_over():
    """Resuming with a history recorded for a network of other layers starts afresh instead of
    mixing per-layer series of two lengths (the plots could not draw them)."""
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)
    tr = Trainer(net, TrainConfig(), XOR_X, XOR_T)
    tr.run(epochs=3)
    deep = Network.create([2, 3, 3, 1], ["tanh", "tanh", "sigmoid"], seed=0)
    other = Trainer(deep, TrainConfig(), XOR_X, XOR_T)
    other.resume(None, None, tr.history)
    assert other.epoch == 0 and other.history.epochs == [] and other.history.dists.epochs == []
    other.run(epochs=2)
    assert other.history.dists.array("weights").shape == (2, 3, len(QUANTILES))
    same = Trainer(Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0), TrainConfig(), XOR_X, XOR_T)
    same.resume(None, None, tr.history)
    assert same.epoch == 3


def test_recording_costs_little_of_training_so_short_epochs_record_every_kth():
    """Issue 18: a record (three sorts of the weights) can cost more than a short epoch's training;
    the first ``every`` is the smallest power of two keeping it near 5 %, from the sizes alone."""
    assert record_every(2220, 1797, 10) == 1  # 64-30-10 on digits: every epoch
    assert record_every(9, 4, 1) == 4  # XOR online: every 4th epoch
    assert record_every(79_400, 256, 64) == 64  # 784-100-10 on 256 samples
    assert record_every(79_400, 60_000, 64) == 1
    for args in [(9, 4, 1), (79_400, 256, 64), (50, 1, 1), (10**6, 1, 1)]:
        k = record_every(*args)
        assert k >= 1 and k & (k - 1) == 0  # a power of two
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)
    tr = Trainer(net, TrainConfig(), XOR_X[:4], XOR_T[:4])
    tr.run(epochs=20)
    assert tr.history.dists.every == 4 and tr.history.dists.epochs == [4, 8, 12, 16, 20]
    # the traced steps record the same epochs as the fast loop
    fresh = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)
    stepped = Trainer(fresh, TrainConfig(), XOR_X[:4], XOR_T[:4])
    while stepped.epoch < 20:
        stepped.step_batch()
    assert stepped.history.dists.epochs == tr.history.dists.epochs
