"""Export to PyTorch (issue 16.4), checked without PyTorch: the script parses, names the right
operations, carries the project's weights, data, optimiser state and batch order bit for bit, and
its notebook is valid nbformat 4. (tests/check_pytorch_export.py runs it with PyTorch against
bpstudio's own training; see docs/exports.md.)"""

from __future__ import annotations

import ast
import json
import sys
import types

import numpy as np
import pytest

from bpstudio import resources_dir
from bpstudio.cli import main
from bpstudio.engine import Network, TrainConfig
from bpstudio.engine.progress import epoch_order
from bpstudio.engine.training import Trainer
from bpstudio.exports.pytorch_script import (
    MAX_EMBEDDED,
    TORCH_LOSSES,
    TORCH_UPDATES,
    ExportError,
    make_script,
    notebook,
)

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
T = np.array([[0], [1], [1], [0]], float)


def module_of(script: str, monkeypatch, folder=None) -> types.ModuleType:
    """The script's module-level values, run with a stand-in for torch (its functions are defined,
    not called: they need PyTorch)."""
    fake = types.ModuleType("torch")
    fake.set_default_dtype = lambda dtype: None
    fake.float64, fake.float32 = "float64", "float32"
    monkeypatch.setitem(sys.modules, "torch", fake)
    module = types.ModuleType("exported")
    module.__file__ = str((folder or resources_dir()) / "train.py")
    exec(compile(script, "train.py", "exec"), module.__dict__)
    return module


@pytest.mark.parametrize("optimiser", list(TORCH_UPDATES))
@pytest.mark.parametrize("loss", ["half_sse", "mse", "bce"])
def test_the_script_carries_the_network_state_and_settings(optimiser, loss, monkeypatch):
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=3)
    net.set_connection(0, 2, 1, False)
    cfg = TrainConfig(loss=loss, optimiser=optimiser, batch_mode="minibatch", batch_size=3, l2=0.01, seed=5)
    tr = Trainer(net, cfg, X, T)
    tr.run(epochs=3)
    out = make_script(net, cfg, X, T, name="t", opt_state=tr.opt_state, epochs_done=tr.epoch)
    ast.parse(out.script)
    assert out.data is None and "import torch" in out.script and "torch.autograd.grad" in out.script
    assert TORCH_LOSSES[loss] in out.script
    for line in TORCH_UPDATES[optimiser]:
        assert line in out.script
    m = module_of(out.script, monkeypatch)
    for a, b in zip(m.WEIGHTS, net.weights):
        np.testing.assert_array_equal(a, b)  # bit for bit
    for a, b in zip(m.BIASES, net.biases):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(m.MASKS[0], net.masks[0].astype(float))
    assert m.MASKS[1] is None
    np.testing.assert_array_equal(m.X, X)
    np.testing.assert_array_equal(m.T, T)
    assert (m.SIZES, m.ACTIVATIONS, m.LOSS, m.REDUCTION, m.L2, m.BATCH, m.SEED) == (
        [2, 3, 1],
        ["tanh", "sigmoid"],
        loss,
        "mean",
        0.01,
        3,
        5,
    )
    assert m.EPOCHS_DONE == 3 and m.STATE is not None and m.STATE["t"] == tr.step_count
    for key in tr.opt_state:
        if key != "t":
            for a, b in zip(m.STATE[key], tr.opt_state[key]):
                np.testing.assert_array_equal(a, b)
    for k in (4, 5, 9):  # the batch order of the epochs to come, as bpstudio draws it
        np.testing.assert_array_equal(m.epoch_order(4, k), epoch_order(4, k, 5))
    hyper = tr.hyper
    assert m.LR == hyper["lr"] and all(getattr(m, k.upper()) == v for k, v in hyper.items())


def test_a_layer_without_biases_keeps_them_zero_in_the_script(monkeypatch):
    """Issue 14.9: ∂E/∂b and Δb of a layer without biases are 0 in the script as in bpstudio (the real
    run against PyTorch is the "no bias" case of tests/check_pytorch_export.py)."""
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=3)
    net.set_use_bias(0, False)
    out = make_script(net, TrainConfig(optimiser="momentum"), X, T, name="t")
    m = module_of(out.script, monkeypatch)
    assert m.USE_BIAS == [False, True] and not np.any(m.BIASES[0])
    assert out.script.count("if i % 2 == 1 and not USE_BIAS[i // 2]:") == 2
    plain = make_script(Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=3), TrainConfig(), X, T, name="t")
    assert "USE_BIAS" not in plain.script  # scripts of networks with every bias are as before


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_script_trains_in_the_number_format_of_the_projects_runs(dtype, monkeypatch):
    """A project whose runs are float32 exports a float32 script (every tensor made with DTYPE); the
    real run against PyTorch is the float32 case of tests/check_pytorch_export.py."""
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=3)
    out = make_script(net, TrainConfig(dtype=dtype), X, T, name="t")
    m = module_of(out.script, monkeypatch)
    assert m.DTYPE == dtype
    assert f"in {dtype}:" in out.script.split('"""')[1]  # the docstring says which
    assert "torch.tensor(" in out.script
    for line in out.script.splitlines():
        if "torch.tensor(" in line and "epoch_order" not in line:
            assert "dtype=DTYPE" in line, line  # no tensor falls back to the data's float64


