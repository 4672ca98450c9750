"""Built-in datasets: shapes, tasks, suggestions in the engine's names, seeding, parameters, real sets."""

from __future__ import annotations

import numpy as np
import pytest

from bpstudio.data import BUILTINS, DataError, builtin_names, get_builtin, load_dataset
from bpstudio.engine import ACTIVATIONS, LOSSES, get_loss, infer_task

GENERATED_2D = ["circle", "xor_quadrants", "gaussians", "spirals", "moons"]
REGRESSION = ["sine", "plane", "surface", "matmul"]
REAL = ["iris", "wine", "breast_cancer", "digits"]


def test_every_dataset_of_the_issue_is_listed():
    names = builtin_names()
    for name in ["and", "or", "xor", "xnor", "nand", *GENERATED_2D, *REGRESSION, *REAL]:
        assert name in names


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_is_consistent_and_suggests_a_fitting_network(name):
    ds = load_dataset({"builtin": name})
    n = len(ds)
    assert ds.X.shape == (n, ds.n_inputs) and ds.T.shape == (n, ds.n_outputs)
    assert ds.X.dtype == np.float64 and ds.T.dtype == np.float64
    assert np.all(np.isfinite(ds.X)) and np.all(np.isfinite(ds.T))
    assert ds.task == infer_task(ds.T)
    assert len(ds.input_names) == ds.n_inputs and len(ds.target_names) == ds.n_outputs
    s = ds.suggested
    assert s["sizes"][0] == ds.n_inputs and s["sizes"][-1] == ds.n_outputs
    assert len(s["activations"]) == len(s["sizes"]) - 1
    assert all(a in ACTIVATIONS for a in s["activations"])
    assert s["loss"] in LOSSES
    get_loss(s["loss"]).check_output(s["activations"][-1])  # raises if the pair does not fit
    if ds.task == "multiclass":
        assert ds.class_names == ds.target_names and s["activations"][-1] == "softmax"
    if ds.task == "regression":
        assert s["activations"][-1] == "identity" and s["loss"] == "mse"
    assert ds.params == {p.name: p.default for p in get_builtin(name).params}


@pytest.mark.parametrize("gate,truth", [("and", [0, 0, 0, 1]), ("xor", [0, 1, 1, 0]), ("xnor", [1, 0, 0, 1])])
def test_gates_in_both_encodings(gate, truth):
    ds = load_dataset({"builtin": gate, "params": {"encoding": "01"}})
    assert ds.X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert ds.T[:, 0].tolist() == truth
    pm = load_dataset({"builtin": gate, "params": {"encoding": "pm1"}})
    assert pm.X.tolist() == [[-1, -1], [-1, 1], [1, -1], [1, 1]]
    assert pm.T[:, 0].tolist() == [2 * t - 1 for t in truth]
    assert pm.suggested["activations"][-1] == "tanh"


@pytest.mark.parametrize("name", GENERATED_2D + REGRESSION)
def test_generated_data_are_seeded(name):
    a = load_dataset({"builtin": name, "params": {"seed": 3}})
    b = load_dataset({"builtin": name, "params": {"seed": 3}})
    c = load_dataset({"builtin": name, "params": {"seed": 4}})
    assert np.array_equal(a.X, b.X) and np.array_equal(a.T, b.T)
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize("name", GENERATED_2D)
def test_2d_classification_parameters(name):
    ds = load_dataset({"builtin": name, "params": {"n": 101, "noise": 0.0}})
    assert len(ds) == 101 and ds.task == "binary" and ds.n_inputs == 2
    counts = np.bincount(ds.T[:, 0].astype(int))
    assert counts.tolist() == [51, 50]  # balanced classes
    assert np.all(np.abs(ds.X) <= 1.5)
    noisy = load_dataset({"builtin": name, "params": {"n": 101, "noise": 0.5}})
    assert not np.allclose(noisy.X, ds.X)
    pm = load_dataset({"builtin": name, "params": {"n": 101, "encoding": "pm1"}})
    assert set(pm.T[:, 0].tolist()) == {-1.0, 1.0}


def test_2d_sets_have_their_shapes():
    circle = load_dataset({"builtin": "circle", "params": {"noise": 0.0}})
    r = np.hypot(circle.X[:, 0], circle.X[:, 1])
    assert np.all(r[circle.T[:, 0] == 1] <= 0.5) and np.all(r[circle.T[:, 0] == 0] >= 0.7)
    quads = load_dataset({"builtin": "xor_quadrants", "params": {"noise": 0.0}})
    assert np.array_equal(quads.T[:, 0] == 1, quads.X[:, 0] * quads.X[:, 1] < 0)
    g = load_dataset({"builtin": "gaussians", "params": {"noise": 0.1, "n": 400}})
    assert np.allclose(g.X[g.T[:, 0] == 1].mean(axis=0), [0.5, 0.5], atol=0.05)


