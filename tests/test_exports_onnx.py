"""Export to ONNX (issue 16.5): the model passes onnx.checker and onnxruntime computes bpstudio's
outputs on random inputs, for every activation (softmax included) and the stored input transform."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from bpstudio import resources_dir
from bpstudio.cli import main
from bpstudio.data import apply_preprocessing
from bpstudio.engine import Network
from bpstudio.exports.onnx_model import OPERATORS, ExportError, build_model, save_model
from bpstudio.predict import load_model

TRANSFORM = {
    "scaling": "standardise",
    "per_feature": True,
    "n_inputs": 3,
    "shift": [0.5, -1.0, 2.0],
    "scale": [2.0, 0.25, 3.0],
    "train_samples": 10,
}


def run(model, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


@pytest.mark.parametrize("hidden", [a for a in OPERATORS if a != "softmax"])
@pytest.mark.parametrize("output", ["identity", "sigmoid", "softmax", "tanh"])
def test_onnxruntime_gives_bpstudios_outputs(hidden, output):
    net = Network.create([3, 5, 4, 2], [hidden, hidden, output], seed=7)
    net.set_connection(0, 1, 2, False)  # a removed connection is a weight of 0
    model = build_model(net, TRANSFORM)
    onnx.checker.check_model(model, full_check=True)
    x = np.random.default_rng(1).normal(size=(64, 3)) * 3
    expected = net.forward(apply_preprocessing(TRANSFORM, x))[1][-1]
    got = run(model, x.astype(np.float32))
    assert got.dtype == np.float32 and got.shape == (64, 2)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    double = run(build_model(net, TRANSFORM, "float64"), x)
    assert double.dtype == np.float64
    np.testing.assert_allclose(double, expected, rtol=1e-12, atol=1e-12)


def test_the_graph_names_its_parts_and_a_network_without_a_transform_has_no_scaling_nodes():
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)
    ops = [
        n.op_type
        for n in build_model(net, TRANSFORM | {"n_inputs": 2, "shift": [0, 1], "scale": [1, 2]}).graph.node
    ]
    assert ops == ["Sub", "Div", "MatMul", "Add", "Sigmoid", "MatMul", "Add", "Sigmoid"]
    model = build_model(net, None)
    assert [n.op_type for n in model.graph.node] == ["MatMul", "Add", "Sigmoid", "MatMul", "Add", "Sigmoid"]
    assert [i.name for i in model.graph.input] == ["x"] and [o.name for o in model.graph.output] == ["y"]
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    np.testing.assert_allclose(run(model, x), net.forward(x.astype(float))[1][-1], atol=1e-6)


def test_step_units_are_refused_with_the_reason():
    net = Network.create([2, 2, 1], ["step", "sigmoid"], seed=0)
    with pytest.raises(ExportError, match="layer 1: step units have no ONNX operator"):
        build_model(net)
    with pytest.raises(ExportError, match="float32 or float64"):
        build_model(Network.create([2, 1], ["sigmoid"], seed=0), dtype="float16")


def test_export_onnx_on_the_command_line_with_the_projects_scaling(tmp_path, capsys):
    path = str(resources_dir() / "examples" / "digits.bps.json")
    out = tmp_path / "digits.onnx"
    assert main(["export-onnx", path, "--out", str(out)]) == 0
    assert "64-30-10 network with its input scaling as ONNX (float32, opset 17)" in capsys.readouterr().err
    model = onnx.load(str(out))
    onnx.checker.check_model(model)
    m = load_model(path)
    x = np.random.default_rng(3).uniform(0, 16, size=(20, 64))
    expected = m.network.forward(apply_preprocessing(m.transform, x))[1][-1]
    got = run(model, x.astype(np.float32))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-6)  # the softmax is in the model
    assert (
        main(["export-onnx", str(resources_dir() / "examples" / "xnor-step.bps.json"), "--out", str(out)])
        == 2
    )
    assert "step units have no ONNX operator" in capsys.readouterr().err


def test_without_the_onnx_package_the_export_says_how_to_get_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name == "onnx" or name.startswith("onnx."):
            raise ImportError("no onnx")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(ExportError, match=r'pip install "bpstudio\[onnx\]"'):
        build_model(Network.create([2, 1], ["sigmoid"], seed=0))


def test_save_model_writes_a_loadable_file(tmp_path):
    net = Network.create([2, 3, 1], ["tanh", "identity"], seed=0)
    save_model(tmp_path / "m.onnx", build_model(net))
    assert onnx.load(str(tmp_path / "m.onnx")).graph.output[0].name == "y"


def test_file_export_as_onnx_in_the_window(qtbot, monkeypatch, tmp_path):
    from tests.gui_helpers import answer_dialogs, shown_window

    box = answer_dialogs(monkeypatch)
    w = shown_window(qtbot)
    said: list[str] = []
    w.session.statusMessage.connect(said.append)
    try:
        w.session.step_epoch()
        box.files.append(tmp_path / "xor")  # the suffix is added
        action = next(a for a in w.menus["file"].actions() if a.text().replace("&", "") == "Export as ONNX…")
        action.trigger()
        model = onnx.load(str(tmp_path / "xor.onnx"))
        x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
        expected = w.session.network.forward(x.astype(float))[1][-1]
        np.testing.assert_allclose(run(model, x), expected, atol=1e-6)
        assert said[-1].startswith("Exported the network as ONNX to xor.onnx")
    finally:
        w.training.shutdown()
        w.session.undo_stack.setClean()
        w.session._trained_since_save = False
