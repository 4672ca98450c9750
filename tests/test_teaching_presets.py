"""Each course's notation preset: the walkthrough writes the notes' formulas in the notes' letters, the
tables and the CLI follow, exercises carry the preset and accept answers in it.

The expected formulas are the notes' lines (``../shared/seeds``) with our neuron and layer indices put
in for the notes' generic ones, for the 2-2-1 sigmoid XOR network (layer 3 is the output layer).
"""

from __future__ import annotations

import json

import pytest

from bpstudio import resource_path
from bpstudio.cli import main
from bpstudio.formats import read_json
from bpstudio.teaching import Attempt, Exercise, load_exercise, save_exercise
from bpstudio.teaching.notation import PRESETS, Notation, batch_cost, preset_of
from bpstudio.teaching.numbers import format_number
from bpstudio.teaching.walkthrough import build_walkthrough
from bpstudio.workspace import load_example, trainer_for

XOR = resource_path("examples", "xor.bps.json")

#: per preset, formulas of the notes as the walkthrough must write them (symbol for symbol)
NOTES_LINES = {
    # Nielsen / Shanahan (003): ∂C/∂wˡⱼₖ = aₖˡ⁻¹δⱼˡ; δⱼᴸ = ∂C/∂aⱼᴸ·σ′(zⱼᴸ); δⱼˡ = Σᵢ wᵢⱼˡ⁺¹δᵢˡ⁺¹σ′(zⱼˡ);
    # w → w − η·∂C/∂w, C = ½‖y − a‖² (weights named by the layer they enter)
    "nielsen": [
        "∂C/∂w₁₂⁽³⁾ = a₂⁽²⁾·δ₁⁽³⁾",
        "δ₁⁽³⁾ = (a₁⁽³⁾ − y₁)·σ′(z₁⁽³⁾)",
        "δ₂⁽²⁾ = σ′(z₂⁽²⁾)·w₁₂⁽³⁾·δ₁⁽³⁾",
        "Δw₁₂⁽³⁾ = −η·∂C/∂w₁₂⁽³⁾",
        "C = ½·(y₁ − a₁⁽³⁾)²",
        "∂C/∂b₁⁽³⁾ = δ₁⁽³⁾",
    ],
    # Russell–Norvig (004, 48, 123 and 231-243): h = g(W₀·(−1) + W₁x₁ + W₂x₂); a₅ = g(W₃,₅·a₃ + W₄,₅·a₄);
    # Δᵢ = Errᵢ·g′(inᵢ);
    # Δⱼ = g′(inⱼ)·Σᵢ Wⱼ,ᵢΔᵢ; W ← W + α·aⱼ·Δᵢ (neurons numbered through the network: inputs 1, 2)
    "russell_norvig": [
        "Δ₅ = (y₅ − a₅)·σ′(in₅)",
        "Δ₄ = σ′(in₄)·w_{4,5}·Δ₅",
        "−∂E/∂w_{4,5} = a₄·Δ₅",
        "Δw_{4,5} = α·(−∂E/∂w_{4,5})",
        "in₅ = w_{0,5}·(−1) + w_{3,5}·a₃ + w_{4,5}·a₄",
        "a₅ = σ(in₅)",
        "in₃ = w_{0,3}·(−1) + w_{1,3}·x₁ + w_{2,3}·x₂",
        "−∂E/∂w_{0,5} = (−1)·Δ₅",
    ],
    # BMB3015 (004, 749-851): δ⁽ᴸ⁾ = (y − a⁽ᴸ⁾)·g′(z⁽ᴸ⁾); δ⁽ˡ⁾ = W⁽ˡ⁾ᵀδ⁽ˡ⁺¹⁾·g′(z⁽ˡ⁾); learning rate α;
    # the notes' ∂J/∂Wᵢⱼ⁽ˡ⁾ = aⱼ⁽ˡ⁾·δᵢ⁽ˡ⁺¹⁾ is −∂J/∂w with their δ = y − a, written so here
    "bmb3015": [
        "δ₁⁽³⁾ = (y₁ − a₁⁽³⁾)·σ′(z₁⁽³⁾)",
        "δ₂⁽²⁾ = σ′(z₂⁽²⁾)·w₁₂⁽²⁾·δ₁⁽³⁾",
        "−∂J/∂w₁₂⁽²⁾ = a₂⁽²⁾·δ₁⁽³⁾",
        "Δw₁₂⁽²⁾ = α·(−∂J/∂w₁₂⁽²⁾)",
        "J = ½·(y₁ − a₁⁽³⁾)²",
    ],
    # COMP9444 (002, 114-118): s = c + v₁y₁ + v₂y₂, z = g(s), E = ½(z − t)², δ_out = (z − t)·z(1 − z)
    "comp9444": [
        "s₁⁽³⁾ = b₁⁽³⁾ + w₁₁⁽²⁾·z₁⁽²⁾ + w₁₂⁽²⁾·z₂⁽²⁾",
        "z₁⁽³⁾ = σ(s₁⁽³⁾)",
        "σ′(s₁⁽³⁾) = z₁⁽³⁾·(1 − z₁⁽³⁾)",
        "δ₁⁽³⁾ = (z₁⁽³⁾ − t₁)·σ′(s₁⁽³⁾)",
        "∂E/∂w₁₁⁽²⁾ = z₁⁽²⁾·δ₁⁽³⁾",
        "Δw₁₁⁽²⁾ = −η·∂E/∂w₁₁⁽²⁾",
    ],
    # COMP307 / AIML (000 147-168, 001 63-65): neurons numbered through the network (s₁ s₂ → o₅ o₆),
    # outputs o, targets d; β = d − o at the output, βⱼ = Σₖ wⱼ→ₖ·oₖ(1 − oₖ)·βₖ, the gradient
    # oᵢ·slopeⱼ·βⱼ with slopeⱼ = oⱼ(1 − oⱼ), Δwᵢ→ⱼ = η·oᵢ·oⱼ(1 − oⱼ)·βⱼ; the bias w₀ on x₀ = 1
    "comp307": [
        "σ′(z₅) = o₅·(1 − o₅)",
        "β₅ = d₅ − o₅",
        "β₃ = w_{3,5}·σ′(z₅)·β₅",
        "−∂E/∂w_{4,5} = o₄·σ′(z₅)·β₅",
        "Δw_{4,5} = η·(−∂E/∂w_{4,5})",
        "z₃ = w_{0,3}·x₀ + w_{1,3}·x₁ + w_{2,3}·x₂",
    ],
    "bpstudio": [
        "δ₁⁽³⁾ = (a₁⁽³⁾ − t₁)·σ′(z₁⁽³⁾)",
        "∂E/∂w₁₂⁽²⁾ = a₂⁽²⁾·δ₁⁽³⁾",
        "Δw₁₂⁽²⁾ = −η·∂E/∂w₁₂⁽²⁾",
    ],
}