def test_regression_formulas():
    mm = load_dataset({"builtin": "matmul"})
    M = np.array([[10.0, 0.0], [7.0, 10.0]])
    assert np.allclose(mm.T, mm.X @ M.T)  # y = M·x, the notes' matrix
    own = load_dataset({"builtin": "matmul", "params": {"matrix": [[1, 2, 3]], "n": 10}})
    assert own.X.shape == (10, 3) and own.T.shape == (10, 1)
    assert np.allclose(own.T[:, 0], own.X @ [1, 2, 3])
    sine = load_dataset({"builtin": "sine", "params": {"noise": 0.0, "periods": 2}})
    assert np.allclose(sine.T[:, 0], np.sin(2 * np.pi * sine.X[:, 0]))
    plane = load_dataset({"builtin": "plane"})
    assert np.allclose(plane.T[:, 0], plane.X.sum(axis=1) / 2)


@pytest.mark.parametrize(
    "params,message",
    [
        ({"noise": -0.1}, "params.noise: must be ≥ 0"),
        ({"n": 3}, "params.n: must be ≥ 4"),
        ({"n": 2.5}, "params.n: must be a whole number"),
        ({"n": True}, "params.n: must be a number"),
        ({"n": "many"}, "params.n: must be a number"),
        ({"noise": float("nan")}, "params.noise: must be a finite number"),
        ({"encoding": "binary"}, "params.encoding: choose one of 01, pm1"),
        ({"colour": 1}, "params.colour: moons has no such parameter (it has: n, noise, encoding, seed)"),
        ({"seed": -1}, "params.seed: must be ≥ 0"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(DataError) as err:
        load_dataset({"builtin": "moons", "params": params})
    assert message in str(err.value)


def test_bad_matrix_and_unknown_names():
    with pytest.raises(DataError, match=r"params.matrix\[1\]: has 1 numbers but row 0 has 2"):
        load_dataset({"builtin": "matmul", "params": {"matrix": [[1, 2], [3]]}})
    with pytest.raises(DataError, match=r"params.matrix\[0\]\[1\]: must be a finite number"):
        load_dataset({"builtin": "matmul", "params": {"matrix": [[1, "x"]]}})
    with pytest.raises(DataError, match="unknown dataset 'mnist'; choose one of: and, or"):
        load_dataset({"builtin": "mnist"})
    with pytest.raises(DataError, match="iris has no such parameter"):
        load_dataset({"builtin": "iris", "params": {"n": 10}})
    assert load_dataset({"builtin": "Breast-Cancer"}).name == "breast_cancer"


def test_real_datasets_have_the_published_shapes_and_classes():
    iris = load_dataset({"builtin": "iris"})
    assert iris.X.shape == (150, 4) and iris.class_names == ["setosa", "versicolor", "virginica"]
    assert iris.T.sum(axis=0).tolist() == [50, 50, 50]
    assert iris.input_names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert iris.X[0].tolist() == [5.1, 3.5, 1.4, 0.2]
    wine = load_dataset({"builtin": "wine"})
    assert wine.X.shape == (178, 13) and wine.T.sum(axis=0).tolist() == [59, 71, 48]
    bc = load_dataset({"builtin": "breast_cancer"})
    assert bc.X.shape == (569, 30) and bc.task == "binary"
    assert int(bc.T.sum()) == 212 and bc.class_names == ["benign", "malignant"]
    digits = load_dataset({"builtin": "digits"})
    assert digits.X.shape == (1797, 64) and digits.T.shape == (1797, 10)
    assert digits.X.min() == 0 and digits.X.max() == 16
    assert digits.T.sum(axis=0).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert digits.class_names == [str(d) for d in range(10)]
    for name in REAL:
        assert "CC BY 4.0" in load_dataset({"builtin": name}).source


def test_real_datasets_are_independent_copies():
    a = load_dataset({"builtin": "iris"})
    a.X[0, 0] = 99.0
    a.input_names.append("extra")
    b = load_dataset({"builtin": "iris"})
    assert b.X[0, 0] == 5.1 and len(b.input_names) == 4


def test_every_builtin_has_a_title_group_and_described_parameters():
    for b in BUILTINS.values():
        assert b.title and b.group
        for p in b.params:
            assert p.name in p.describe() and p.help
