"""``bpstudio gradcheck PROJECT``: every weight and bias, backprop against central differences
(issue 15.4). Exit status 0 when all agree, 1 when some disagree, 2 on an error."""

from __future__ import annotations

import csv
import io

import pytest

from bpstudio import resources_dir
from bpstudio.cli import main
from bpstudio.engine import gradcheck as gc

XOR = str(resources_dir() / "examples" / "xor.bps.json")


def test_the_xor_example_agrees_everywhere(capsys):
    assert main(["gradcheck", XOR]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert lines[0].split()[0] == "parameter" and len(lines) == 1 + 9  # 2-2-1: 6 weights, 3 biases
    assert lines[1].startswith("w₁₁⁽¹⁾") and lines[1].split()[-1] == "yes"
    assert any(line.startswith("b₁⁽³⁾") for line in lines)
    assert err.startswith("all 9 parameters on 4 samples agree: largest relative error")


def test_a_wrong_gradient_is_reported_with_exit_status_1(capsys, monkeypatch, tmp_path):
    real = gc.analytic_gradients

    def wrong(*args):
        grads = real(*args)
        grads[1][0] += 0.01  # b⁽²⁾₁
        return grads

    monkeypatch.setattr(gc, "analytic_gradients", wrong)
    out_csv = tmp_path / "check.csv"
    assert main(["gradcheck", XOR, "--quiet", "--samples", "0,3", "--out", str(out_csv)]) == 1
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("b₁⁽²⁾") and lines[1].split()[-1] == "no"
    assert err.startswith("1 of 9 parameters on 2 samples disagree") and str(out_csv) in err
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    assert len(rows) == 9 and [r["parameter"] for r in rows if r["agree"] == "no"] == ["b₁⁽²⁾"]
    bias = next(r for r in rows if r["agree"] == "no")
    assert (bias["layer"], bias["to"], bias["from"]) == ("1", "1", "bias")
    assert float(bias["backprop"]) - float(bias["numerical"]) == pytest.approx(0.01, rel=1e-6)


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--samples", "7"], "--samples: 7 is not a sample: the training set has samples 0 to 3"),
        (["--samples", "0-99999999999"], "is not a sample"),
        (["--samples", "x" * 500], "is not a sample number"),
        (["--eps", "0"], "the step h must be a positive number"),
        (["--tolerance", "-1"], "the tolerance must be a positive number"),
    ],
)
def test_bad_arguments_are_one_line_and_status_2(capsys, argv, message):
    assert main(["gradcheck", XOR, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and len(err) < 300