def walkthrough_text(notation: Notation, samples=(1,)) -> str:
    project = load_example("xor")
    trainer, _ = trainer_for(project)
    trace = trainer.begin_step(list(samples)).run_until("update")
    w = build_walkthrough(trace, trainer.network, project.training, notation, list(range(len(samples))))
    return w.to_text()


def test_every_preset_is_tested_and_is_its_own_preset():
    assert set(NOTES_LINES) == set(PRESETS)
    for name, preset in PRESETS.items():
        assert preset_of(preset.notation) == name
        assert preset_of(Notation(digits=6).with_preset(name)) == name
        assert Notation.from_dict(preset.notation.to_dict()) == preset.notation
        assert Notation.from_view(preset.notation.to_view()) == preset.notation
    assert preset_of(Notation(act="y")) == "custom"


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_the_walkthrough_writes_the_notes_formulas(name):
    text = walkthrough_text(Notation().with_preset(name))
    for formula in NOTES_LINES[name]:
        assert formula in text, f"{name}: {formula!r} not in the walkthrough"


def test_global_numbering_names_neurons_through_the_network():
    """000's example network: inputs s₁ s₂, hidden 3 4, outputs o₅ o₆; weights by source and target."""
    from bpstudio.engine import Network
    from bpstudio.teaching.notation import Symbols

    n = Notation(numbering="global", act="o", bias="b")
    names = n.names_for([2, 2, 2])
    assert [names.neuron(0, 1), names.neuron(1, 0), names.neuron(2, 1)] == ["x₂", "o₃", "o₆"]
    assert names.weight(1, 1, 0) == "w₃,₆" and names.bias(1, 1) == "b₆"
    assert Notation(numbering="global").names_for([2, 2, 2]).bias(0, 0) == "w₀,₃"
    sym = Symbols(n, 2, [2, 2, 2])
    assert sym.target(1).text() == "t₆" and sym.delta(2, 0).text() == "δ₅" and sym.z(1, 1).text() == "z₄"
    assert sym.grad(1, 1, 0).text() == "∂E/∂w_{3,6}"
    # the walkthrough of a 2-2-2 step, and the numbers are the same as numbered by layer
    import re

    import numpy as np

    from bpstudio.engine import TrainConfig, Trainer

    net = Network.create([2, 2, 2], activations="sigmoid", seed=1)
    trainer = Trainer(net, TrainConfig(), np.array([[0.35, 0.9]]), np.array([[0.5, 0.2]]))
    trace = trainer.trace_samples([0])
    glob = build_walkthrough(trace, trainer.network, None, n).to_text()
    assert "Δ" not in glob.split("Backward")[1][:40] and "δ₆ = (o₆ − t₆)·σ′(z₆)" in glob
    assert "z₅ = b₅ + w_{3,5}·o₃ + w_{4,5}·o₄" in glob
    by_layer = build_walkthrough(trace, trainer.network, None, Notation(act="o", bias="b")).to_text()
    nums = re.compile(r"−?\d+\.\d+")
    assert nums.findall(glob) == nums.findall(by_layer)


