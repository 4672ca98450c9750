"""Round trips: save → load gives back exactly the same numbers and names, for all in the registries."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpstudio.engine import (
    ACTIVATIONS,
    INITIALISERS,
    LOSSES,
    OPTIMISERS,
    History,
    Network,
    TrainConfig,
)
from bpstudio.formats import (
    CREATED_WITH,
    PROJECT_VERSION,
    Project,
    load_project,
    load_weights,
    network_from_dict,
    network_to_dict,
    project_from_dict,
    project_to_dict,
    save_project,
    save_weights,
    weights_from_dict,
    weights_to_dict,
)
from bpstudio.workspace import list_examples, trainer_for, update_project

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
T = np.array([[0.0], [1.0], [1.0], [0.0]])


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def assert_same_network(a: Network, b: Network) -> None:
    assert a.sizes == b.sizes
    assert a.activations == b.activations
    for x, y in zip(a.weights + a.biases, b.weights + b.biases):
        assert same_bits(x, y)
    for m, n in zip(a.masks, b.masks):
        assert (m is None and n is None) or np.array_equal(m, n)


def reload(project: Project, tmp_path) -> Project:
    path = tmp_path / "p.bps.json"
    save_project(path, project)
    return load_project(path)


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_every_activation_round_trips(name, tmp_path):
    hidden = "sigmoid" if name == "softmax" else name
    net = Network.create([3, 4, 2], [hidden, name], init="normal", seed=1)
    back = reload(Project(net), tmp_path).network
    assert back.activations == [hidden, name]
    assert_same_network(net, back)
    assert_same_network(net, load_weights_roundtrip(net, tmp_path))


def load_weights_roundtrip(net: Network, tmp_path) -> Network:
    path = tmp_path / "w.json"
    save_weights(path, net)
    return load_weights(path)


@pytest.mark.parametrize("loss", LOSSES.names())
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_every_loss_and_reduction_round_trips(loss, reduction, tmp_path):
    cfg = TrainConfig(loss=loss, reduction=reduction, l1=1e-4, l2=0.5, target_loss=0.001)
    back = reload(Project(Network.create([2, 2, 1], seed=0), cfg), tmp_path)
    assert back.training == cfg


@pytest.mark.parametrize("name", INITIALISERS.names())
def test_every_initialiser_round_trips(name, tmp_path):
    params = {k: v * 0.75 for k, v in INITIALISERS.get(name).defaults.items()}
    cfg = TrainConfig(init=name, init_params=params, seed=12345)
    net = Network.create([2, 3, 1], "tanh", init=name, init_params=params, seed=12345)
    back = reload(Project(net, cfg), tmp_path)
    assert back.training == cfg
    assert_same_network(net, back.network)


@pytest.mark.parametrize("name", OPTIMISERS.names())
def test_every_optimiser_with_its_state_round_trips_and_resumes_identically(name, tmp_path):
    params = {k: v * 0.5 for k, v in OPTIMISERS.get(name).defaults.items()}
    cfg = TrainConfig(optimiser=name, optimiser_params=params, batch_mode="minibatch", batch_size=3, seed=7)
    project = Project(
        Network.create([2, 3, 1], "tanh", seed=3),
        cfg,
        {"inline": {"inputs": X.tolist(), "targets": T.tolist()}},
    )
    trainer, _ = trainer_for(project)
    for _ in range(5):
        trainer.step_batch()
    trainer.run(epochs=2)
    update_project(project, trainer)
    assert project.optimiser_state["t"] > 0

    back = reload(project, tmp_path)
    assert back.training == cfg
    assert_same_network(project.network, back.network)
    assert (
        set(back.optimiser_state) == set(project.optimiser_state) == {"t", *OPTIMISERS.get(name).state_keys}
    )
    assert back.optimiser_state["t"] == project.optimiser_state["t"]
    for key in OPTIMISERS.get(name).state_keys:
        for a, b in zip(project.optimiser_state[key], back.optimiser_state[key]):
            assert same_bits(a, b)
    assert back.history.to_dict() == project.history.to_dict()

    # training on from the loaded file gives bit-identical weights to training on in memory, with the same
    # optimiser state (a fresh trainer on each, so both start a new epoch order from the seed)
    t1, _ = trainer_for(project)
    t2, _ = trainer_for(back)
    t1.run(epochs=3)
    t2.run(epochs=3)
    assert_same_network(t1.network, t2.network)


def test_masks_round_trip(tmp_path):
    net = Network.create([3, 3, 2], "sigmoid", seed=0)
    net.set_connection(0, 1, 2, False)
    net.set_connection(1, 0, 0, False)
    back = reload(Project(net), tmp_path).network
    assert_same_network(net, back)
    assert back.weights[0][1, 2] == 0.0 and not back.connection_present(0, 1, 2)
    assert not back.connection_present(1, 0, 0) and back.masks[1].sum() == 5


def test_history_and_view_options_round_trip(tmp_path):
    h = History()
    h.step_loss = [0.5, 0.25, 0.125]
    h.grad_norms = [[1.0, 2.0], [0.5, 1e-300], [0.0, 3.0]]
    h.epochs = [1, 2]
    h.loss = {"train": [0.3, 0.2], "val": [None, 0.25], "test": [None, None]}
    h.accuracy = {"train": [0.5, 1.0], "val": [None, 0.75], "test": [None, None]}
    view = {
        "notation": "error_signal",
        "precision": 4,
        "labels": False,
        "names": "notes",
        "nested": {"α": [1, 2]},
    }
    project = Project(Network.create([2, 2, 1], seed=0), history=h, view=view, name="ñame ✓", description="δ")
    back = reload(project, tmp_path)
    assert back.history.to_dict() == h.to_dict()
    assert back.view == view
    assert (back.name, back.description) == ("ñame ✓", "δ")


@pytest.mark.parametrize(
    "dataset",
    [
        {"builtin": "xor", "params": {"encoding": "pm1"}},
        {"builtin": "and", "params": {}, "split": {"val": 0.25, "test": 0.0, "seed": 3, "stratify": True}},
        {
            "inline": {
                "inputs": [[0.5, 1.0], [2.0, -1.0]],
                "targets": [[1.0], [0.0]],
                "input_names": ["a", "b"],
            },
            "name": "mine",
            "preprocessing": {"scaling": "minmax01", "fitted": {"min": [0.5, -1.0], "max": [2.0, 1.0]}},
        },
        {"file": "data/points.csv", "params": {"target": ["y"]}},
        {"file": {"path": "data/points.csv", "target": ["y"]}, "split": None},
    ],
)
def test_dataset_specifications_round_trip(dataset, tmp_path):
    project = Project(Network.create([2, 2, 1], seed=0), dataset=dataset)
    assert reload(project, tmp_path).dataset == dataset


def test_loaded_project_shares_nothing_with_the_document():
    doc = project_to_dict(Project(Network.create([2, 2, 1], seed=0), view={"labels": True}))
    project = project_from_dict(doc)
    doc["dataset"]["params"]["encoding"] = "pm1"
    doc["view"]["labels"] = False
    doc["network"]["weights"][0][0][0] = 42.0
    assert project.dataset == {"builtin": "xor", "params": {}}
    assert project.view == {"labels": True}
    assert project.network.weights[0][0, 0] != 42.0


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(finite, min_size=9, max_size=9))
def test_every_float64_round_trips_bit_for_bit(values):
    net = Network.create([2, 2, 1], "identity", seed=0)
    net.weights[0] = np.array(values[:4]).reshape(2, 2)
    net.biases[0] = np.array(values[4:6])
    net.weights[1] = np.array(values[6:8]).reshape(1, 2)
    net.biases[1] = np.array(values[8:])
    doc = json.loads(json.dumps(project_to_dict(Project(net))))
    assert_same_network(net, project_from_dict(doc).network)
    assert_same_network(net, weights_from_dict(json.loads(json.dumps(weights_to_dict(net)))))


def test_extreme_floats_round_trip(tmp_path):
    net = Network.create([2, 1], "identity", seed=0)
    net.weights[0] = np.array([[5e-324, -1.7976931348623157e308]])
    net.biases[0] = np.array([-0.0])
    back = reload(Project(net), tmp_path).network
    assert_same_network(net, back)
    assert np.signbit(back.biases[0][0])


def test_network_part_alone_round_trips():
    net = Network.create([4, 3, 2], ["relu", "softmax"], seed=2)
    assert_same_network(net, network_from_dict(network_to_dict(net)))


@pytest.mark.parametrize("name,path", list_examples())
def test_shipped_examples_are_current_and_save_to_the_same_bytes(name, path, tmp_path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["version"] == PROJECT_VERSION
    project = load_project(path)
    out = tmp_path / path.name
    save_project(out, project)
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["created_with"] == CREATED_WITH
    doc["created_with"] = CREATED_WITH
    assert saved == doc
