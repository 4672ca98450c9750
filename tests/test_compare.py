"""Runs side by side, headless (issue 15.3): variants made from one start, trained on the project's
data, opened as projects and saved with the project."""

from __future__ import annotations

import numpy as np
import pytest

from bpstudio.compare import describe, last_loss, new_run, run_project, train_run
from bpstudio.engine import EngineError
from bpstudio.formats import FormatError, project_from_dict, project_to_dict
from bpstudio.workspace import load_example, trainer_for, update_project


@pytest.fixture
def xor():
    return load_example("xor")


def test_a_run_changes_only_what_it_names_and_starts_from_the_projects_weights(xor):
    run = new_run(xor, "Momentum", {"optimiser": "momentum"})
    assert run.training.optimiser == "momentum"
    assert run.training.optimiser_params["lr"] == xor.training.optimiser_params.get("lr", 0.1)
    assert run.training.optimiser_params["momentum"] == 0.9  # the new optimiser's default
    assert run.training.batch_mode == xor.training.batch_mode and run.history is None
    for a, b in zip(run.network.parameters(), xor.network.parameters()):
        np.testing.assert_array_equal(a, b)
    assert run.network is not xor.network
    other = new_run(xor, "relu, seed 5", {"activation": "relu", "seed": 5, "lr": 0.05, "batch_mode": "full"})
    assert other.network.activations == ["relu", xor.network.activations[-1]]
    assert not np.array_equal(other.network.weights[0], xor.network.weights[0])
    assert other.training.optimiser_params["lr"] == 0.05 and other.training.batch_mode == "full"
    assert describe(other.changes) == "η = 0.05, batch full, hidden activation relu, start seed 5"


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"loss": "mse"}, "cannot change 'loss'"),
        ({"lr": -1}, "η must be a number > 0"),
        ({"lr": float("nan")}, "η must be a number > 0"),
        ({"optimiser": "newton"}, "newton"),
        ({"batch_size": 0}, "batch size"),
        ({"seed": 1.5}, "seed"),
        ({"activation": "swish2"}, "swish2"),
    ],
)
def test_changes_that_are_not_allowed_are_refused_with_a_reason(xor, changes, message):
    with pytest.raises(EngineError, match=message):
        new_run(xor, "bad", changes)
    with pytest.raises(EngineError, match="name"):
        new_run(xor, "  ", {})


def test_a_run_with_no_changes_trains_exactly_as_the_project_does(xor):
    run = new_run(xor, "same", {})
    trained = train_run(xor, run, 7)
    trainer, _ = trainer_for(xor)
    trainer.run(epochs=7)
    for a, b in zip(trained.network.parameters(), trainer.network.parameters()):
        np.testing.assert_array_equal(a, b)
    assert trained.history.loss["train"] == trainer.history.loss["train"]
    assert run.history is None  # the run it was given is not changed
    # training on continues where it stopped, as one run of 12 epochs would
    more = train_run(xor, trained, 5)
    trainer.run(epochs=5)
    np.testing.assert_array_equal(more.network.weights[0], trainer.network.weights[0])
    assert more.history.epochs == list(range(1, 13)) and last_loss(more) == trainer.history.loss["train"][-1]


def test_on_epoch_sees_every_epoch_and_can_stop(xor):
    seen = []

    def on_epoch(trainer) -> bool:
        seen.append(trainer.epoch)
        return trainer.epoch < 3

    run = train_run(xor, new_run(xor, "a", {"lr": 0.3}), 10, on_epoch)
    assert seen == [1, 2, 3] and run.history.epochs == [1, 2, 3]


def test_a_run_opens_as_a_project_and_runs_are_saved_with_the_project(xor):
    trainer, _ = trainer_for(xor)
    trainer.run(epochs=2)
    update_project(xor, trainer)
    xor.runs = [
        train_run(xor, new_run(xor, "SGD", {}), 3),
        train_run(xor, new_run(xor, "Adam", {"optimiser": "adam", "lr": 0.05}), 3),
    ]
    p = run_project(xor, xor.runs[1])
    # a run starts afresh from the weights the project had when it was made: its own epochs 1, 2, 3
    assert p.training.optimiser == "adam" and p.history.epochs == [1, 2, 3]
    assert p.dataset.to_dict() == xor.dataset.to_dict() and p.input_transform == xor.input_transform
    assert p.name.endswith("Adam") and "optimiser adam" in p.description
    doc = project_to_dict(xor)
    back = project_from_dict(doc)
    assert [r.name for r in back.runs] == ["SGD", "Adam"]
    assert back.runs[1].changes == {"optimiser": "adam", "lr": 0.05}
    np.testing.assert_array_equal(back.runs[1].network.weights[1], xor.runs[1].network.weights[1])
    assert back.runs[1].history.loss["train"] == xor.runs[1].history.loss["train"]
    assert back.runs[1].optimiser_state["t"] == xor.runs[1].optimiser_state["t"]
    # a run that does not fit the project, or two of one name, are refused with the field named
    bad = project_to_dict(xor)
    bad["runs"][0]["network"]["sizes"] = [2, 3, 1]
    with pytest.raises(FormatError, match=r"^runs\[0\]\.network"):
        project_from_dict(bad)
    bad = project_to_dict(xor)
    bad["runs"][1]["name"] = "SGD"
    with pytest.raises(FormatError, match=r"^runs\[1\]\.name: two runs are named"):
        project_from_dict(bad)
    bad = project_to_dict(xor)
    bad["runs"][0]["history"]["epochs"] = [1, 1, 2]
    with pytest.raises(FormatError, match=r"^runs\[0\]\.history\.epochs\[1\]"):
        project_from_dict(bad)