def test_a_bias_on_minus_one_negates_every_bias_number_and_nothing_else():
    """004's perceptron slides: h = g(W₀·(−1) + W₁x₁ + W₂x₂), so W₀ = −b; its gradient, change and
    momentum are negated too (a sum of squares, like Adam's v, is not)."""
    import re

    project = load_example("xor")
    project.training.optimiser = "momentum"
    trainer, _ = trainer_for(project)
    trainer.step_batch()  # the velocity is not zero any more
    trace = trainer.begin_step([1]).run_until("update")
    plus = build_walkthrough(trace, trainer.network, project.training, Notation()).to_text()
    minus = build_walkthrough(trace, trainer.network, project.training, Notation(bias="w0_minus")).to_text()
    b = trace.updates[1].b_before[0]
    vb = trace.state_before["velocity"][3][0]
    assert "w₁₀⁽²⁾·a₀⁽²⁾" in plus and "w₁₀⁽²⁾·(−1)" in minus

    def line(text, start):
        return next(ln for ln in text.splitlines() if ln.strip().startswith(start))

    def last(text):
        return float(text.rsplit("= ", 1)[1].replace("−", "-"))

    assert last(line(minus, "∂E/∂w₁₀⁽²⁾")) == pytest.approx(-last(line(plus, "∂E/∂w₁₀⁽²⁾")), rel=1e-3)
    assert last(line(minus, "v₁₀⁽²⁾")) == pytest.approx(-last(line(plus, "v₁₀⁽²⁾")), rel=1e-3)
    assert last(line(minus, "w₁₀⁽²⁾ ←")) == pytest.approx(-last(line(plus, "w₁₀⁽²⁾ ←")), rel=1e-3)
    assert f"{format_number(-b)}" in line(minus, "z₁⁽³⁾") and vb != 0
    # the weights' numbers are the same
    nums = re.compile(r"−?\d+\.\d+")
    assert nums.findall(line(minus, "∂E/∂w₁₁⁽²⁾")) == nums.findall(line(plus, "∂E/∂w₁₁⁽²⁾"))
    # an exercise in this notation accepts −b and refuses b
    ex = Exercise(project=load_example("xor"), samples=[1], notation=Notation(bias="w0_minus"))
    attempt = Attempt.for_exercise(ex, "Ana")
    key = "new_w[1,0,b]"
    q = attempt.question(key)
    fresh, _ = trainer_for(load_example("xor"))
    assert q.value == pytest.approx(-fresh.trace_samples([1]).updates[1].b_after[0], rel=1e-12)
    assert attempt.submit(key, format_number(q.value)).correct
    assert not Attempt.for_exercise(ex, "Bo").submit(key, format_number(-q.value)).correct