def test_units_and_losses_pytorch_cannot_train_are_refused():
    cfg = TrainConfig()
    with pytest.raises(ExportError, match="layer 1: step units have no gradient"):
        make_script(Network.create([2, 2, 1], ["step", "sigmoid"], seed=0), cfg, X, T)
    with pytest.raises(ExportError, match="cross-entropy is exported with a softmax output"):
        make_script(
            Network.create([2, 2], ["sigmoid"], seed=0), TrainConfig(loss="cce"), X, np.eye(2)[[0, 1, 1, 0]]
        )


def test_large_data_go_beside_the_script_and_the_notebook_is_valid(monkeypatch, tmp_path):
    n = MAX_EMBEDDED // 3 + 1
    Xl = np.random.default_rng(0).normal(size=(n, 2))
    Tl = (Xl[:, :1] > 0).astype(float)
    net = Network.create([2, 4, 1], ["relu", "sigmoid"], seed=0)
    out = make_script(net, TrainConfig(loss="bce"), Xl, Tl, data_name="big-data.npz")
    assert out.data_name == "big-data.npz" and out.data is not None
    np.testing.assert_array_equal(out.data["X"], Xl)
    np.savez(tmp_path / "big-data.npz", **out.data)
    m = module_of(out.script, monkeypatch, tmp_path)
    np.testing.assert_array_equal(m.X, Xl)  # read from the file beside the script
    nb = json.loads(notebook(out.script))
    assert nb["nbformat"] == 4 and nb["nbformat_minor"] == 5
    assert nb["cells"][0]["cell_type"] == "markdown" and all("id" in c for c in nb["cells"])
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    ast.parse(code)
    assert "params = train(EPOCHS)" in code and "__main__" not in code
    assert "Path('big-data.npz')" in code  # a notebook reads its data from its own folder


def test_export_pytorch_on_the_command_line(tmp_path, capsys, monkeypatch):
    xor = str(resources_dir() / "examples" / "xor.bps.json")
    out = tmp_path / "xor"
    assert main(["export-pytorch", xor, "--out", str(out), "--notebook"]) == 0
    err = capsys.readouterr().err
    assert "run it with: python xor.py" in err
    script = (tmp_path / "xor.py").read_text(encoding="utf-8")
    assert (tmp_path / "xor.ipynb").exists()
    m = module_of(script, monkeypatch, tmp_path)
    assert m.SIZES == [2, 2, 1] and m.EPOCHS_DONE == 0 and m.STATE is None
    assert (
        main(["export-pytorch", str(resources_dir() / "examples" / "xnor-step.bps.json"), "--out", str(out)])
        == 2
    )
    assert "step units have no gradient" in capsys.readouterr().err


def test_file_export_as_pytorch_script_in_the_window(qtbot, monkeypatch, tmp_path):
    from tests.gui_helpers import answer_dialogs, shown_window

    box = answer_dialogs(monkeypatch)
    w = shown_window(qtbot)
    said: list[str] = []
    w.session.statusMessage.connect(said.append)
    try:
        for _ in range(3):
            w.session.step_epoch()
        box.files.append(tmp_path / "xor")
        action = next(
            a for a in w.menus["file"].actions() if a.text().replace("&", "") == "Export as PyTorch Script…"
        )
        action.trigger()
        assert said[-1].startswith("Exported xor.py and xor.ipynb")
        m = module_of((tmp_path / "xor.py").read_text(encoding="utf-8"), monkeypatch, tmp_path)
        tr = w.session.trainer
        assert m.EPOCHS_DONE == 3 and m.STATE["t"] == tr.step_count  # it goes on from where the window is
        for a, b in zip(m.WEIGHTS, w.session.network.weights):
            np.testing.assert_array_equal(a, b)
        json.loads((tmp_path / "xor.ipynb").read_text(encoding="utf-8"))
    finally:
        w.training.shutdown()
        w.session.undo_stack.setClean()
        w.session._trained_since_save = False


@pytest.mark.parametrize("n,mode,every", [(4, "auto", 1), (5000, "auto", 4), (5000, "all", 1)])
def test_the_loss_the_script_prints_is_over_the_samples_bpstudio_records(n, mode, every, monkeypatch):
    """After each epoch the script prints the loss over the training samples bpstudio's Loss plot and
    history record (every sample, or a large set's fixed subsample: rows 0, j, 2j, …), and says so."""
    rng = np.random.default_rng(0)
    Xn = rng.normal(size=(n, 2))
    Tn = (Xn[:, :1] > 0).astype(float)
    net = Network.create([2, 2, 1], ["tanh", "sigmoid"], seed=3)
    cfg = TrainConfig(loss="bce", batch_mode="minibatch", batch_size=100, train_eval=mode)
    out = make_script(net, cfg, Xn, Tn)
    module = module_of(out.script, monkeypatch)
    assert module.EVAL_EVERY == every == n // Trainer(net, cfg, Xn, Tn).train_eval_size
    assert "x_all[::EVAL_EVERY]" in out.script and "(on {m:,} of {n:,} samples)" in out.script