def test_numbers_do_not_change_with_the_letters():
    """Only the letters change: the same step, written in two presets of one convention, has the same
    numbers in the same places."""
    import re

    nums = re.compile(r"−?\d+(?:\.\d+)?")
    a = walkthrough_text(Notation(bias="b"))
    b = walkthrough_text(Notation(bias="b", loss="C", target="y"))
    assert nums.findall(a) == nums.findall(b) and a != b


def test_letters_swap_cleanly_and_clashes_are_refused():
    rn = Notation().with_preset("russell_norvig")
    assert rn.letters_text("v ← α·v − η·∂E/∂w") == "v ← η·v − α·∂E/∂w"
    assert rn.letters_text("Error: E = Σ tₖ") == "Error: E = Σ yₖ"  # words keep their letters
    for bad in ({"act": "z"}, {"lr": "α"}, {"target": "y", "act": "y"}, {"net": "x"}):
        with pytest.raises(ValueError):
            Notation(**bad)


def test_nielsens_cost_is_the_half_sum_with_the_mean():
    nielsen = Notation().with_preset("nielsen")
    assert batch_cost("half_sse", "mean", nielsen).startswith("C = 1/(2n)·Σₓ ‖y − a‖²")
    assert batch_cost("sse", "sum") == "E = Σₓ ‖t − a‖²"
    assert batch_cost("bce", "mean") == ""
    text = walkthrough_text(nielsen, samples=(0, 1))
    assert "Cost over the batch: C = 1/(2n)·Σₓ ‖y − a‖²" in text
    assert "C = (1/2)(C₁ + C₂)" in text  # the batch loss line, n = 2


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_an_exercise_carries_its_preset_and_accepts_answers_in_it(name, tmp_path):
    notation = Notation().with_preset(name)
    ex = Exercise(project=load_example("xor"), title=name, samples=[1], notation=notation)
    path = tmp_path / "e.bpx.json"
    save_exercise(path, ex)
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(resource_path("schema", "exercise.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(read_json(path), schema)
    back = load_exercise(path)
    assert back.notation == notation and preset_of(back.notation) == name
    attempt = Attempt.for_exercise(back, "Ana")
    deltas = [k for k in attempt.keys() if k.startswith("delta")]
    assert deltas
    for key in attempt.keys():
        assert attempt.submit(key, format_number(attempt.question(key).value)).correct
    assert attempt.score().correct == len(attempt.keys())
    # a δ is asked in the preset's sign: the other convention's number is wrong
    fresh = Attempt.for_exercise(back, "Bo")
    q = fresh.question(deltas[0])
    trainer, _ = trainer_for(load_example("xor"))
    out = trainer.trace_samples([1]).layers[2]
    if notation.beta:  # β = −∂E/∂o = d − o at the output (COMP307 / AIML)
        assert q.value == pytest.approx(1.0 - float(out.a[0, 0]))  # XOR's sample 2 has t = 1
    else:
        assert q.value == pytest.approx(float(out.delta[0, 0]) * notation.sign)
    assert fresh.submit(deltas[0], format_number(-q.value)).correct is False
    # the question names the quantity with the preset's letter
    assert q.label().startswith(notation.signal_letter)


def test_the_cli_takes_a_preset_letters_and_the_projects_own_notation(tmp_path, capsys):
    assert main(["walkthrough", str(XOR), "--samples", "1", "--notation", "nielsen"]) == 0
    out = capsys.readouterr().out
    assert "∂C/∂w₁₂⁽³⁾ = a₂⁽²⁾·δ₁⁽³⁾" in out and "Notation: Nielsen / Shanahan" in out
    assert main(["walkthrough", str(XOR), "--letters", "lr=alpha,net=in"]) == 0
    out = capsys.readouterr().out
    assert "Δw₁₂⁽²⁾ = −α·∂E/∂w₁₂⁽²⁾" in out and "in₁⁽³⁾ = " in out
    assert main(["walkthrough", str(XOR), "--numbering", "global", "--letters", "act=o"]) == 0
    assert "o₅ = σ(z₅)" in capsys.readouterr().out
    assert main(["walkthrough", str(XOR), "--letters", "lr=x"]) == 2
    assert "lr is one of η, α" in capsys.readouterr().err
    # the project's saved notation is the default (here Nielsen's wˡⱼₖ, saved as view options)
    doc = read_json(XOR)
    doc["view"] = {**doc.get("view", {}), **Notation().with_preset("nielsen").to_view()}
    project = tmp_path / "n.bps.json"
    project.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["walkthrough", str(project), "--samples", "1"]) == 0
    assert "∂C/∂w₁₂⁽³⁾" in capsys.readouterr().out
    assert main(["walkthrough", str(project), "--samples", "1", "--weight-index", "source"]) == 0
    assert "∂C/∂w₁₂⁽²⁾ = a₂⁽²⁾·δ₁⁽³⁾" in capsys.readouterr().out
    # the trace takes the project's convention too, and a preset's
    out_json = tmp_path / "t.json"
    assert main(["trace", str(XOR), "--out", str(out_json), "--notation", "russell_norvig"]) == 0
    assert read_json(out_json)["convention"] == "error_signal"
    ex = tmp_path / "e.bpx.json"
    assert main(["make-exercise", str(project), "--out", str(ex), "--ask", "delta"]) == 0
    assert preset_of(load_exercise(ex).notation) == "nielsen"


def test_the_bmb3015_presets_print_the_notes_xnor_numbers():
    """004's XNOR network of step units (its table: z₁⁽²⁾ = −0.1, a = 0 for the input (1, 0)) and the
    line z = (−0.3)(1) + (0.2)(1) + (0.2)(0) = −0.1, written in the BMB3015 and Russell–Norvig presets;
    on a −1 input the bias weight is W₀ = 0.3."""
    project = load_example("xnor-step")
    trainer, _ = trainer_for(project)
    trace = trainer.begin_step([2]).run_until("loss")  # the input (1, 0)
    bmb = build_walkthrough(trace, trainer.network, None, Notation().with_preset("bmb3015")).to_text()
    assert "z₁⁽²⁾ = w₁₀⁽¹⁾·x₀ + w₁₁⁽¹⁾·x₁ + w₁₂⁽¹⁾·x₂ = (−0.3)(1) + (0.2)(1) + (0.2)(0) = −0.1" in bmb
    assert "a₁⁽²⁾ = step(z₁⁽²⁾) = step(−0.1) = 0" in bmb
    out = "z₁⁽³⁾ = w₁₀⁽²⁾·a₀⁽²⁾ + w₁₁⁽²⁾·a₁⁽²⁾ + w₁₂⁽²⁾·a₂⁽²⁾ = (−0.1)(1) + (0.2)(0) + (0.2)(0) = −0.1"
    assert out in bmb
    rn = build_walkthrough(trace, trainer.network, None, Notation().with_preset("russell_norvig")).to_text()
    assert "in₃ = w_{0,3}·(−1) + w_{1,3}·x₁ + w_{2,3}·x₂ = (0.3)(−1) + (0.2)(1) + (0.2)(0) = −0.1" in rn
    assert "a₅ = step(in₅) = step(−0.1) = 0" in rn
